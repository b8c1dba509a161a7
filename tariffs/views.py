"""The public pages of tariffs: the overview of a year (takstoversigt) with its exports and PDF,
and the development per area and per operator.

Every reader sees published tariffs only here (`tariffs.selectors`, through
`tariffs.permissions`); the review and entry pages are in `staff_views.py`.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_safe

from tariffs import documents, exports, selectors


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The published tariffs of a year (`?aar=`), with filters and sorting that can be
    bookmarked, each with its change from last year and its calculation."""
    overview = selectors.tariff_overview(request.user, request.GET)
    return render(request, "tariffs/index.html", {"overview": overview})


@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """The filtered overview, every row, as CSV for Danish Excel."""
    return exports.csv_response(selectors.tariff_overview(request.user, request.GET))


@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The filtered overview, every row, as an Excel workbook with a sheet per area."""
    return exports.xlsx_response(selectors.tariff_overview(request.user, request.GET))


@require_safe
def overview_pdf(request: HttpRequest, year: int) -> FileResponse:
    """The year's whole overview as a PDF (the public's, the same for everyone), of the current
    version; 404 for a year without published tariffs."""
    document = documents.overview_document(year)
    if document is None:
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        content_type=documents.PDF_CONTENT_TYPE,
        as_attachment=False,
        filename=documents.overview_filename(year),
    )
    # A correction replaces the document under the same address: always ask again.
    patch_cache_control(response, no_cache=True)
    return response


@require_GET
def development(request: HttpRequest) -> HttpResponse:
    """The average change in fixed prices from year to year, per area and per operator."""
    return render(
        request,
        "tariffs/aggregates.html",
        {"development": selectors.tariff_development(request.user)},
    )
