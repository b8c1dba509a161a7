"""Health of the services the portal depends on, for GET /healthz."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection


def database_status() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "down"; the message tells which
        return {"ok": False, "vendor": connection.vendor, "error": error.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def broker_status() -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"ok": True, "kind": "in-process"}
    from rammeaftale.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # an outage is reported, never raised
        return {"ok": False, "kind": "redis", "error": error.__class__.__name__}
    return {"ok": True, "kind": "redis"}
