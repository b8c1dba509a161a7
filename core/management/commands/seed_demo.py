"""Load the demo data of every app (idempotent: running it twice changes nothing)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core.seeding import Counter


class Command(BaseCommand):
    help = "Load the demo data from the seed documents into the database (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        counter = Counter()
        with transaction.atomic():
            for config in apps.get_app_configs():
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{config.name}.demo":
                        raise
                    continue
                if hasattr(module, "seed"):
                    module.seed(counter)
        self.stdout.write(f"Demodata: {counter.created} oprettet, {counter.updated} ændret.")
