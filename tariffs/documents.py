"""The stored PDF of a year's tariff overview (takstoversigt).

The PDF is rendered once per published version of the year (`TariffYear.version`, bumped by
every publication and correction), stored as a `TariffDocument` and served from storage after
that. It is the public's overview — published tariffs of covered offers, nothing else — and the
same for every reader. A worker renders it after a publication (`services.year_publish`
enqueues the task after the commit); a download that comes first renders on demand, as the
meeting PDFs do. A document of an older version is never served, and is deleted once the
current one exists.

Documents are Danish records, rendered in Danish whatever the language of the request that set
them off; their words are written in Danish in `templates/tariffs/pdf/`.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format

from core.pdf import FONT_FAMILY, render_pdf
from tariffs.models import TariffDocument, TariffYear
from tariffs.selectors import has_published_tariffs, public_overview

__all__ = [
    "PDF_CONTENT_TYPE",
    "current_version",
    "overview_document",
    "overview_filename",
    "overview_prune",
    "overview_render_current",
]

PDF_CONTENT_TYPE = "application/pdf"
TEMPLATE = "tariffs/pdf/overview.html"


def current_version(year: int) -> int:
    """The year's published version (0 for tariffs published without a `TariffYear`)."""
    version = TariffYear.objects.filter(year=year).values_list("version", flat=True).first()
    return version or 0


def _current(year: int, version: int) -> TariffDocument | None:
    return TariffDocument.objects.filter(year=year, version=version).first()


def _render(year: int, version: int) -> tuple[bytes, int]:
    overview = public_overview(year)
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            TEMPLATE,
            {
                "overview": overview,
                "year": year,
                "version": version,
                "document_title": f"Takstoversigt {year}",
                "font_family": FONT_FAMILY,
                "site_name": settings.SITE_NAME,
                "rendered": date_format(timezone.localtime(), "j. F Y"),
                "previous_year": year - 1,
                "previous_index": overview.indexes.get(year - 1),
                "index": overview.indexes.get(year),
            },
        )
    data = render_pdf(html, base_url=f"{settings.SITE_URL}/")
    from pypdf import PdfReader  # a second to import: only where PDFs are made

    return data, len(PdfReader(io.BytesIO(data)).pages)


def _store(year: int, version: int, data: bytes, page_count: int) -> TariffDocument:
    document = TariffDocument(
        year=year,
        version=version,
        page_count=page_count,
        size=len(data),
        rendered_at=timezone.now(),
    )
    document.file.save(f"takstoversigt-{year}.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Another worker stored the same version first: keep theirs, drop our file.
        default_storage.delete(document.file.name or "")
        existing = _current(year, version)
        if existing is None:  # pragma: no cover - the conflicting row was deleted meanwhile
            raise
        return existing
    return document


def overview_document(year: int) -> TariffDocument | None:
    """The PDF of the year's current version: the stored one, else rendered now and stored.
    Idempotent. None when the year has no published tariffs."""
    # The version is read before the content, so a document is never older than its label.
    version = current_version(year)
    existing = _current(year, version)
    if existing is not None:
        return existing
    if not has_published_tariffs(year):
        return None
    data, pages = _render(year, version)
    return _store(year, version, data, pages)


@transaction.atomic
def overview_prune(year: int) -> int:
    """Delete the documents of the year's earlier versions (never served again), their files
    once the deletion is committed. Returns how many were deleted."""
    stale = TariffDocument.objects.filter(year=year, version__lt=current_version(year))
    names = [name for name in stale.values_list("file", flat=True) if name]
    deleted, _details = stale.delete()

    def delete_files() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(delete_files)
    return deleted


def overview_render_current(year: int) -> TariffDocument | None:
    """Render (if need be) the PDF of the year's current version and drop older ones: what the
    worker does after a publication. Idempotent."""
    document = overview_document(year)
    overview_prune(year)
    return document


def overview_filename(year: int) -> str:
    return f"takstoversigt-{year}.pdf"
