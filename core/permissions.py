"""Roles that every app shares. Each app's own permissions module builds on these.

The secretariat edits everything; other roles (body member, municipal editor) are derived from
data in the organisations app and decided in organizations.permissions.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def is_secretariat(user: Any) -> bool:
    """True for an active, logged-in secretariat user who has passed the MFA requirement."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not getattr(user, "is_secretariat", False):
        return False
    if settings.SECRETARIAT_MFA_REQUIRED:
        return bool(getattr(user, "has_mfa", False))
    return True


def can_see_contact_details(user: Any) -> bool:
    """E-mail addresses and phone numbers are for logged-in users only, never the public."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active)
