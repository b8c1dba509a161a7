"""Who is asking: anonymous (rate limited per IP) or a bearer token acting as its user."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer

from api.services import token_user

WINDOWS = {"sec": 1, "min": 60, "hour": 3600, "day": 86400}


class RateLimited(Exception):
    """An anonymous client has used up its requests in the current window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


class InvalidToken(Exception):
    """A token was presented but is unknown, revoked or its user inactive."""


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/min" → (120 requests, 60 seconds)."""
    count, _, unit = rate.partition("/")
    return int(count), WINDOWS[unit]


def check_anonymous_rate(request: HttpRequest) -> None:
    """A fixed window per client address, counted in the default cache."""
    limit, window = parse_rate(settings.API_ANON_RATE)
    now = int(time.time())
    start = now - now % window
    key = f"api:anon:{request.META.get('REMOTE_ADDR', '')}:{window}:{start}"
    cache.add(key, 0, timeout=window + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        used = 1
    if used > limit:
        raise RateLimited(retry_after=max(1, start + window - now))


class TokenOrAnonymous(HttpBearer):
    """`Authorization: Bearer <token>` reads as the token's user; no header reads as the public.
    A header with a bad token is refused (401), never silently treated as anonymous."""

    def __call__(self, request: HttpRequest) -> Any:
        if "Authorization" not in request.headers:
            check_anonymous_rate(request)
            return AnonymousUser()
        user = super().__call__(request)
        if user is None:
            raise InvalidToken
        return user

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return token_user(raw=token)
