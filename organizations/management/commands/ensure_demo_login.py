"""Make sure the demo logins exist and print them (DEBUG only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo_login import DEMO_TOTP_SECRET, MEMBER, SECRETARIAT, ensure_login
from organizations.models import Person


class Command(BaseCommand):
    help = "Create the demo secretariat and member logins (only with DEBUG on) and print them."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo logins are only created with DEBUG on.")
        staff = ensure_login(SECRETARIAT)
        member = ensure_login(MEMBER)
        self._link_member(member)
        site = settings.SITE_URL
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Rammeaftaleportalen kører på " + site,
                    "Demo-login for sekretariatet:",
                    f"  e-mail:      {staff.email}",
                    f"  adgangskode: {SECRETARIAT.password}",
                    f"  totrinskode: TOTP-nøgle {DEMO_TOTP_SECRET} (tilføj den i en "
                    "authenticator-app), eller kør: .venv/bin/python manage.py demo_totp",
                    "Demo-login for et medlem af Forretningsudvalget:",
                    f"  e-mail:      {member.email}",
                    f"  adgangskode: {MEMBER.password}",
                    "",
                ]
            )
        )

    def _link_member(self, member: Any) -> None:
        # The demo member is Henning Hansen (formand for FU), when the demo data is loaded.
        person = Person.objects.filter(name=MEMBER.name, user__isnull=True).first()
        if person is not None and not hasattr(member, "person"):
            person.user = member
            person.save(update_fields=["user"])
