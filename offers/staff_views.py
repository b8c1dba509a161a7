"""The write side of the offer registry: create and edit offers, propose and decide lifecycle
events, keep the maintained tables (legal bases, target groups, agreement periods), and import
offers from a Tilbudsportalen-like export.

Who gets in is decided by offers.permissions: the secretariat everywhere; a municipal editor
only on the offers their municipality operates (edit, propose a change). Anonymous visitors are
sent to the login page; others get 403, or 404 for an offer they may not even see. Every page
works without JavaScript; the import's status page refreshes itself (htmx, or a meta refresh).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from core.gates import login_required, permission_required, posted
from meetings.forms import add_service_errors
from offers import rules, services
from offers.forms import (
    AgreementPeriodForm,
    EventConfirmForm,
    EventForm,
    EventRejectForm,
    LegalBasisForm,
    OfferForm,
    OfferImportForm,
    TargetGroupForm,
)
from offers.importers import (
    COLUMN_HELP,
    COLUMNS,
    job_errors,
    offer_import_preview,
    offer_import_start,
)
from offers.models import (
    AgreementPeriod,
    Capacity,
    EventKind,
    EventState,
    ImportJob,
    LegalBasis,
    LifecycleEvent,
    Offer,
    TargetGroup,
)
from offers.permissions import (
    can_edit_offer,
    can_manage_offers,
    can_propose_event,
    offers_visible_to,
)
from offers.rules import ElectoralPeriod

RECENT_DECISIONS = 20
RECENT_IMPORTS = 10


# --- gates ---------------------------------------------------------------------------------------


secretariat_required = permission_required(can_manage_offers)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _offer_for_editing(request: HttpRequest, pk: int) -> Offer:
    """The offer, if the user may edit it: 404 if they may not even see it, else 403."""
    offer = get_object_or_404(
        offers_visible_to(request.user).select_related(
            "operator_municipality", "operator_region", "location"
        ),
        pk=pk,
    )
    if not can_edit_offer(request.user, offer):
        raise PermissionDenied
    return offer


def _d(day: datetime.date) -> str:
    return date_format(day, "j. F Y")


# --- offers --------------------------------------------------------------------------------------


@secretariat_required
@require_http_methods(["GET", "POST"])
def offer_create(request: HttpRequest) -> HttpResponse:
    form = OfferForm(posted(request), secretariat=True)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_create(by=_user(request), **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, OfferForm.ALIASES)
        else:
            messages.success(request, _("Tilbuddet %(name)s er oprettet.") % {"name": offer.name})
            return redirect(offer.get_absolute_url())
    return render(request, "offers/staff/offer_form.html", {"form": form, "offer": None})


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    offer = _offer_for_editing(request, pk)
    secretariat = can_manage_offers(request.user)
    form = OfferForm(posted(request), offer=offer, secretariat=secretariat)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_update(offer=offer, by=_user(request), **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, OfferForm.ALIASES)
        else:
            messages.success(request, _("Tilbuddet %(name)s er gemt.") % {"name": offer.name})
            return redirect(offer.get_absolute_url())
        offer = _offer_for_editing(request, pk)  # a failed save may have changed the instance
    context = {"form": form, "offer": offer, "secretariat": secretariat}
    return render(request, "offers/staff/offer_form.html", context)


# --- lifecycle events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRule:
    label: str
    months: int


@dataclass(frozen=True)
class NoticeRules:
    """The notice rules that apply to a change to the offer announced today."""

    period: AgreementPeriod | None
    rules: list[NoticeRule]
    takeover: ElectoralPeriod


def _notice_rules(offer: Offer, today: datetime.date) -> NoticeRules:
    period = services.agreement_period_for(offer, today)
    found: list[NoticeRule] = []
    if period is not None:
        for kind, field in services.NOTICE_FIELD.items():
            found.append(NoticeRule(str(EventKind(kind).label), int(getattr(period, field))))
    return NoticeRules(period=period, rules=found, takeover=rules.next_takeover(today))


@login_required
@require_http_methods(["GET", "POST"])
def event_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """An editor proposes a change; the secretariat proposes one, sends it in a written round, or
    records it as decided at once ("Registrér som besluttet")."""
    offer = get_object_or_404(
        offers_visible_to(request.user).select_related(
            "operator_municipality", "operator_region", "location"
        ),
        pk=pk,
    )
    takeover_only = not can_edit_offer(request.user, offer)
    if takeover_only and not can_propose_event(request.user, offer, EventKind.TAKEOVER):
        raise PermissionDenied
    secretariat = can_manage_offers(request.user)
    form = EventForm(posted(request), offer=offer, secretariat=secretariat)
    if takeover_only:
        # The municipality a regional offer lies in proposes its takeover (SEL § 186), nothing else.
        kind_field = form.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)  # noqa: S101 - the form declares it so
        kind_field.choices = [(EventKind.TAKEOVER.value, EventKind.TAKEOVER.label)]
        kind_field.initial = EventKind.TAKEOVER
    if request.method == "POST" and form.is_valid():
        try:
            if form.records:
                event = services.event_record(
                    offer=offer, by=_user(request), **form.service_kwargs()
                )
            else:
                event = services.event_propose(
                    offer=offer, by=_user(request), **form.service_kwargs()
                )
        except ValidationError as exc:
            add_service_errors(form, exc, EventForm.ALIASES)
        else:
            if event.state == EventState.CONFIRMED:
                messages.success(request, _("Ændringen er registreret som besluttet."))
            elif event.decided_by_round_id is not None:
                messages.success(
                    request,
                    _(
                        "Ændringen er knyttet til den skriftlige høring og bekræftes, når "
                        "høringen er godkendt."
                    ),
                )
            else:
                messages.success(
                    request, _("Ændringen er foreslået og venter på sekretariatets bekræftelse.")
                )
            if event.announced_late and event.notice_due is not None:
                messages.warning(
                    request,
                    _(
                        "Ændringen er varslet for sent: den skulle have været varslet senest "
                        "%(day)s."
                    )
                    % {"day": _d(event.notice_due)},
                )
            return redirect(offer.get_absolute_url())
    context = {
        "form": form,
        "offer": offer,
        "secretariat": secretariat,
        "notice": _notice_rules(offer, timezone.localdate()),
    }
    return render(request, "offers/staff/event_form.html", context)


def _events() -> models.QuerySet[LifecycleEvent]:
    return LifecycleEvent.objects.select_related(
        "offer",
        "offer__operator_municipality",
        "offer__operator_region",
        "legal_basis",
        "to_legal_basis",
        "new_operator_municipality",
        "new_operator_region",
        "decided_by_round",
        "decided_by_item__meeting",
        "proposed_by",
        "decided_by",
    )


@secretariat_required
@require_GET
def event_queue(request: HttpRequest) -> HttpResponse:
    """Proposed changes waiting for the secretariat, oldest date of effect first; and the latest
    decisions."""
    proposed = list(_events().filter(state=EventState.PROPOSED).order_by("effective_date", "pk"))
    decided = list(
        _events()
        .exclude(state=EventState.PROPOSED)
        .order_by("-decided_at", "-pk")[:RECENT_DECISIONS]
    )
    context = {
        "proposed": proposed,
        "decided": decided,
        "late": sum(1 for event in proposed if event.announced_late),
    }
    return render(request, "offers/staff/events.html", context)


@dataclass(frozen=True)
class CapacityPreview:
    """Places on the date of effect without and with the change (and after an over-occupancy
    ends); `error` when confirming would be refused."""

    day: datetime.date
    before: int
    after: int
    after_end: int | None = None
    error: str = ""


class _DryRun(Exception):
    def __init__(self, rows: list[Capacity]) -> None:
        super().__init__("dry run")
        self.rows = rows


def _capacity_preview(event: LifecycleEvent, by: User) -> CapacityPreview:
    """What confirming would do to the places: the service itself runs in a transaction that is
    always rolled back, so the page shows exactly what it would write (one copy of the rules)."""
    day = event.effective_date
    current: list[Any] = list(Capacity.objects.filter(offer_id=event.offer_id))
    before = rules.places_on(current, day)
    error = ""
    after_rows: list[Any] = current
    try:
        with transaction.atomic():
            services.event_confirm(event=event, by=by)
            raise _DryRun(list(Capacity.objects.filter(offer_id=event.offer_id)))
    except _DryRun as dry:
        after_rows = list(dry.rows)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    after_end = None
    if event.end_date is not None:
        after_end = rules.places_on(after_rows, event.end_date + datetime.timedelta(days=1))
    return CapacityPreview(
        day=day,
        before=before,
        after=rules.places_on(after_rows, day),
        after_end=after_end,
        error=error,
    )


@secretariat_required
@require_http_methods(["GET", "POST"])
def event_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a proposed change (with an optional note) or reject it (with a reason)."""
    event = get_object_or_404(_events(), pk=pk)
    rejecting = request.method == "POST" and "reject" in request.POST
    confirm_form = EventConfirmForm(posted(request) if not rejecting else None)
    reject_form = EventRejectForm(posted(request) if rejecting else None)
    if request.method == "POST" and event.state != EventState.PROPOSED:
        messages.error(
            request,
            _("Ændringen er allerede %(state)s.") % {"state": event.get_state_display().lower()},
        )
    elif request.method == "POST":
        form: forms.Form = reject_form if rejecting else confirm_form
        if form.is_valid():
            try:
                if rejecting:
                    services.event_reject(
                        event=event, by=_user(request), note=form.cleaned_data["reason"]
                    )
                else:
                    services.event_confirm(
                        event=event, by=_user(request), note=form.cleaned_data["note"]
                    )
            except ValidationError as exc:
                add_service_errors(form, exc, EventRejectForm.ALIASES if rejecting else None)
            else:
                if rejecting:
                    messages.success(request, _("Ændringen er afvist."))
                else:
                    messages.success(
                        request,
                        _("Ændringen for %(offer)s er bekræftet.") % {"offer": event.offer.name},
                    )
                return redirect("offers:events")
    preview = (
        _capacity_preview(event, _user(request)) if event.state == EventState.PROPOSED else None
    )
    context = {
        "event": event,
        "confirm_form": confirm_form,
        "reject_form": reject_form,
        "preview": preview,
    }
    return render(request, "offers/staff/event_decide.html", context)


# --- the maintained tables -----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One maintained table: its model, form, names and URLs."""

    model: type[models.Model]
    form: type[forms.ModelForm[Any]]
    title: str
    singular: str
    list_url: str
    create_url: str
    edit_url: str


def _tables() -> dict[str, Table]:
    return {
        "legal_bases": Table(
            LegalBasis,
            LegalBasisForm,
            _("Lovgrundlag"),
            _("lovgrundlag"),
            "offers:legal_bases",
            "offers:legal_basis_create",
            "offers:legal_basis_edit",
        ),
        "target_groups": Table(
            TargetGroup,
            TargetGroupForm,
            _("Målgrupper"),
            _("målgruppe"),
            "offers:target_groups",
            "offers:target_group_create",
            "offers:target_group_edit",
        ),
        "agreement_periods": Table(
            AgreementPeriod,
            AgreementPeriodForm,
            _("Aftaleperioder"),
            _("aftaleperiode"),
            "offers:agreement_periods",
            "offers:agreement_period_create",
            "offers:agreement_period_edit",
        ),
    }


@transaction.atomic
def _table_save(form: forms.ModelForm[Any], *, by: User) -> models.Model:
    """A row of a maintained table, validated by its form (full_clean included)."""
    if not can_manage_offers(by):
        raise PermissionDenied
    instance: models.Model = form.save()
    return instance


def _table_list(request: HttpRequest, name: str, rows: Any) -> HttpResponse:
    context = {"table": _tables()[name], "name": name, "rows": rows}
    return render(request, f"offers/staff/{name}.html", context)


def _table_form(request: HttpRequest, name: str, pk: int | None) -> HttpResponse:
    table = _tables()[name]
    instance = get_object_or_404(table.model, pk=pk) if pk is not None else None
    form = table.form(posted(request), instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = _table_save(form, by=_user(request))
        messages.success(request, _("%(name)s er gemt.") % {"name": saved})
        return redirect(table.list_url)
    context = {"table": table, "form": form, "instance": instance}
    return render(request, "offers/staff/table_form.html", context)


@secretariat_required
@require_GET
def legal_bases(request: HttpRequest) -> HttpResponse:
    rows = LegalBasis.objects.annotate(offer_count=models.Count("offers"))
    return _table_list(request, "legal_bases", rows)


@secretariat_required
@require_http_methods(["GET", "POST"])
def legal_basis_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _table_form(request, "legal_bases", pk)


@secretariat_required
@require_GET
def target_groups(request: HttpRequest) -> HttpResponse:
    rows = TargetGroup.objects.annotate(offer_count=models.Count("offers"))
    return _table_list(request, "target_groups", rows)


@secretariat_required
@require_http_methods(["GET", "POST"])
def target_group_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _table_form(request, "target_groups", pk)


@secretariat_required
@require_GET
def agreement_periods(request: HttpRequest) -> HttpResponse:
    rows = AgreementPeriod.objects.select_related("region").annotate(
        offer_count=models.Count("offers")
    )
    return _table_list(request, "agreement_periods", rows)


@secretariat_required
@require_http_methods(["GET", "POST"])
def agreement_period_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _table_form(request, "agreement_periods", pk)


# --- import --------------------------------------------------------------------------------------


def _import_example() -> str:
    return (
        "Tilbudsportalen-id;Navn;Driftsherre;Beliggenhedskommune;Adresse;Postnr;By;Område;"
        "Tilbudstype;Paragraffer;Målgrupper;Pladser\n"
        "12345;Bostedet Åparken;Viborg Kommune;Viborg Kommune;Åvej 4;8800;Viborg;Voksne;"
        "Botilbud;SEL § 107; SEL § 108;Voksne med udviklingshæmning;24\n"
    ).replace("SEL § 107; SEL § 108", '"SEL § 107; SEL § 108"')


@secretariat_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload and check a file; a valid one goes on to its preview."""
    form = OfferImportForm(posted(request), request.FILES if request.method == "POST" else None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        job, plan = offer_import_preview(upload=form.cleaned_data["file"], by=_user(request))
        if job is not None:
            return redirect(job.get_absolute_url())
        for error in plan.errors:
            if error.row is None:
                form.add_error("file", error.message)
        row_errors = [error for error in plan.errors if error.row is not None]
        bad_rows = len({error.row for error in row_errors})
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
        "row_errors": row_errors,
        "columns": [(column, COLUMN_HELP.get(column.name, "")) for column in COLUMNS],
        "example": _import_example(),
        "jobs": ImportJob.objects.select_related("created_by").defer("content")[:RECENT_IMPORTS],
    }
    return render(request, "offers/staff/import.html", context)


@secretariat_required
@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview (with the button that applies it), the progress, or the result."""
    job = get_object_or_404(
        ImportJob.objects.select_related("created_by", "applied_by").defer("content"), pk=pk
    )
    error = ""
    if request.method == "POST":
        try:
            offer_import_start(job=job, by=_user(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect(job.get_absolute_url())
    htmx = request.headers.get("HX-Request") == "true"
    if htmx and not job.is_running:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # the whole page shows the result
        return response
    context = {
        "job": job,
        "error": error,
        "preview": job.preview,
        "errors": job_errors(job),
        "import_date": (
            datetime.date.fromisoformat(job.preview["import_date"])
            if job.preview.get("import_date")
            else None
        ),
        "status_url": reverse("offers:import_job", args=[job.pk]),
    }
    template = "offers/staff/_import_progress.html" if htmx else "offers/staff/import_job.html"
    return render(request, template, context)
