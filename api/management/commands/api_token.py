"""manage.py api_token <email>: a read-only API token for a user, printed once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.services import token_create


class Command(BaseCommand):
    help = "Opret en læse-nøgle til API'et for en bruger. Nøglen vises kun denne ene gang."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        email = str(options["email"]).strip().lower()
        user = get_user_model().objects.filter(email=email, is_active=True).first()
        if user is None:
            raise CommandError(f"Ingen aktiv bruger med e-mail {email}.")
        _token, raw = token_create(user=user)
        self.stdout.write(raw)
