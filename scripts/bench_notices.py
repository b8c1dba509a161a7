"""Benchmark: one notice to N confirmed subscribers through the real services and real SMTP.

    .venv/bin/python scripts/bench_notices.py [--count 10000] [--batch-size 200]

Starts an SMTP sink (aiosmtpd) on 127.0.0.1 in a child process, uses a temporary SQLite database
(or DATABASE_URL), creates N confirmed subscribers and one notice, and runs the fan-out and the
batched sending exactly as a worker would. Then, in the same run, it sends the same messages
with a bare single-connection smtplib loop and prints both rates, their ratio (goal >= 0.7), the
peak memory of the process after the engine's run, and the duplicates and missing at the sink
(goal 0 and 0). Not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import email.policy
import multiprocessing
import os
import re
import resource
import smtplib
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.MULTILINE | re.IGNORECASE)


class Sink:
    """Counts what arrives: recipients and Message-IDs (not the bodies, to keep memory flat)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recipients: Counter[str] = Counter()
        self.message_ids: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        match = _MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
            if match:
                self.message_ids[match.group(1).decode()] += 1
        return "250 OK"


def run_sink(port: int, commands: Connection) -> None:
    """The SMTP sink, in a process of its own (as a mail server would be): it answers
    'total', 'recipients' and 'reset' on the pipe until told 'stop'."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    commands.send("ready")
    try:
        while True:
            command = commands.recv()
            with sink.lock:
                if command == "total":
                    commands.send(sum(sink.recipients.values()))
                elif command == "recipients":
                    commands.send(dict(sink.recipients))
                elif command == "reset":
                    sink.recipients.clear()
                    sink.message_ids.clear()
                    commands.send("ok")
                else:
                    break
    finally:
        controller.stop()


class SinkProcess:
    def __init__(self, port: int) -> None:
        self.commands, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=run_sink, args=(port, child), daemon=True
        )
        self.process.start()
        if not self.commands.poll(30) or self.commands.recv() != "ready":
            raise RuntimeError("the SMTP sink did not start")

    def ask(self, command: str) -> Any:
        self.commands.send(command)
        return self.commands.recv()

    def total(self) -> int:
        return int(self.ask("total"))

    def recipients(self) -> Counter[str]:
        return Counter(self.ask("recipients"))

    def reset(self) -> None:
        self.ask("reset")

    def stop(self) -> None:
        self.commands.send("stop")
        self.process.join(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def wait_for(sink: SinkProcess, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while sink.total() < count and time.monotonic() < deadline:
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="confirmed subscribers")
    parser.add_argument("--batch-size", type=int, default=None, help="mails per SMTP connection")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-notices-"))
    port = free_port()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "rammeaftale.settings.base",
            "VAR_DIR": str(workdir),
            "SMTP_URL": f"smtp://127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "bench-only-" + "x" * 50,
        }
    )
    os.environ.pop("REDIS_URL", None)  # tasks in-process; the benchmark calls the services
    if args.batch_size:
        os.environ["NOTICES_BATCH_SIZE"] = str(args.batch_size)
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.urls import include, path
    from django.utils import timezone

    from notices import mail, services
    from notices.models import Delivery, DeliveryStatus, Notice, Subscription
    from notices.registry import Recipient
    from rammeaftale import urls as project_urls

    # Mount the subscription pages (the links in every mail) whether or not the project has yet.
    module = sys.modules[__name__]
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("abonnement/", include("notices.urls")),
        *project_urls.urlpatterns,
    ]
    settings.ROOT_URLCONF = __name__

    sink = SinkProcess(port)
    try:
        print(f"database: {connection.vendor} ({settings.DATABASES['default']['NAME']})")
        call_command("migrate", verbosity=0, interactive=False)
        Delivery.objects.all().delete()
        Notice.objects.all().delete()
        Subscription.objects.filter(topic="bench").delete()
        now = timezone.now()
        Subscription.objects.bulk_create(
            [
                Subscription(
                    email=f"abonnent{n:05d}@example.dk",
                    topic="bench",
                    status=Subscription.Status.CONFIRMED,
                    confirmed_at=now,
                )
                for n in range(args.count)
            ],
            batch_size=2000,
        )
        expected = {f"abonnent{n:05d}@example.dk" for n in range(args.count)}

        # --- the engine: publish, fan out, send batch after batch (as one worker would) ------
        # The publication's own on-commit task would send everything before the clock starts:
        # the notice row is written as notice_publish writes it, and the worker's steps timed.
        notice = Notice.objects.create(
            topic="bench",
            kind=mail.MESSAGE_KIND,
            payload={
                "subject": "Nye takster for 2027",
                "text": "Taksterne for 2027 er offentliggjort.\n\nSe dem på portalen.",
                "url": f"{settings.SITE_URL}/takster/",
            },
        )
        started = time.perf_counter()
        batches = services.notice_fan_out(notice_id=notice.pk)
        fanned = time.perf_counter()
        for ids in batches:
            services.deliveries_send(delivery_ids=ids)
        sent_at = time.perf_counter()
        wait_for(sink, args.count)
        engine_peak = peak_rss_mib()
        engine_send = sent_at - fanned
        engine_total = sent_at - started
        arrived = sink.recipients()
        received = set(arrived)
        engine_duplicates = sum(n - 1 for n in arrived.values() if n > 1)
        engine_missing = len(expected - received)
        not_sent = Delivery.objects.filter(notice=notice).exclude(status=DeliveryStatus.SENT)

        # --- the same messages, built beforehand, over one bare smtplib connection -----------
        messages: list[tuple[str, bytes]] = []
        for delivery in Delivery.objects.filter(notice=notice).order_by("id").iterator():
            recipient = Recipient(email=delivery.email)
            content = mail.render_message_notice(notice, recipient)
            message = mail.build_message(
                recipient=recipient,
                content=content,
                message_id=delivery.message_id,
                unsubscribe_token_value=mail.unsubscribe_token(delivery.email, topic="bench"),
                reason="du følger bench",
            )
            messages.append((delivery.email, message.message(policy=email.policy.SMTP).as_bytes()))
        sink.reset()
        from_address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
        raw_started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for to, data in messages:
                smtp.sendmail(from_address, [to], data)
        raw_time = time.perf_counter() - raw_started
        wait_for(sink, args.count)
        raw_missing = len(expected - set(sink.recipients()))

        engine_rate = args.count / engine_send
        raw_rate = args.count / raw_time
        print(f"subscribers:            {args.count}")
        print(f"batch size:             {settings.NOTICES_BATCH_SIZE} mails per SMTP connection")
        print(f"fan-out:                {fanned - started:.2f} s")
        print(f"engine send:            {engine_send:.2f} s  ->  {engine_rate:,.0f} mails/s")
        total_rate = args.count / engine_total
        print(f"engine fan-out + send:  {engine_total:.2f} s  ->  {total_rate:,.0f} mails/s")
        print(f"raw smtplib loop:       {raw_time:.2f} s  ->  {raw_rate:,.0f} mails/s")
        print(f"ratio engine/raw:       {engine_rate / raw_rate:.2f}  (goal >= 0.70)")
        print(f"peak memory (RSS):      {engine_peak:.0f} MiB after the engine's run")
        print(f"duplicates:             {engine_duplicates}  (goal 0)")
        print(f"missing:                {engine_missing}  (goal 0)")
        print(f"deliveries not 'sent':  {not_sent.count()}")
        print(f"raw loop missing:       {raw_missing}")
        ok = engine_duplicates == 0 and engine_missing == 0
        return 0 if ok else 1
    finally:
        sink.stop()


if __name__ == "__main__":
    raise SystemExit(main())
