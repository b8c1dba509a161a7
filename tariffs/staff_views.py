"""The write side of the tariffs: the yearly round (enter, submit, review, publish, correct), the
tables behind it (PL index, tariff rules, tariff years, efterregulering) and the import of a
year's tariffs.

Who gets in is decided by tariffs.permissions: a municipal editor enters and submits the tariffs
of the offers their municipality operates; the secretariat and the members of Takstgruppen
review; the secretariat publishes and keeps the tables. Anonymous visitors are sent to the login
page; others get 403, or 404 for a sheet they may not even see. The sheet page itself is public
once the sheet is published: how each figure was made is open to everyone. Every page works
without JavaScript; the import's status page refreshes itself (htmx, or a meta refresh).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from core.db import danish
from core.gates import login_required, permission_required, posted, posted_files
from meetings.forms import add_service_errors
from offers.models import AgreementPeriod, ImportState, Offer, OfferStatus
from offers.permissions import editable_offers, offers_visible_to
from organizations.permissions import editable_municipality_ids
from tariffs import services
from tariffs.calculation import Computation
from tariffs.forms import (
    ApproveForm,
    CorrectionForm,
    LineForm,
    PriceIndexForm,
    ReturnForm,
    SettlementForm,
    TariffImportForm,
    TariffRulesForm,
    TariffYearForm,
)
from tariffs.importers import (
    columns_with_help,
    example_file,
    job_errors,
    tariff_import_preview,
    tariff_import_start,
)
from tariffs.models import (
    PriceIndex,
    Service,
    Settlement,
    SheetState,
    TariffImport,
    TariffLine,
    TariffRules,
    TariffSheet,
    TariffYear,
    Unit,
)
from tariffs.permissions import (
    EDITABLE_STATES,
    can_edit_sheet,
    can_enter_tariffs,
    can_manage_tables,
    can_publish,
    can_review,
    can_see_history,
    sheets_visible_to,
)

RECENT_IMPORTS = 10
IN_PROGRESS = (SheetState.DRAFT, SheetState.SUBMITTED, SheetState.RETURNED, SheetState.APPROVED)
MIN_YEAR, MAX_YEAR = 2000, 2100


# --- gates ---------------------------------------------------------------------------------------


def enters_tariffs(user: Any) -> bool:
    """The secretariat and municipal editors: whoever enters some offer's tariffs."""
    return can_publish(user) or bool(editable_municipality_ids(user))


secretariat_required = permission_required(can_manage_tables)
publisher_required = permission_required(can_publish)
reviewer_required = permission_required(can_review)
enterer_required = permission_required(enters_tariffs)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _sheets() -> models.QuerySet[TariffSheet]:
    return TariffSheet.objects.select_related(
        "offer",
        "offer__operator_municipality",
        "offer__operator_region",
        "offer__location",
        "replaces",
        "created_by",
        "submitted_by",
        "reviewed_by",
    )


def _sheet_for(request: HttpRequest, pk: int) -> TariffSheet:
    """The sheet, if the user may see it (404 otherwise)."""
    return get_object_or_404(_sheets().filter(pk__in=sheets_visible_to(request.user)), pk=pk)


def _sheet_for_entering(request: HttpRequest, pk: int) -> TariffSheet:
    """The sheet, if the user enters its offer's tariffs: 404 if they may not even see it,
    else 403."""
    sheet = _sheet_for(request, pk)
    if not can_enter_tariffs(request.user, sheet.offer):
        raise PermissionDenied
    return sheet


def _year_param(request: HttpRequest, default: int) -> int:
    value = request.GET.get("aar") or request.POST.get("aar") or ""
    if value.strip().isdigit() and MIN_YEAR <= int(value) <= MAX_YEAR:
        return int(value)
    return default


def default_year(now: datetime.datetime | None = None) -> int:
    """The year the round is about: the year of the next submission deadline; after the last
    deadline, that last year; with no tariff years at all, the current year."""
    now = now or timezone.now()
    upcoming = (
        TariffYear.objects.filter(submission_deadline__gte=now)
        .order_by("submission_deadline")
        .values_list("year", flat=True)
        .first()
    )
    if upcoming is not None:
        return upcoming
    latest = TariffYear.objects.order_by("-year").values_list("year", flat=True).first()
    return latest if latest is not None else timezone.localdate(now).year


def _year_choices(year: int) -> list[int]:
    this = timezone.localdate().year
    years = set(TariffYear.objects.values_list("year", flat=True)) | {year, this, this + 1}
    return sorted(years, reverse=True)


def _money(value: Decimal | None) -> str:
    return "–" if value is None else number_format(value, 2, force_grouping=True)


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render with what the staff navigation needs to know about the user."""
    user = request.user
    context["can"] = {
        "enter": enters_tariffs(user),
        "review": can_review(user),
        "publish": can_publish(user),
        "tables": can_manage_tables(user),
    }
    return render(request, template, context, status=status)


# --- "Mine takster" ------------------------------------------------------------------------------


@dataclass
class OfferRow:
    """A covered offer on "Mine takster": its sheet in the works, and its published one."""

    offer: Offer
    working: TariffSheet | None
    published: TariffSheet | None

    @property
    def sheet(self) -> TariffSheet | None:
        return self.working or self.published


@enterer_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The covered offers the user enters tariffs for, with the state of each one's sheet for
    the year and the deadline (a fixed number of queries)."""
    year = _year_param(request, default_year())
    sheets = TariffSheet.objects.filter(year=year).exclude(state=SheetState.SUPERSEDED)
    offers = (
        editable_offers(request.user)
        .filter(is_covered=True)
        .exclude(status=OfferStatus.CLOSED)
        .select_related("operator_municipality", "operator_region")
        .prefetch_related(Prefetch("tariff_sheets", queryset=sheets, to_attr="year_sheets"))
        .order_by(danish("name"), "pk")
    )
    rows: list[OfferRow] = []
    for offer in offers:
        found: list[TariffSheet] = getattr(offer, "year_sheets", [])
        rows.append(
            OfferRow(
                offer=offer,
                working=next((s for s in found if s.state in IN_PROGRESS), None),
                published=next((s for s in found if s.state == SheetState.PUBLISHED), None),
            )
        )
    context = {
        "year": year,
        "years": _year_choices(year),
        "tariff_year": TariffYear.objects.filter(year=year).first(),
        "rows": rows,
        "missing": sum(1 for row in rows if row.sheet is None),
        "now": timezone.now(),
    }
    return _render(request, "tariffs/staff/mine.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def sheet_create(request: HttpRequest, offer_pk: int) -> HttpResponse:
    """Start the offer's sheet for a year (a draft)."""
    offer = get_object_or_404(
        offers_visible_to(request.user).select_related(
            "operator_municipality", "operator_region", "location"
        ),
        pk=offer_pk,
    )
    if not can_enter_tariffs(request.user, offer):
        raise PermissionDenied
    year = _year_param(request, default_year())
    error = ""
    if request.method == "POST":
        try:
            sheet = services.sheet_create(offer=offer, year=year, by=_user(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("Takstbladet for %(offer)s %(year)d er oprettet. Tilføj taksterne.")
                % {"offer": offer.name, "year": year},
            )
            return redirect(sheet.get_absolute_url())
    existing = (
        TariffSheet.objects.filter(offer=offer, year=year)
        .exclude(state=SheetState.SUPERSEDED)
        .order_by("-version")
        .first()
    )
    context = {"offer": offer, "year": year, "error": error, "existing": existing}
    return _render(request, "tariffs/staff/sheet_create.html", context)


# --- the sheet -----------------------------------------------------------------------------------


@dataclass
class LineView:
    """A line with its computation and the findings that concern it."""

    line: TariffLine
    computation: Computation | None
    findings: list[services.Finding] = field(default_factory=list)

    @property
    def difference(self) -> Decimal | None:
        if self.computation is None:
            return None
        return self.line.amount - self.computation.tariff

    @property
    def has_error(self) -> bool:
        return any(f.is_error for f in self.findings)


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    """One change of the sheet or one of its lines, from django-simple-history."""

    when: datetime.datetime
    who: Any
    what: str
    changes: list[Change] = field(default_factory=list)


SHEET_HISTORY_FIELDS = ("state", "review_comment", "correction_reason")


def _shown(name: str, value: Any) -> str:
    if value is None or value == "":
        return "–"
    if name == "state":
        return str(SheetState(value).label)
    if name == "service":
        return str(Service(value).label)
    if name == "unit":
        return str(Unit(value).label)
    if isinstance(value, Decimal):
        return _money(value)
    return str(value)


def _label_of(model: type[models.Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _diff(model: type[models.Model], names: Iterable[str], old: Any, new: Any) -> list[Change]:
    changes: list[Change] = []
    for name in names:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append(
                Change(_label_of(model, name), _shown(name, before), _shown(name, after))
            )
    return changes


def history_entries(sheet: TariffSheet) -> list[HistoryEntry]:
    """Who changed what on the sheet and its lines, newest first (two queries)."""
    entries: list[HistoryEntry] = []
    previous: Any = None
    for record in sheet.history.select_related("history_user").order_by(
        "history_date", "history_id"
    ):
        if previous is None:
            what = (
                _("Rettelse oprettet (version %(version)d)") % {"version": record.version}
                if record.version > 1
                else _("Takstbladet oprettet")
            )
            entries.append(HistoryEntry(record.history_date, record.history_user, what))
        else:
            changes = _diff(TariffSheet, SHEET_HISTORY_FIELDS, previous, record)
            if changes:
                entries.append(
                    HistoryEntry(
                        record.history_date,
                        record.history_user,
                        _("Takstbladet ændret"),
                        changes,
                    )
                )
        previous = record
    last: dict[int, Any] = {}
    line_history = TariffLine.history.filter(sheet_id=sheet.pk)
    for record in line_history.select_related("history_user").order_by(
        "history_date", "history_id"
    ):
        name = f"{_shown('service', record.service)} {record.label}".strip()
        before = last.get(record.id)
        if record.history_type == "+":
            what = _("Takst tilføjet: %(line)s, %(amount)s kr. %(unit)s") % {
                "line": name,
                "amount": _money(record.amount),
                "unit": _shown("unit", record.unit),
            }
            entries.append(HistoryEntry(record.history_date, record.history_user, what))
        elif record.history_type == "-":
            entries.append(
                HistoryEntry(
                    record.history_date,
                    record.history_user,
                    _("Takst slettet: %(line)s") % {"line": name},
                )
            )
        else:
            changes = (
                _diff(TariffLine, services.LINE_FIELDS, before, record)
                if before is not None
                else []
            )
            entries.append(
                HistoryEntry(
                    record.history_date,
                    record.history_user,
                    _("Takst ændret: %(line)s") % {"line": name},
                    changes,
                )
            )
        last[record.id] = record
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries


def _versions(request: HttpRequest, sheet: TariffSheet) -> list[TariffSheet]:
    return list(
        sheets_visible_to(request.user)
        .filter(offer_id=sheet.offer_id, year=sheet.year)
        .select_related("created_by")
        .order_by("version")
    )


def _correction_in_progress(sheet: TariffSheet, versions: list[TariffSheet]) -> TariffSheet | None:
    return next((v for v in versions if v.replaces_id == sheet.pk), None)


def sheet_context(request: HttpRequest, sheet: TariffSheet) -> dict[str, Any]:
    """Everything the sheet page shows (also under the submit page's errors)."""
    user = request.user
    lines = list(sheet.lines.all())
    may_enter = can_enter_tariffs(user, sheet.offer)
    reviewer = can_review(user)
    staff_view = may_enter or reviewer
    findings = services.sheet_check(sheet, lines) if staff_view else []
    by_line: dict[int, list[services.Finding]] = {}
    for finding in findings:
        if finding.line is not None:
            by_line.setdefault(finding.line.pk, []).append(finding)
    versions = _versions(request, sheet)
    correction = _correction_in_progress(sheet, versions)
    return {
        "sheet": sheet,
        "offer": sheet.offer,
        "lines": [
            LineView(line, services.line_computation(line), by_line.get(line.pk, []))
            for line in lines
        ],
        "staff_view": staff_view,
        "errors": [f for f in findings if f.is_error],
        "warnings": [f for f in findings if not f.is_error],
        "settlement_due": services.settlement_due(sheet.offer, sheet.year) if staff_view else None,
        "versions": versions,
        "correction": correction,
        "may_edit": can_edit_sheet(user, sheet),
        "may_enter": may_enter,
        "may_review": reviewer and sheet.state in (SheetState.SUBMITTED, SheetState.APPROVED),
        "may_correct": (may_enter or can_publish(user))
        and sheet.state == SheetState.PUBLISHED
        and correction is None,
        "may_publish": can_publish(user) and sheet.state == SheetState.APPROVED,
        "history": history_entries(sheet) if can_see_history(user) else None,
        "tariff_year": TariffYear.objects.filter(year=sheet.year).first() if staff_view else None,
    }


@require_GET
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A sheet: its lines, how each tariff is computed, and (for those who work on it) the
    findings, the review, the versions and the history."""
    sheet = _sheets().filter(pk__in=sheets_visible_to(request.user)).filter(pk=pk).first()
    if sheet is None:
        hidden = TariffSheet.objects.filter(pk=pk).first()
        if hidden is not None and hidden.state == SheetState.SUPERSEDED:
            # An old link to a corrected sheet leads to the version that holds now.
            current = TariffSheet.objects.filter(
                offer_id=hidden.offer_id, year=hidden.year, state=SheetState.PUBLISHED
            ).first()
            if current is not None:
                return redirect(current.get_absolute_url())
        if hidden is not None and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404
    return _render(request, "tariffs/staff/sheet.html", sheet_context(request, sheet))


def _refuse_unless_editable(request: HttpRequest, sheet: TariffSheet) -> HttpResponse | None:
    """A sheet that is no longer a draft is not edited: back to it, with why."""
    if sheet.state in EDITABLE_STATES:
        return None
    messages.error(
        request,
        _("Takstbladet er %(state)s og kan ikke ændres.")
        % {"state": sheet.get_state_display().lower()},
    )
    return redirect(sheet.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def line_form(request: HttpRequest, pk: int, line_pk: int | None = None) -> HttpResponse:
    """Add or change a tariff of a draft (or returned) sheet, with its whole basis."""
    sheet = _sheet_for_entering(request, pk)
    line = get_object_or_404(TariffLine, pk=line_pk, sheet=sheet) if line_pk is not None else None
    refused = _refuse_unless_editable(request, sheet)
    if refused is not None:
        return refused
    rules = services.rules_for(sheet.offer, sheet.year)
    form = LineForm(
        posted(request), instance=line, sheet=sheet, default_overhead=rules.overhead_percent
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.line_save(
                sheet=sheet, by=_user(request), values=form.service_values(), line=line
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Taksten %(line)s er gemt.") % {"line": saved})
            return redirect(f"{sheet.get_absolute_url()}#takst-{saved.pk}")
    context = {"sheet": sheet, "offer": sheet.offer, "line": line, "form": form, "rules": rules}
    return _render(request, "tariffs/staff/line_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def line_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    sheet = _sheet_for_entering(request, pk)
    line = get_object_or_404(TariffLine, pk=line_pk, sheet=sheet)
    refused = _refuse_unless_editable(request, sheet)
    if refused is not None:
        return refused
    if request.method == "POST":
        services.line_remove(line=line, by=_user(request))
        messages.success(request, _("Taksten %(line)s er slettet.") % {"line": line})
        return redirect(sheet.get_absolute_url())
    context = {"sheet": sheet, "offer": sheet.offer, "line": line}
    return _render(request, "tariffs/staff/line_delete.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def sheet_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor submits the sheet to Takstgruppen; errors block it and are listed."""
    sheet = _sheet_for_entering(request, pk)
    refused = _refuse_unless_editable(request, sheet)
    if refused is not None:
        return refused
    refusal: list[str] = []
    if request.method == "POST":
        try:
            services.sheet_submit(sheet=sheet, by=_user(request))
        except ValidationError as exc:
            refusal = exc.messages
        else:
            messages.success(
                request,
                _("Takstbladet er indsendt til takstgruppen. Du får besked, hvis det returneres."),
            )
            return redirect(sheet.get_absolute_url())
    context = sheet_context(request, sheet)
    context["refusal"] = refusal
    return _render(request, "tariffs/staff/submit.html", context, status=200)


@reviewer_required
@require_http_methods(["GET", "POST"])
def sheet_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Takstgruppen approves a submitted sheet (with an optional comment) or returns it (with a
    comment saying what to fix)."""
    sheet = get_object_or_404(_sheets(), pk=pk)
    returning = request.method == "POST" and "return" in request.POST
    approve_form = ApproveForm(posted(request) if not returning else None)
    return_form = ReturnForm(posted(request) if returning else None)
    reviewable = sheet.state in (SheetState.SUBMITTED, SheetState.APPROVED)
    if request.method == "POST" and not reviewable:
        messages.error(
            request,
            _("Takstbladet er %(state)s og kan ikke behandles.")
            % {"state": sheet.get_state_display().lower()},
        )
    elif request.method == "POST":
        form: forms.Form = return_form if returning else approve_form
        if form.is_valid():
            comment = form.cleaned_data["comment"]
            try:
                if returning:
                    services.sheet_return(sheet=sheet, by=_user(request), comment=comment)
                else:
                    services.sheet_approve(sheet=sheet, by=_user(request), comment=comment)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if returning:
                    messages.success(
                        request,
                        _("Takstbladet for %(offer)s er returneret til kommunen.")
                        % {"offer": sheet.offer.name},
                    )
                else:
                    messages.success(
                        request,
                        _("Takstbladet for %(offer)s er godkendt.") % {"offer": sheet.offer.name},
                    )
                return redirect(f"{reverse('tariffs:review')}?aar={sheet.year}")
    context = sheet_context(request, sheet)
    context.update(
        {"approve_form": approve_form, "return_form": return_form, "reviewable": reviewable}
    )
    return _render(request, "tariffs/staff/review_sheet.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def sheet_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a correction of a published sheet: a new version, with why."""
    sheet = _sheet_for(request, pk)
    if not (can_enter_tariffs(request.user, sheet.offer) or can_publish(request.user)):
        raise PermissionDenied
    form = CorrectionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            correction = services.sheet_correct(
                sheet=sheet, by=_user(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Rettelsen (version %(version)d) er oprettet som kladde. De offentliggjorte "
                    "takster gælder, indtil rettelsen er godkendt og offentliggjort."
                )
                % {"version": correction.version},
            )
            return redirect(correction.get_absolute_url())
    context = {"sheet": sheet, "offer": sheet.offer, "form": form}
    return _render(request, "tariffs/staff/correct.html", context)


# --- review and publication ----------------------------------------------------------------------


@dataclass
class QueueRow:
    sheet: TariffSheet
    warnings: list[services.Finding]
    errors: list[services.Finding]


@reviewer_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """Submitted sheets waiting for Takstgruppen, each with its warnings; the approved ones
    waiting to be published; and the covered offers with no sheet for the year."""
    year = _year_param(request, default_year())
    submitted = list(
        _sheets()
        .filter(state=SheetState.SUBMITTED)
        .prefetch_related("lines")
        .order_by("year", "submitted_at", "pk")
    )
    # Every sheet's warnings, checked together in a fixed number of queries.
    checked = services.sheets_check(submitted)
    rows: list[QueueRow] = []
    for sheet in submitted:
        findings = checked[sheet.pk]
        rows.append(
            QueueRow(
                sheet,
                [f for f in findings if not f.is_error],
                [f for f in findings if f.is_error],
            )
        )
    approved = list(
        _sheets().filter(year=year, state=SheetState.APPROVED).order_by(danish("offer__name"))
    )
    context = {
        "year": year,
        "years": _year_choices(year),
        "rows": rows,
        "approved": approved,
        "without": services.covered_without_tariff(year),
        "tariff_year": TariffYear.objects.filter(year=year).first(),
    }
    return _render(request, "tariffs/staff/review.html", context)


@publisher_required
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest) -> HttpResponse:
    """Publish a year's approved sheets, after a page listing exactly what will be published."""
    year = _year_param(request, default_year())
    error = ""
    if request.method == "POST":
        try:
            published = services.year_publish(year=year, by=_user(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)d takstblad for %(year)d er offentliggjort.",
                    "%(n)d takstblade for %(year)d er offentliggjort.",
                    len(published),
                )
                % {"n": len(published), "year": year},
            )
            return redirect(f"{reverse('tariffs:review')}?aar={year}")
    approved = list(
        _sheets()
        .filter(year=year, state=SheetState.APPROVED)
        .prefetch_related("lines")
        .order_by(danish("offer__name"), "pk")
    )
    pending = Counter(
        TariffSheet.objects.filter(
            year=year, state__in=[SheetState.DRAFT, SheetState.SUBMITTED, SheetState.RETURNED]
        ).values_list("state", flat=True)
    )
    context = {
        "year": year,
        "years": _year_choices(year),
        "approved": approved,
        "pending": [(SheetState(state).label, n) for state, n in sorted(pending.items())],
        "error": error,
        "tariff_year": TariffYear.objects.filter(year=year).first(),
    }
    return _render(request, "tariffs/staff/publish.html", context)


# --- the tables ----------------------------------------------------------------------------------


@transaction.atomic
def _table_save(form: forms.ModelForm[Any], *, by: User) -> models.Model:
    """A row of a table kept by the secretariat, validated by its form."""
    if not can_manage_tables(by):
        raise PermissionDenied
    instance: models.Model = form.save()
    return instance


@secretariat_required
@require_GET
def price_index(request: HttpRequest) -> HttpResponse:
    """The PL index per year, with the change from the year before."""
    rows: list[tuple[PriceIndex, Decimal | None]] = []
    previous: PriceIndex | None = None
    for row in PriceIndex.objects.order_by("year"):
        change = None
        if previous is not None and previous.year == row.year - 1:
            change = ((row.index - previous.index) / previous.index * 100).quantize(Decimal("0.1"))
        rows.append((row, change))
        previous = row
    rows.reverse()
    return _render(request, "tariffs/staff/price_index.html", {"rows": rows})


@secretariat_required
@require_http_methods(["GET", "POST"])
def price_index_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    instance = get_object_or_404(PriceIndex, pk=pk) if pk is not None else None
    form = PriceIndexForm(posted(request), instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = _table_save(form, by=_user(request))
        messages.success(request, _("PL-indekset %(row)s er gemt.") % {"row": saved})
        return redirect("tariffs:price_index")
    context = {
        "form": form,
        "instance": instance,
        "title": _("PL-indeks"),
        "list_url": reverse("tariffs:price_index"),
    }
    return _render(request, "tariffs/staff/table_form.html", context)


@secretariat_required
@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    """Every agreement period with its tariff rules (the defaults where none are set)."""
    periods = AgreementPeriod.objects.select_related("region", "tariff_rules").order_by(
        "-start_date", "region__code"
    )
    defaults = TariffRules()
    rows = []
    for period in periods:
        own: TariffRules | None = getattr(period, "tariff_rules", None)
        rows.append((period, own or defaults, own is not None))
    return _render(request, "tariffs/staff/rules.html", {"rows": rows})


@secretariat_required
@require_http_methods(["GET", "POST"])
def rules_form(request: HttpRequest, period_pk: int) -> HttpResponse:
    period = get_object_or_404(AgreementPeriod.objects.select_related("region"), pk=period_pk)
    instance = TariffRules.objects.filter(period=period).first() or TariffRules(period=period)
    form = TariffRulesForm(posted(request), instance=instance)
    if request.method == "POST" and form.is_valid():
        _table_save(form, by=_user(request))
        messages.success(
            request, _("Takstreglerne for %(period)s er gemt.") % {"period": period.name}
        )
        return redirect("tariffs:rules")
    context = {
        "form": form,
        "instance": period,
        "title": _("Takstregler"),
        "list_url": reverse("tariffs:rules"),
    }
    return _render(request, "tariffs/staff/table_form.html", context)


@secretariat_required
@require_GET
def years(request: HttpRequest) -> HttpResponse:
    """The tariff years with their deadlines and how far each round has come."""
    counts: dict[int, dict[str, int]] = {}
    for row in TariffSheet.objects.values("year", "state").annotate(n=Count("pk")):
        counts.setdefault(row["year"], {})[row["state"]] = row["n"]
    rows = [
        (
            tariff_year,
            [
                (SheetState(state).label, n)
                for state, n in sorted(counts.get(tariff_year.year, {}).items())
            ],
        )
        for tariff_year in TariffYear.objects.order_by("-year")
    ]
    return _render(request, "tariffs/staff/years.html", {"rows": rows})


@secretariat_required
@require_http_methods(["GET", "POST"])
def year_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    instance = get_object_or_404(TariffYear, pk=pk) if pk is not None else None
    form = TariffYearForm(posted(request), instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = _table_save(form, by=_user(request))
        messages.success(request, _("Takståret %(year)s er gemt.") % {"year": saved})
        return redirect("tariffs:years")
    context = {
        "form": form,
        "instance": instance,
        "title": _("Takstår"),
        "list_url": reverse("tariffs:years"),
    }
    return _render(request, "tariffs/staff/table_form.html", context)


# --- efterregulering -----------------------------------------------------------------------------


def _settlement_offers(user: Any) -> models.QuerySet[Offer]:
    return (
        editable_offers(user)
        .select_related("operator_municipality", "operator_region")
        .order_by(danish("name"), "pk")
    )


@enterer_required
@require_GET
def settlements(request: HttpRequest) -> HttpResponse:
    """The recorded results (efterregulering) of the offers the user enters tariffs for."""
    rows = (
        Settlement.objects.filter(offer__in=editable_offers(request.user))
        .select_related("offer")
        .order_by("-year", danish("offer__name"))
    )
    return _render(request, "tariffs/staff/settlements.html", {"rows": rows})


@enterer_required
@require_http_methods(["GET", "POST"])
def settlement_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Record a past year's budget, revenue and costs for an offer; the split into the next two
    years follows the agreement period's rule."""
    offers = _settlement_offers(request.user)
    instance = None
    initial: dict[str, Any] = {}
    if pk is not None:
        instance = get_object_or_404(Settlement.objects.select_related("offer"), pk=pk)
        if not can_enter_tariffs(request.user, instance.offer):
            raise PermissionDenied
        initial = {
            "offer": instance.offer_id,
            "year": instance.year,
            "budget": instance.budget,
            "actual_revenue": instance.actual_revenue,
            "actual_costs": instance.actual_costs,
        }
    elif request.GET.get("tilbud", "").isdigit():
        initial["offer"] = int(request.GET["tilbud"])
    form = SettlementForm(posted(request), offers=offers, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            settlement = services.settlement_record(
                offer=data["offer"],
                year=data["year"],
                by=_user(request),
                budget=data["budget"],
                actual_revenue=data["actual_revenue"],
                actual_costs=data["actual_costs"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Efterreguleringen for %(offer)s %(year)d er gemt: %(next)s kr. indregnes i "
                    "%(next_year)d og %(after)s kr. i %(after_year)d."
                )
                % {
                    "offer": settlement.offer.name,
                    "year": settlement.year,
                    "next": _money(settlement.next_year),
                    "next_year": settlement.year + 1,
                    "after": _money(settlement.year_after),
                    "after_year": settlement.year + 2,
                },
            )
            return redirect("tariffs:settlements")
    context = {"form": form, "instance": instance}
    return _render(request, "tariffs/staff/settlement_form.html", context)


# --- import --------------------------------------------------------------------------------------


@secretariat_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload and check a file of a year's tariffs; a valid one goes on to its preview."""
    form = TariffImportForm(
        posted(request), posted_files(request), initial={"year": default_year()}
    )
    row_errors = []
    if request.method == "POST" and form.is_valid():
        job, plan = tariff_import_preview(
            upload=form.cleaned_data["file"], year=form.cleaned_data["year"], by=_user(request)
        )
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
        "columns": columns_with_help(),
        "example": example_file(),
        "jobs": TariffImport.objects.select_related("created_by").defer("content")[:RECENT_IMPORTS],
    }
    return _render(request, "tariffs/staff/import.html", context)


@secretariat_required
@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview (with the button that applies it), the progress, or the result."""
    job = get_object_or_404(
        TariffImport.objects.select_related("created_by", "applied_by").defer("content"), pk=pk
    )
    error = ""
    if request.method == "POST":
        try:
            tariff_import_start(job=job, by=_user(request))
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
        "status_url": reverse("tariffs:import_job", args=[job.pk]),
        "done": job.state == ImportState.DONE,
    }
    template = "tariffs/staff/_import_progress.html" if htmx else "tariffs/staff/import_job.html"
    return _render(request, template, context)
