"""The demo logins that `make run` prints. Only ever created with DEBUG on."""

from __future__ import annotations

import time
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.db import transaction

from accounts.models import User

# Fixed so that a newcomer can add it to an authenticator app once; never used in production.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPRAMMEAFTALEDEMOX"  # noqa: S105 (demo only, DEBUG)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    name: str
    is_secretariat: bool


SECRETARIAT = DemoLogin(
    "sekretariat@demo.rammeaftale.dk", "demo-sekretariat-2026", "Demo Sekretariat", True
)
MEMBER = DemoLogin("medlem@demo.rammeaftale.dk", "demo-medlem-2026", "Henning Hansen", False)


@transaction.atomic
def ensure_login(login: DemoLogin) -> User:
    user = User.objects.filter(email=login.email).first()
    if user is None:
        user = User.objects.create_user(
            login.email, login.password, name=login.name, is_secretariat=login.is_secretariat
        )
    elif not user.check_password(login.password):
        user.set_password(login.password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=login.email, defaults={"verified": True, "primary": True}
    )
    if (
        login.is_secretariat
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def current_demo_code() -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
