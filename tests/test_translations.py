"""The English catalogue: complete, reviewed, placeholder-safe, up to date with the source, and
actually used when a visitor picks English."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils.translation import trans_real

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"

# What makemessages is told to skip (see the README), plus caches and build output.
IGNORED = (
    ".venv",
    "node_modules",
    "var",
    ".git",
    "locale",
    "staticfiles",
    "test-results",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "*.pyc",
    "*.mo",
)

# %(name)s and %s style (not %%), {name} style, and HTML tags.
_PERCENT = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
_BRACES = re.compile(r"\{[\w.\[\]]*(?:![rsa])?(?::[^{}]*)?\}")
_TAGS = re.compile(r"<[^<>]+>")


def _reset_translations() -> None:
    """Forget every loaded catalogue so the freshly compiled .mo is read on the next request."""
    trans_real._translations.clear()
    trans_real._default = None
    trans_real._active = trans_real.Local()
    for cached in ("translation_catalog_exists", "check_for_language"):
        function = getattr(trans_real, cached, None)
        if function is not None and hasattr(function, "cache_clear"):
            function.cache_clear()


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue() -> Iterator[None]:
    """The .mo files are git-ignored and built during setup; build them here too."""
    call_command("compile_translations")
    _reset_translations()
    yield
    _reset_translations()


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(CATALOGUE))


def _placeholders(text: str) -> Counter[str]:
    text = text.replace("%%", "")
    return Counter(_PERCENT.findall(text) + _BRACES.findall(text) + _TAGS.findall(text))


def _element_text(html: str, text: str) -> bool:
    """Whether `text` is the whole text between two tags somewhere, e.g. >Log in</a>."""
    return re.search(rf">\s*{re.escape(text)}\s*<", html) is not None


def _label(entry: polib.POEntry) -> str:
    context = f" (context {entry.msgctxt!r})" if entry.msgctxt else ""
    return f"{entry.msgid!r}{context}"


# --- the catalogue itself -----------------------------------------------------------------------


def test_header_declares_english_utf8_and_plural_forms(catalogue: polib.POFile) -> None:
    assert catalogue.metadata["Language"] == "en"
    assert "charset=UTF-8" in catalogue.metadata["Content-Type"]
    assert catalogue.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert not catalogue.metadata_is_fuzzy


def test_every_entry_is_translated_and_reviewed(catalogue: polib.POFile) -> None:
    assert len(catalogue) > 0
    assert [_label(e) for e in catalogue.untranslated_entries()] == []
    assert [_label(e) for e in catalogue.fuzzy_entries()] == []
    assert [_label(e) for e in catalogue if e.obsolete] == []


def test_placeholders_and_tags_match_the_source(catalogue: polib.POFile) -> None:
    problems = []
    for entry in catalogue:
        if entry.msgid_plural:
            pairs = [
                (entry.msgid if index == 0 else entry.msgid_plural, text)
                for index, text in sorted(entry.msgstr_plural.items())
            ]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, translation in pairs:
            if _placeholders(source) != _placeholders(translation):
                problems.append(f"{_label(entry)} -> {translation!r}")
    assert problems == []


def test_the_catalogue_compiles_with_gnu_msgfmt_when_available() -> None:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext (msgfmt) is not installed")
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [msgfmt, "--check", "-o", os.devnull, str(CATALOGUE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_catalogue_covers_every_string_in_the_source(
    catalogue: polib.POFile, tmp_path: Path
) -> None:
    """Extract the strings afresh from a copy of the project; each must be in the catalogue,
    translated. A failure here means: run makemessages -l en and translate the new entries."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*IGNORED), symlinks=True)
    (copy / "locale").mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rammeaftale.settings.test"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "en",
            "--ignore=.venv",
            "--ignore=node_modules",
            "--ignore=var",
            "--no-obsolete",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    assert len(fresh) > 0

    translated = {
        (entry.msgctxt, entry.msgid, entry.msgid_plural)
        for entry in catalogue.translated_entries()
        if not entry.fuzzy
    }
    missing = [
        _label(entry)
        for entry in fresh
        if (entry.msgctxt, entry.msgid, entry.msgid_plural) not in translated
    ]
    assert missing == [], "run makemessages -l en and translate these"


# --- the catalogue in use -----------------------------------------------------------------------


@pytest.mark.django_db
def test_english_cookie_gives_english_navigation() -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert '<nav class="nav" aria-label="Main menu">' in html
    for english in ("Home", "Meetings", "Offers", "Tariffs", "Search", "Log in"):
        assert _element_text(html, english), english
    for danish in ("Forside", "Møder", "Tilbud", "Takster", "Søg", "Log ind"):
        assert not _element_text(html, danish), danish


@pytest.mark.django_db
def test_danish_remains_the_default() -> None:
    html = Client().get("/").content.decode()
    assert '<html lang="da"' in html
    assert '<nav class="nav" aria-label="Hovedmenu">' in html
    assert _element_text(html, "Søg")
    assert _element_text(html, "Log ind")
