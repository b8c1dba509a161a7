"""The public pages of the offer registry: the list and its exports, an offer's page, and the
secretariat's early warning.

What a reader may see is decided in `offers.permissions` (through `offers.selectors`); views
parse the request and render. The secretariat's editing pages are in `staff_views.py`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.gates import permission_required
from offers import exports, selectors
from offers.extensions import render_offer_sections
from offers.permissions import can_manage_offers


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The offers the reader may see, with filters and sorting that can be bookmarked."""
    listing = selectors.offer_list(request.user, request.GET)
    return render(request, "offers/index.html", {"listing": listing})


@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """The filtered list, every row, as CSV for Danish Excel."""
    return exports.csv_response(selectors.offer_export(request.user, request.GET))


@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The filtered list, every row, as an Excel workbook."""
    return exports.xlsx_response(selectors.offer_export(request.user, request.GET))


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.offer_page(request.user, pk)
    return render(
        request,
        "offers/detail.html",
        {
            "page": page,
            "offer": page.offer,
            "sections": render_offer_sections(request, page.offer),
        },
    )


@require_GET
@permission_required(can_manage_offers)
def early_warning(request: HttpRequest) -> HttpResponse:
    """Coming openings, closures, takeovers and changes of operator, and late announcements:
    the secretariat's. Others are asked to log in, or refused."""
    warning = selectors.early_warning(request.user)
    return render(request, "offers/early_warning.html", {"warning": warning})
