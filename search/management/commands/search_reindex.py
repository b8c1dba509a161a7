"""Rebuild the search index from every source object (idempotent, in batches)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from search.indexing import BATCH_SIZE, reindex_all


class Command(BaseCommand):
    help = "Genopbyg søgeindekset (skriver kun det, der er ændret)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        written = reindex_all(batch_size=options["batch_size"])
        self.stdout.write(f"Søgeindeks: {written} dokumenter skrevet.")
