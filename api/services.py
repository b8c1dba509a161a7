"""Writes of the API app: creating, using and revoking tokens."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from api.models import ApiToken

# Recording every request would write on every read; once a minute says enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: Any) -> tuple[ApiToken, str]:
    """A new token for `user`: the stored row and the token itself (shown once, never stored)."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken(user=user, key_hash=token_hash(raw))
    token.full_clean()
    token.save()
    return token, raw


def token_revoke(*, token: ApiToken) -> None:
    """A revoked token is refused from now on; the row stays as a record."""
    ApiToken.objects.filter(pk=token.pk, revoked__isnull=True).update(revoked=timezone.now())


def token_user(*, raw: str) -> Any | None:
    """The active user a presented token acts as, or None (unknown, revoked, inactive user)."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user
