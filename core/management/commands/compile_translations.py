"""Compile locale/*/LC_MESSAGES/*.po to .mo without needing GNU gettext on the machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the project's .po translation catalogues to .mo files."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                try:
                    catalogue = polib.pofile(str(po_path))
                except (OSError, ValueError) as error:
                    raise CommandError(f"{po_path}: {error}") from error
                catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                count += 1
        if options["verbosity"] > 1:
            self.stdout.write(f"Compiled {count} catalogue(s).")
