"""Test settings: the base configuration with fast hashing and in-memory mail."""

from __future__ import annotations

from rammeaftale.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Rate limits are tested on their own; other tests log in many times from one address.
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]  # allauth accepts False: no limits
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True  # the worker round-trip test turns this off for itself
