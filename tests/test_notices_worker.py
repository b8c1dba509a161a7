"""Through the real components: a publication travels over Redis to a Celery worker in its own
process, which sends to an SMTP server on 127.0.0.1, one mail per subscriber.

Skipped with a one-line reason unless REDIS_URL points at a reachable Redis.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse, urlunparse

import pytest
from django.db import connection, transaction

from notices import services, tasks
from notices.mail import MESSAGE_KIND
from notices.models import Delivery, DeliveryStatus
from tests.test_notices_support import (
    SmtpServer,
    confirmed,
)

# The SMTP server fixture.
pytest_plugins = ["tests.test_notices_support"]

BASE_DIR = Path(__file__).resolve().parent.parent
SUBSCRIBERS = 25


def _redis_skip_reason() -> str | None:
    url = os.environ.get("REDIS_URL", "")
    if not url.startswith(("redis://", "rediss://")):
        return "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/15"
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 2):
            return None
    except OSError:
        return f"needs Redis: nothing answers at {url}"


_SKIP = _redis_skip_reason()

# The worker mounts the subscription pages like the tests do (the links in the mails need them).
_WORKER = """
import sys, django
django.setup()
from django.conf import settings
settings.ROOT_URLCONF = "tests.test_notices_support"
from celery.__main__ import main
sys.argv = ["celery", *sys.argv[1:]]
main()
"""


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    parsed = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parsed._replace(path=f"/{db['NAME']}"))


@pytest.fixture
def notices_worker(smtp_server: SmtpServer) -> Iterator[tuple[str, IO[str]]]:
    queue = f"ci-notices-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rammeaftale.settings.base",
        "DATABASE_URL": _database_url(),
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        "NOTICES_CELERY_QUEUE": queue,
        "NOTICES_RETRY_BACKOFF": "1",
        "PYTHONUNBUFFERED": "1",
    }
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
        mode="w+", prefix="notices-worker-", suffix=".log", encoding="utf-8"
    )
    argv = [
        sys.executable,
        "-c",
        _WORKER,
        "-A",
        "rammeaftale",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    worker = subprocess.Popen(  # noqa: S603 - fixed argv, the project's own interpreter
        argv,
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            log.seek(0)
            if "ready." in log.read():
                break
            if worker.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the worker did not start:\n{log.read()[-4000:]}")
            time.sleep(0.2)
        yield queue, log
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
        log.close()


def _wait_for(condition: Any, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.redis
@pytest.mark.skipif(_SKIP is not None, reason=_SKIP or "")
@pytest.mark.django_db(transaction=True)
def test_a_publication_reaches_each_subscriber_once_through_a_worker_on_redis(
    smtp_server: SmtpServer, notices_worker: tuple[str, IO[str]], settings: Any
) -> None:
    from rammeaftale.celery import app

    queue, log = notices_worker
    sink = smtp_server.sink
    addresses = [f"abonnent{n:02d}@example.dk" for n in range(SUBSCRIBERS)]
    for address in addresses:
        confirmed(address, "tariffs")
    settings.NOTICES_CELERY_QUEUE = queue
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with transaction.atomic():
            notice = services.notice_publish(
                topic="tariffs",
                kind=MESSAGE_KIND,
                payload={"subject": "Nye takster", "text": "Taksterne for 2027 er klar."},
            )
        delivered = _wait_for(lambda: sum(sink.recipients().values()) >= SUBSCRIBERS)
        # The fan-out task runs a second time: nothing more may arrive.
        tasks.enqueue_fan_out(notice.pk)
        time.sleep(2)
    finally:
        app.conf.task_always_eager = was_eager
    log.seek(0)
    worker_log = log.read()
    assert delivered, f"only {sum(sink.recipients().values())} mails; worker log:\n{worker_log}"
    assert sink.recipients() == dict.fromkeys(addresses, 1)
    statuses = set(Delivery.objects.filter(notice=notice).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.SENT}
    assert "notices.send_deliveries" in worker_log, "the mails were sent somewhere else"
