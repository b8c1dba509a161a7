"""Print the current two-factor code of the demo secretariat login (DEBUG only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo_login import current_demo_code


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo secretariat login."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Only available with DEBUG on.")
        self.stdout.write(current_demo_code())
