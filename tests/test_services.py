"""The real services: run when DATABASE_URL / REDIS_URL point at reachable servers, skipped
with a one-line reason otherwise (`make test` passes on a machine with neither)."""

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
from typing import IO
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
WORKER_START_TIMEOUT = 60.0
RESULT_TIMEOUT = 30.0


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def _redis_skip_reason() -> str | None:
    url = os.environ.get("REDIS_URL", "")
    if not url.startswith(("redis://", "rediss://")):
        return "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/15"
    if not _reachable(url, 6379):
        return f"needs Redis: nothing answers at {url}"
    return None


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL: set DATABASE_URL=postgres://…",
)
def test_database_is_really_postgresql() -> None:
    assert settings.DATABASE_IS_POSTGRES
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        row = cursor.fetchone()
    assert row is not None
    assert "PostgreSQL" in row[0]
    # The pool from DATABASE_POOL_MIN/MAX is really in use.
    assert "pool" in connection.settings_dict["OPTIONS"]


_REDIS_SKIP = _redis_skip_reason()


@pytest.fixture
def worker_queue() -> Iterator[tuple[str, IO[str]]]:
    """A real Celery worker in its own process, consuming one queue that only this test uses."""
    queue = f"ci-roundtrip-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rammeaftale.settings.base",
        "REDIS_URL": os.environ["REDIS_URL"],
        "PYTHONUNBUFFERED": "1",
    }
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
        mode="w+", prefix="celery-worker-", suffix=".log", encoding="utf-8"
    )
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "rammeaftale",
        "worker",
        "--pool=solo",
        "--concurrency=1",
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
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while time.monotonic() < deadline:
            log.seek(0)
            if "ready." in log.read():
                break
            if worker.poll() is not None:
                log.seek(0)
                pytest.fail(f"the worker exited with {worker.returncode}:\n{log.read()[-4000:]}")
            time.sleep(0.2)
        else:
            log.seek(0)
            tail = log.read()[-4000:]
            pytest.fail(f"the worker was not ready in {WORKER_START_TIMEOUT}s:\n{tail}")
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


@pytest.mark.redis
@pytest.mark.skipif(_REDIS_SKIP is not None, reason=_REDIS_SKIP or "")
def test_celery_task_round_trips_through_a_worker_on_redis(
    worker_queue: tuple[str, IO[str]],
) -> None:
    from core.tasks import ping
    from rammeaftale.celery import app

    queue, log = worker_queue
    token = uuid.uuid4().hex
    assert app.conf.broker_url.startswith("redis")
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # the test settings run tasks in-process
    try:
        result = ping.apply_async(args=(token,), queue=queue)
        try:
            answer = result.get(timeout=RESULT_TIMEOUT)
        except Exception as error:
            log.seek(0)
            pytest.fail(f"no answer from the worker ({error!r}); its log:\n{log.read()[-4000:]}")
        assert answer == f"pong:{token}"
        assert result.successful()
        result.forget()
    finally:
        app.conf.task_always_eager = was_eager
    log.seek(0)
    assert "core.tasks.ping" in log.read(), "the task ran somewhere other than the worker"
