from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import broker_status, database_status


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; a broker outage is reported but not fatal."""
    database = database_status()
    broker = broker_status()
    status = "ok" if database["ok"] and broker["ok"] else ("degraded" if database["ok"] else "down")
    return JsonResponse(
        {"status": status, "database": database, "broker": broker},
        status=200 if database["ok"] else 503,
    )
