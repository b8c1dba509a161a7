from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Links in account mails point at the configured SITE_URL, not the request's host."""

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Anyone may create a login (subscribers); roles are granted by the secretariat.
        return True
