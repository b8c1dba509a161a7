"""GET /healthz: JSON with database and broker status; 200 while the database answers."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client, override_settings

import core.health
from rammeaftale.celery import app as celery_app


def _closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.django_db
def test_healthz_answers_200_with_the_database_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
    assert set(body) >= {"status", "database", "broker"}
    assert "ok" in body["broker"]


@pytest.mark.django_db
def test_healthz_without_a_broker_reports_in_process_tasks(client: Client) -> None:
    with override_settings(REDIS_URL=""):
        body = client.get("/healthz").json()
    assert body["broker"] == {"ok": True, "kind": "in-process"}
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_broker_outage_is_reported_but_not_fatal(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead_broker = f"redis://127.0.0.1:{_closed_port()}/0"
    # Item access sets the raw keys (the attributes are computed properties of Celery's conf).
    monkeypatch.setitem(celery_app.conf, "broker_url", dead_broker)
    monkeypatch.setitem(celery_app.conf, "broker_write_url", dead_broker)
    started = time.monotonic()
    with override_settings(REDIS_URL=dead_broker):
        response = client.get("/healthz")
    assert time.monotonic() - started < 20, "a dead broker must not hang the health check"
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["kind"] == "redis"
    assert body["broker"]["error"]
    assert body["status"] == "degraded"


class _DeadConnection:
    vendor = "postgresql"

    def cursor(self) -> Any:
        raise OperationalError("connection refused")


def test_database_down_answers_503(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.health, "connection", _DeadConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"]["ok"] is False
    assert body["database"]["error"] == "OperationalError"


def test_healthz_only_answers_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
