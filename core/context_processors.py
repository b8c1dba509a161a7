from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from core.permissions import is_secretariat


def portal(request: HttpRequest) -> dict[str, Any]:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "user_is_secretariat": is_secretariat(request.user),
    }
