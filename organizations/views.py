"""The public organisation pages: diagram, body, municipality and person.

Reads go through organizations.selectors and organizations.permissions; views only parse the
request and render.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from organizations import selectors
from organizations.extensions import render_body_sections, render_municipality_sections
from organizations.forms import CompositionDateForm
from organizations.permissions import can_see_contact_details


@require_GET
def diagram(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("region", "").strip()
    return _render_diagram(request, code or settings.PORTAL_REGION_CODE, explicit=bool(code))


@require_GET
def region(request: HttpRequest, code: str) -> HttpResponse:
    return _render_diagram(request, code, explicit=True)


def _render_diagram(request: HttpRequest, code: str, *, explicit: bool) -> HttpResponse:
    context = selectors.organisation_diagram(request.user, code)
    # A fresh portal without its own region still shows an (empty) diagram page.
    if context.region is None and explicit:
        raise Http404
    return render(request, "organizations/diagram.html", {"diagram": context})


@require_GET
def body_detail(request: HttpRequest, slug: str) -> HttpResponse:
    body = selectors.get_visible_body(request.user, slug)
    form = CompositionDateForm(request.GET or None)
    day: datetime.date | None = None
    if form.is_bound and form.is_valid():
        day = form.cleaned_data["dato"]
    page = selectors.body_page(request.user, body, day)
    return render(
        request,
        "organizations/body_detail.html",
        {
            "page": page,
            "body": body,
            "date_form": form,
            "today": timezone.localdate(),
            "sections": render_body_sections(request, body),
        },
    )


@require_GET
def municipality_detail(request: HttpRequest, code: str) -> HttpResponse:
    page = selectors.municipality_page(request.user, code)
    return render(
        request,
        "organizations/municipality_detail.html",
        {
            "page": page,
            "municipality": page.municipality,
            "show_contact_details": can_see_contact_details(request.user),
            "sections": render_municipality_sections(request, page.municipality),
        },
    )


@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.person_page(request.user, pk)
    return render(
        request,
        "organizations/person_detail.html",
        {
            "page": page,
            "person": page.person,
            "show_contact_details": can_see_contact_details(request.user),
        },
    )
