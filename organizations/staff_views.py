"""The secretariat's pages for the organisation: bodies, people, memberships and imports.

Every view here is behind `secretariat_required`: anonymous visitors are sent to the login
page, everybody else who may not edit the organisation gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from core.gates import permission_required
from core.importing import ImportResult
from notices.forms import SubscriberImportForm
from notices.services import subscribers_import
from organizations import services
from organizations.forms import (
    BodyForm,
    ImportForm,
    MembershipAddForm,
    MembershipEndForm,
    MembershipForm,
    PersonForm,
    add_service_errors,
)
from organizations.importers import CONTACT_COLUMNS, MEMBER_COLUMNS
from organizations.models import Body, Membership, Person
from organizations.permissions import can_edit_organisation
from organizations.subscribe_section import body_topic_names

PEOPLE_ON_INDEX = 100


secretariat_required = permission_required(can_edit_organisation)


def _memberships(**filters: Any) -> list[Membership]:
    """Memberships for a staff table, current ones first; a fixed number of queries."""
    rows = Membership.objects.filter(**filters).select_related(
        "person", "body", "municipality", "region", "organization"
    )
    return sorted(rows, key=lambda m: (m.end_date is not None, m.body.name, m.role, m.person.name))


# --- overview ----------------------------------------------------------------------------------


@secretariat_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    people = Person.objects.select_related("municipality", "region", "organization")
    if query:
        people = people.filter(
            Q(name__icontains=query) | Q(email__icontains=query) | Q(job_title__icontains=query)
        )
    bodies = Body.objects.select_related("region", "parent").order_by("order", "name")
    context = {
        "bodies": bodies,
        "people": people.order_by("name")[:PEOPLE_ON_INDEX],
        "people_limit": PEOPLE_ON_INDEX,
        "query": query,
    }
    return render(request, "organizations/staff/index.html", context)


# --- bodies ------------------------------------------------------------------------------------


@secretariat_required
@require_http_methods(["GET", "POST"])
def body_create(request: HttpRequest) -> HttpResponse:
    form = BodyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            body = services.body_create(**form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Organet %(name)s er oprettet.") % {"name": body.name})
            return redirect(body.get_absolute_url())
    return render(request, "organizations/staff/body_form.html", {"form": form, "body": None})


@secretariat_required
@require_http_methods(["GET", "POST"])
def body_edit(request: HttpRequest, slug: str) -> HttpResponse:
    body = get_object_or_404(Body.objects.select_related("region", "parent"), slug=slug)
    form = BodyForm(request.POST or None, instance=body)
    if request.method == "POST" and form.is_valid():
        try:
            body = services.body_update(body=body, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Organet %(name)s er gemt.") % {"name": body.name})
            return redirect(body.get_absolute_url())
    # A failed save may have changed the instance; the page shows what is stored.
    body.refresh_from_db()
    context = {"form": form, "body": body, "memberships": _memberships(body=body)}
    return render(request, "organizations/staff/body_form.html", context)


# --- people ------------------------------------------------------------------------------------


@secretariat_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(**form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s er oprettet.") % {"name": person.name})
            return redirect(person.get_absolute_url())
    return render(request, "organizations/staff/person_form.html", {"form": form, "person": None})


@secretariat_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_update(person=person, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s er gemt.") % {"name": person.name})
            return redirect(person.get_absolute_url())
    person.refresh_from_db()
    context = {"form": form, "person": person, "memberships": _memberships(person=person)}
    return render(request, "organizations/staff/person_form.html", context)


# --- memberships -------------------------------------------------------------------------------


@secretariat_required
@require_http_methods(["GET", "POST"])
def membership_add(request: HttpRequest, slug: str) -> HttpResponse:
    body = get_object_or_404(Body, slug=slug)
    form = MembershipAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_add(body=body, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(person)s er nu med i %(body)s.")
                % {"person": membership.person.name, "body": body.name},
            )
            return redirect(body.get_absolute_url())
    return render(request, "organizations/staff/membership_add.html", {"form": form, "body": body})


def _membership(pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related(
            "person", "body", "municipality", "region", "organization"
        ),
        pk=pk,
    )


@secretariat_required
@require_http_methods(["GET", "POST"])
def membership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(pk)
    form = MembershipForm(request.POST or None, instance=membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(membership=membership, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Medlemskabet for %(person)s i %(body)s er gemt.")
                % {"person": membership.person.name, "body": membership.body.name},
            )
            return redirect(membership.body.get_absolute_url())
    membership = _membership(pk)
    return render(
        request,
        "organizations/staff/membership_edit.html",
        {"form": form, "membership": membership},
    )


@secretariat_required
@require_http_methods(["GET", "POST"])
def membership_end(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page (GET) and the end itself (POST). The membership is kept."""
    membership = _membership(pk)
    form = MembershipEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_end(membership=membership, end_date=form.cleaned_data["end_date"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(person)s er ikke længere med i %(body)s efter %(date)s.")
                % {
                    "person": membership.person.name,
                    "body": membership.body.name,
                    "date": date_format(form.cleaned_data["end_date"], "j. F Y"),
                },
            )
            return redirect(membership.body.get_absolute_url())
        membership = _membership(pk)
    return render(
        request,
        "organizations/staff/membership_end.html",
        {"form": form, "membership": membership},
    )


# --- imports -----------------------------------------------------------------------------------

# What each import page explains: a title, an introduction and an example file.
_IMPORT_PAGES: dict[str, dict[str, Any]] = {
    "members": {
        "title": _lazy("Importér medlemmer"),
        "columns": MEMBER_COLUMNS,
        "example": (
            "navn;email;telefon;stilling;organ;rolle;repræsenterer;stemmeret;fra;til\n"
            "Anne Jensen;anne.jensen@viborg.dk;87 87 87 87;Socialdirektør;fu;formand;"
            "Viborg Kommune;ja;01-01-2024;\n"
            "Bo Hansen;;;Konsulent;fu;observatør;KKR Midtjylland;nej;2024-03-01;2025-12-31"
        ),
    },
    "contacts": {
        "title": _lazy("Importér kontaktpersoner"),
        "columns": CONTACT_COLUMNS,
        "example": (
            "kommune;funktion;område;emne;navn;email;telefon;stilling\n"
            "Viborg Kommune;myndighed;børn og unge;betalingsaftaler;Anne Jensen;"
            "anne.jensen@viborg.dk;87 87 87 87;Teamleder\n"
            "751;drift;voksne;;Bo Hansen;bo.hansen@aarhus.dk;;Driftschef"
        ),
    },
}


def _import_page(
    request: HttpRequest, *, kind: str, run: Callable[..., ImportResult]
) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    result: ImportResult | None = None
    if request.method == "POST" and form.is_valid():
        result = run(upload=form.cleaned_data["file"])
        if result.ok:
            messages.success(request, _("Importen er gennemført: %s.") % result.summary())
            return redirect("organizations:staff_index")
        for error in result.errors:
            if error.row is None:
                form.add_error("file", error.message)
        bad_rows = len({error.row for error in result.errors if error.row is not None})
        if bad_rows:
            form.add_error(
                "file",
                ngettext(
                    "Der er fejl i %(n)d række. Intet er gemt. Ret fejlen, og prøv igen.",
                    "Der er fejl i %(n)d rækker. Intet er gemt. Ret fejlene, og prøv igen.",
                    bad_rows,
                )
                % {"n": bad_rows},
            )
    context = {
        **_IMPORT_PAGES[kind],
        "form": form,
        "kind": kind,
        "row_errors": [error for error in result.errors if error.row is not None] if result else [],
    }
    return render(request, "organizations/staff/import.html", context)


@secretariat_required
@require_http_methods(["GET", "POST"])
def import_members(request: HttpRequest) -> HttpResponse:
    return _import_page(request, kind="members", run=services.members_import)


@secretariat_required
@require_http_methods(["GET", "POST"])
def import_contacts(request: HttpRequest) -> HttpResponse:
    return _import_page(request, kind="contacts", run=services.contacts_import)


@secretariat_required
@require_http_methods(["GET", "POST"])
def import_subscribers(request: HttpRequest) -> HttpResponse:
    """Move an existing mailing list over: e-mail, navn, organer (names, short names or slugs
    of bodies). The bodies are mapped to the notices' topics here, which only this app knows."""
    form = SubscriberImportForm(request.POST or None, request.FILES or None)
    result: ImportResult | None = None
    if request.method == "POST" and form.is_valid():
        result = subscribers_import(
            form.cleaned_data["file"],
            by=request.user,
            mode=form.cleaned_data["mode"],
            frequency=form.cleaned_data["frequency"],
            topic_names=body_topic_names(),
        )
        if result.ok:
            messages.success(request, _("Importen er gennemført: %s.") % result.summary())
            return redirect("organizations:staff_index")
        for error in result.errors:
            if error.row is None:
                form.add_error("file", error.message)
        bad_rows = len({error.row for error in result.errors if error.row is not None})
        if bad_rows:
            form.add_error(
                "file",
                ngettext(
                    "Der er fejl i %(n)d række. Intet er gemt. Ret fejlen, og prøv igen.",
                    "Der er fejl i %(n)d rækker. Intet er gemt. Ret fejlene, og prøv igen.",
                    bad_rows,
                )
                % {"n": bad_rows},
            )
    context = {
        "form": form,
        "row_errors": [error for error in result.errors if error.row is not None] if result else [],
        "example": (
            "e-mail;navn;organer\n"
            "anne.jensen@viborg.dk;Anne Jensen;FU|Takstgruppen\n"
            "bo.hansen@aarhus.dk;;Forretningsudvalget"
        ),
    }
    return render(request, "organizations/staff/import_subscribers.html", context)
