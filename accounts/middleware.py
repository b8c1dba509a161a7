"""Secretariat staff must set up two-factor authentication before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

_ALLOWED_PREFIXES = ("/konto/", "/static/", "/healthz", "/i18n/", "/media/")


class SecretariatMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.SECRETARIAT_MFA_REQUIRED
            and user.is_authenticated
            and getattr(user, "is_secretariat", False)
            and not getattr(user, "has_mfa", False)
            and not request.path.startswith(_ALLOWED_PREFIXES)
        ):
            messages.warning(
                request,
                _("Som medarbejder i sekretariatet skal du slå totrinsbekræftelse til først."),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
