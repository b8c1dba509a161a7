"""Benchmark: one notice to N confirmed subscribers through the real services and real SMTP.

    .venv/bin/python scripts/bench_notices.py [--count 10000] [--batch-size 200] [--profile]

Starts an SMTP sink (aiosmtpd) on 127.0.0.1 in a process of its own, uses a temporary SQLite
database with the app's own settings (or DATABASE_URL), creates N confirmed subscribers and one
notice. A worker process (a fresh Python, as a Celery worker would be) then runs the fan-out and
the batched sending exactly as the tasks do: claim, send over one SMTP connection per batch,
mark each delivery sent after its own send. After each batch the sink hands over what arrived,
and the exact same bytes, to the same envelopes, are sent again by a bare smtplib loop over one
connection (kept open for the whole run); the two alternate batch by batch, so that whatever
else the machine is doing weighs on both alike. It prints both times and rates, their ratio
(goal >= 0.7), the worker's peak memory, and the duplicates and missing among the engine's
mails at the sink (goal 0 and 0). Not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import re
import resource
import shutil
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
TOPIC = "bench"

# (envelope sender, envelope recipients, the message as received)
Received = tuple[str, list[str], bytes]


class Sink:
    """Counts what arrives per phase ("engine" or "raw": recipients, Message-IDs) and keeps the
    engine's messages until they are taken."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.phase = "engine"
        self.recipients: dict[str, Counter[str]] = {"engine": Counter(), "raw": Counter()}
        self.message_ids: dict[str, Counter[str]] = {"engine": Counter(), "raw": Counter()}
        self.messages: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = bytes(envelope.content)
        match = _MESSAGE_ID.search(content)
        with self.lock:
            self.recipients[self.phase].update(envelope.rcpt_tos)
            if match:
                self.message_ids[self.phase][match.group(1).decode()] += 1
            if self.phase == "engine":
                self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 OK"


def run_sink(port: int, commands: Connection) -> None:
    """The SMTP sink, in a process of its own (as a mail server would be). On the pipe it
    answers ("counts", phase), ("take",) (the engine's messages since the last take) and
    ("phase", name) until told ("stop",)."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    commands.send("ready")
    try:
        while True:
            command, *arguments = commands.recv()
            with sink.lock:
                if command == "counts":
                    phase = arguments[0]
                    commands.send((dict(sink.recipients[phase]), dict(sink.message_ids[phase])))
                elif command == "take":
                    commands.send(sink.messages)
                    sink.messages = []
                elif command == "phase":
                    sink.phase = arguments[0]
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

    def ask(self, *command: str) -> Any:
        self.commands.send(command)
        return self.commands.recv()

    def counts(self, phase: str) -> tuple[Counter[str], Counter[str]]:
        recipients, message_ids = self.ask("counts", phase)
        return Counter(recipients), Counter(message_ids)

    def stop(self) -> None:
        self.commands.send(("stop",))
        self.process.join(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_worker(notice_id: int, profile: bool, parent: Connection) -> None:
    """The worker: what notices.fan_out and notices.send_deliveries do, batch after batch, in a
    fresh process (so that its peak memory is the worker's own). After each batch it reports
    the batch's time and waits for the parent's raw loop."""
    import django

    django.setup()
    from django.urls import reverse

    from notices import services

    # A worker that has run a task before has the URL configuration loaded (the first
    # reverse() of a link in a mail imports every view module of the project).
    reverse("notices:manage", args=["warm-up"])

    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    batches = services.notice_fan_out(notice_id=notice_id)
    parent.send(("fanned out", time.perf_counter() - started))
    for ids in batches:
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        services.deliveries_send(delivery_ids=ids)
        elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
        parent.send(("batch", elapsed))
        parent.recv()  # the raw loop has sent the same messages
    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(30)
        sys.stdout.flush()
    parent.send(("done", peak_rss_mib()))


def setup_environment(args: argparse.Namespace, port: int) -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="bench-notices-"))
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
    os.environ.pop("REDIS_URL", None)  # the worker calls the services the tasks call
    if args.batch_size:
        os.environ["NOTICES_BATCH_SIZE"] = str(args.batch_size)
    if not os.environ.get("DATABASE_URL"):
        # The app's SQLite settings (WAL, synchronous=NORMAL), in a file of its own.
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    return workdir


def describe_database() -> str:
    from django.conf import settings
    from django.db import connection

    text = f"{connection.vendor} ({settings.DATABASES['default']['NAME']})"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            sync = cursor.execute("PRAGMA synchronous").fetchone()[0]
        names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
        text += f", journal_mode={mode}, synchronous={names.get(sync, sync)} (the app's settings)"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="confirmed subscribers")
    parser.add_argument("--batch-size", type=int, default=None, help="mails per SMTP connection")
    parser.add_argument(
        "--profile", action="store_true", help="profile the worker's sending (cProfile, top 30)"
    )
    args = parser.parse_args()

    port = free_port()
    workdir = setup_environment(args, port)

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from notices import mail
    from notices.models import Delivery, DeliveryStatus, Notice, Subscription

    sink = SinkProcess(port)
    try:
        call_command("migrate", verbosity=0, interactive=False)
        Delivery.objects.all().delete()
        Notice.objects.all().delete()
        Subscription.objects.filter(topic=TOPIC).delete()
        now = timezone.now()
        expected = [f"abonnent{n:05d}@example.dk" for n in range(args.count)]
        for start in range(0, args.count, 2000):
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        email=address,
                        topic=TOPIC,
                        status=Subscription.Status.CONFIRMED,
                        confirmed_at=now,
                    )
                    for address in expected[start : start + 2000]
                ]
            )

        # --- the engine: a worker fans out and sends batch after batch ----------------------
        # The notice row as notice_publish writes it (its on-commit task would otherwise start
        # the sending here, before the clock).
        notice = Notice.objects.create(
            topic=TOPIC,
            kind=mail.MESSAGE_KIND,
            payload={
                "subject": "Nye takster for 2027",
                "text": "Taksterne for 2027 er offentliggjort.\n\nSe dem på portalen.",
                "url": f"{settings.SITE_URL}/takster/",
            },
        )
        worker_pipe, child = multiprocessing.Pipe()
        worker = multiprocessing.get_context("spawn").Process(
            target=run_worker, args=(notice.pk, args.profile, child)
        )
        worker.start()
        engine_time = raw_time = fan_out_time = worker_peak = 0.0
        raw_count = 0
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            while True:
                event, value = worker_pipe.recv()
                if event == "fanned out":
                    fan_out_time = value
                    continue
                if event == "done":
                    worker_peak = value
                    break
                engine_time += value
                # --- the same bytes, to the same envelopes, over the bare connection ---------
                messages: list[Received] = sink.ask("take")
                sink.ask("phase", "raw")
                started = time.perf_counter()
                for sender, recipients, data in messages:
                    smtp.sendmail(sender, recipients, data)
                raw_time += time.perf_counter() - started
                raw_count += len(messages)
                sink.ask("phase", "engine")
                worker_pipe.send("go")
        worker.join()
        arrived, message_ids = sink.counts("engine")
        raw_arrived, _ids = sink.counts("raw")
        duplicates = sum(n - 1 for n in arrived.values() if n > 1)
        duplicate_ids = sum(n - 1 for n in message_ids.values() if n > 1)
        missing = len(set(expected) - set(arrived))
        not_sent = Delivery.objects.filter(notice=notice).exclude(status=DeliveryStatus.SENT)

        engine_rate = args.count / engine_time
        raw_rate = raw_count / raw_time
        print(f"database:               {describe_database()}")
        print(f"subscribers:            {args.count}")
        print(f"batch size:             {settings.NOTICES_BATCH_SIZE} mails per SMTP connection")
        print(f"fan-out:                {fan_out_time:.2f} s")
        print(f"engine send:            {engine_time:.2f} s  ->  {engine_rate:,.0f} mails/s")
        print(
            f"raw smtplib loop:       {raw_time:.2f} s  ->  {raw_rate:,.0f} mails/s"
            f"  (the engine's {raw_count} messages, byte for byte, one connection)"
        )
        print(f"ratio engine/raw:       {engine_rate / raw_rate:.2f}  (goal >= 0.70)")
        print(f"worker peak RSS:        {worker_peak:.0f} MiB (the process that sent)")
        print(f"duplicates:             {duplicates}  (Message-IDs twice: {duplicate_ids}; goal 0)")
        print(f"missing:                {missing}  (goal 0)")
        print(f"deliveries not 'sent':  {not_sent.count()}")
        print(f"raw loop delivered:     {sum(raw_arrived.values())}")
        ok = duplicates == 0 and duplicate_ids == 0 and missing == 0
        return 0 if ok else 1
    finally:
        sink.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
