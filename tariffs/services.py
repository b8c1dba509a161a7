"""The yearly tariff round: enter, check, submit, review, publish, correct.

States: draft → submitted → approved (or returned → submitted again) → published. A published
sheet is never edited: `sheet_correct` starts a new version (who, when, why) that replaces it
when published. django-simple-history keeps every change of sheets and lines.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from offers.models import AgreementPeriod, Offer
from offers.services import agreement_period_for
from tariffs import notifications
from tariffs.calculation import (
    Basis,
    CalculationError,
    Computation,
    compute_tariff,
    fixed_price_change,
    split_settlement,
)
from tariffs.models import (
    PriceIndex,
    Settlement,
    SheetState,
    TariffLine,
    TariffRules,
    TariffSheet,
    TariffYear,
)
from tariffs.permissions import (
    EDITABLE_STATES,
    can_edit_sheet,
    can_enter_tariffs,
    can_publish,
    can_review_sheet,
)

logger = logging.getLogger(__name__)

RENDER_OVERVIEW_TASK = "tariffs.tasks.render_overview_pdf"

BASIS_FIELDS = (
    "staff_costs",
    "operating_costs",
    "indirect_costs",
    "building_costs",
    "overhead_percent",
    "places",
    "days",
    "occupancy_percent",
)
LINE_FIELDS = (
    "order",
    "service",
    "label",
    "unit",
    "amount",
    "base_amount",
    "service_amount",
    *BASIS_FIELDS,
    "settlement",
)
# An entered amount further than this from the computed one is flagged (rounding is not).
AMOUNT_TOLERANCE = Decimal("0.5")


# --- rules ---------------------------------------------------------------------------------------


def rules_for(offer: Offer, year: int) -> TariffRules:
    """The tariff rules of the agreement period that 1 January of `year` falls in; the model's
    defaults when the period has none (unsaved, so nothing is written by reading)."""
    period = agreement_period_for(offer, datetime.date(year, 1, 1))
    if period is not None:
        rules = TariffRules.objects.filter(period=period).first()
        if rules is not None:
            return rules
    return TariffRules(period=period if isinstance(period, AgreementPeriod) else None)


# --- computation and checks ----------------------------------------------------------------------


def line_basis(line: TariffLine) -> Basis | None:
    """The line's calculation basis, or None while a basis field is missing."""
    staff, operating = line.staff_costs, line.operating_costs
    indirect, building = line.indirect_costs, line.building_costs
    overhead, occupancy = line.overhead_percent, line.occupancy_percent
    if (
        staff is None
        or operating is None
        or indirect is None
        or building is None
        or overhead is None
        or occupancy is None
        or line.places is None
        or line.days is None
    ):
        return None
    return Basis(
        staff_costs=staff,
        operating_costs=operating,
        indirect_costs=indirect,
        building_costs=building,
        overhead_percent=overhead,
        places=int(line.places),
        days=int(line.days),
        occupancy_percent=occupancy,
        settlement=line.settlement or Decimal(0),
    )


def line_computation(line: TariffLine) -> Computation | None:
    basis = line_basis(line)
    if basis is None:
        return None
    try:
        return compute_tariff(basis)
    except CalculationError:
        return None


@dataclass(frozen=True)
class Finding:
    """An error (the editor must fix it before submitting) or a warning (the reviewer sees it)."""

    level: str  # "error" | "warning"
    message: str
    line: TariffLine | None = None
    field: str = ""

    @property
    def is_error(self) -> bool:
        return self.level == "error"


def _n(value: Decimal, places: int = 2) -> str:
    """A number as the reader's language writes it ("1.528,48" in Danish)."""
    return number_format(value, places, use_l10n=True, force_grouping=True)


def field_label(name: str) -> str:
    """The Danish name of a line's field, for messages."""
    field = TariffLine._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _label(line: TariffLine) -> str:
    return f"{line.get_service_display()} {line.label}".strip()


def previous_amounts(sheet: TariffSheet) -> dict[tuple[str, str, str], Decimal]:
    """Last year's published amounts of the same offer by (service, unit, label)."""
    previous = TariffLine.objects.filter(
        sheet__offer_id=sheet.offer_id,
        sheet__year=sheet.year - 1,
        sheet__state=SheetState.PUBLISHED,
    ).values_list("service", "unit", "label", "amount")
    return {(s, u, lbl): a for s, u, lbl, a in previous}


def price_indexes(*years: int) -> dict[int, Decimal]:
    return dict(PriceIndex.objects.filter(year__in=years).values_list("year", "index"))


@dataclass(frozen=True)
class CheckContext:
    """What checking a sheet needs beyond its lines: loaded once per sheet, or for many sheets
    at once by `sheets_check` (a review queue runs a fixed number of queries)."""

    rules: TariffRules
    previous: dict[tuple[str, str, str], Decimal]
    indexes: dict[int, Decimal]
    settlement_due: Decimal


def check_context(sheet: TariffSheet) -> CheckContext:
    return CheckContext(
        rules=rules_for(sheet.offer, sheet.year),
        previous=previous_amounts(sheet),
        indexes=price_indexes(sheet.year - 1, sheet.year),
        settlement_due=settlement_due(sheet.offer, sheet.year),
    )


def _region_id(offer: Offer) -> int | None:
    if offer.operator_region_id is not None:
        return offer.operator_region_id
    if offer.operator_municipality is not None:
        return offer.operator_municipality.region_id
    return offer.location.region_id


def sheets_check(sheets: list[TariffSheet]) -> dict[int, list[Finding]]:
    """`sheet_check` for many sheets (their lines prefetched, offers with operator and location
    selected) in four queries whatever their number."""
    if not sheets:
        return {}
    offer_ids = {sheet.offer_id for sheet in sheets}
    years = {sheet.year for sheet in sheets}
    periods = list(
        AgreementPeriod.objects.filter(region_id__in={_region_id(s.offer) for s in sheets})
        .select_related("tariff_rules")
        .order_by("-start_date")
    )
    previous: dict[tuple[int, int], dict[tuple[str, str, str], Decimal]] = {}
    for offer_id, year, service, unit, label, amount in TariffLine.objects.filter(
        sheet__offer_id__in=offer_ids,
        sheet__year__in={y - 1 for y in years},
        sheet__state=SheetState.PUBLISHED,
    ).values_list("sheet__offer_id", "sheet__year", "service", "unit", "label", "amount"):
        previous.setdefault((offer_id, year + 1), {})[(service, unit, label)] = amount
    indexes = price_indexes(*years, *{y - 1 for y in years})
    due: dict[tuple[int, int], Decimal] = {}
    for settlement in Settlement.objects.filter(
        offer_id__in=offer_ids, year__in={y - d for y in years for d in (1, 2)}
    ):
        for year in years:
            if settlement.year == year - 1:
                part = settlement.next_year
            elif settlement.year == year - 2:
                part = settlement.year_after
            else:
                continue
            key = (settlement.offer_id, year)
            due[key] = due.get(key, Decimal(0)) + part
    results: dict[int, list[Finding]] = {}
    for sheet in sheets:
        first_day = datetime.date(sheet.year, 1, 1)
        region_id = _region_id(sheet.offer)
        period = next(
            (
                p
                for p in periods
                if p.region_id == region_id and p.start_date <= first_day <= p.end_date
            ),
            None,
        )
        rules = getattr(period, "tariff_rules", None) if period is not None else None
        context = CheckContext(
            rules=rules if isinstance(rules, TariffRules) else TariffRules(period=period),
            previous=previous.get((sheet.offer_id, sheet.year), {}),
            indexes=indexes,
            settlement_due=due.get((sheet.offer_id, sheet.year), Decimal(0)),
        )
        results[sheet.pk] = sheet_check(sheet, list(sheet.lines.all()), context=context)
    return results


def sheet_check(
    sheet: TariffSheet,
    lines: list[TariffLine] | None = None,
    *,
    context: CheckContext | None = None,
) -> list[Finding]:
    """Errors and warnings of a sheet (see the issue's rules): errors for missing basis fields,
    negative amounts, occupancy outside (0, 100] %, parts that do not add up, a basis that
    cannot be computed; warnings for a change from last year above the threshold in fixed
    prices, occupancy below the threshold, an amount that differs from the computed one, an
    efterregulering that differs from the model's."""
    lines = list(sheet.lines.all()) if lines is None else lines
    context = context or check_context(sheet)
    rules = context.rules
    findings: list[Finding] = []
    if not lines:
        findings.append(Finding("error", _("Takstbladet har ingen takster.")))
    previous = context.previous
    indexes = context.indexes
    for line in lines:
        name = _label(line)
        for field in BASIS_FIELDS:
            if getattr(line, field) is None:
                verbose = field_label(field)
                findings.append(
                    Finding(
                        "error",
                        _("%(line)s: feltet »%(field)s« mangler i beregningsgrundlaget.")
                        % {"line": name, "field": verbose},
                        line,
                        field,
                    )
                )
        for field in ("amount", "base_amount", "service_amount", *BASIS_FIELDS[:4]):
            value = getattr(line, field)
            if value is not None and value < 0:
                verbose = field_label(field)
                findings.append(
                    Finding(
                        "error",
                        _("%(line)s: »%(field)s« kan ikke være negativ.")
                        % {"line": name, "field": verbose},
                        line,
                        field,
                    )
                )
        occupancy = line.occupancy_percent
        if occupancy is not None and not (0 < occupancy <= 100):
            findings.append(
                Finding(
                    "error",
                    _("%(line)s: belægningsprocenten skal være over 0 og højst 100.")
                    % {"line": name},
                    line,
                    "occupancy_percent",
                )
            )
        elif occupancy is not None and occupancy < rules.occupancy_warning_percent:
            findings.append(
                Finding(
                    "warning",
                    _("%(line)s: belægningsprocenten %(value)s er under %(limit)s.")
                    % {
                        "line": name,
                        "value": _n(occupancy),
                        "limit": _n(rules.occupancy_warning_percent),
                    },
                    line,
                    "occupancy_percent",
                )
            )
        for field in ("places", "days"):
            if getattr(line, field) == 0:  # no tariff can be computed (CalculationError)
                findings.append(
                    Finding(
                        "error",
                        _("%(line)s: taksten kan ikke beregnes – pladser og dage skal være over 0.")
                        % {"line": name},
                        line,
                        field,
                    )
                )
        if (line.base_amount is None) != (line.service_amount is None):
            findings.append(
                Finding(
                    "error",
                    _("%(line)s: angiv både grundtakst og ydelsestakst, eller ingen af dem.")
                    % {"line": name},
                    line,
                    "base_amount",
                )
            )
        elif (
            line.base_amount is not None
            and line.service_amount is not None
            and line.base_amount + line.service_amount != line.amount
        ):
            findings.append(
                Finding(
                    "error",
                    _("%(line)s: grundtakst og ydelsestakst giver ikke taksten.") % {"line": name},
                    line,
                    "amount",
                )
            )
        computed = line_computation(line)
        if computed is not None and abs(computed.tariff - line.amount) > AMOUNT_TOLERANCE:
            findings.append(
                Finding(
                    "warning",
                    _("%(line)s: taksten %(amount)s kr. afviger fra den beregnede %(computed)s kr.")
                    % {"line": name, "amount": _n(line.amount), "computed": _n(computed.tariff)},
                    line,
                    "amount",
                )
            )
        last = previous.get((line.service, line.unit, line.label))
        if last and sheet.year - 1 in indexes and sheet.year in indexes:
            change = fixed_price_change(
                previous=last,
                current=line.amount,
                previous_index=indexes[sheet.year - 1],
                current_index=indexes[sheet.year],
            )
            if abs(change) > rules.change_warning_percent:
                findings.append(
                    Finding(
                        "warning",
                        _(
                            "%(line)s: taksten er ændret %(change)s %% fra sidste år i faste "
                            "priser (grænse %(limit)s %%)."
                        )
                        % {
                            "line": name,
                            "change": _n(change, 1),
                            "limit": _n(rules.change_warning_percent, 1),
                        },
                        line,
                        "amount",
                    )
                )
    due = context.settlement_due
    entered = sum((line.settlement or Decimal(0) for line in lines), Decimal(0))
    if lines and abs(entered - due) > AMOUNT_TOLERANCE:
        findings.append(
            Finding(
                "warning",
                _(
                    "Efterreguleringen i taksterne (%(entered)s kr.) svarer ikke til den, "
                    "modellen fører frem til %(year)s (%(due)s kr.)."
                )
                % {"entered": _n(entered), "due": _n(due), "year": sheet.year},
                None,
                "settlement",
            )
        )
    return findings


def covered_without_tariff(year: int) -> list[Offer]:
    """Covered, active offers with no sheet for `year` at all (a warning for the reviewers)."""
    return list(
        Offer.objects.filter(is_covered=True, status__in=["aktiv", "lukker"])
        .exclude(tariff_sheets__year=year)
        .select_related("operator_municipality", "operator_region")
        .order_by("name")
    )


# --- writing sheets ------------------------------------------------------------------------------


def _lock(sheet: TariffSheet) -> TariffSheet:
    sheet.refresh_from_db(from_queryset=TariffSheet.objects.select_for_update())
    return sheet


@transaction.atomic
def sheet_create(*, offer: Offer, year: int, by: Any) -> TariffSheet:
    """A draft sheet for the offer's tariffs of `year` (one in the works at a time)."""
    if not can_enter_tariffs(by, offer):
        raise PermissionDenied(
            _("Du kan kun indberette takster for tilbud, som din kommune driver.")
        )
    if TariffSheet.objects.filter(offer=offer, year=year).exists():
        raise ValidationError(
            _("Der findes allerede et takstblad for %(offer)s i %(year)s.")
            % {"offer": offer.name, "year": year}
        )
    sheet = TariffSheet(offer=offer, year=year, created_by=by)
    sheet.full_clean()
    sheet.save()
    return sheet


def _clean_line(line: TariffLine) -> None:
    errors: dict[str, str] = {}
    for field in ("amount", "base_amount", "service_amount", *BASIS_FIELDS[:4]):
        value = getattr(line, field)
        if value is not None and value < 0:
            errors[field] = _("Beløbet kan ikke være negativt.")
    occupancy = line.occupancy_percent
    if occupancy is not None and not (0 < occupancy <= 100):
        errors["occupancy_percent"] = _("Belægningsprocenten skal være over 0 og højst 100.")
    if errors:
        raise ValidationError(errors)
    line.full_clean()


@transaction.atomic
def line_save(
    *, sheet: TariffSheet, by: Any, values: Mapping[str, Any], line: TariffLine | None = None
) -> TariffLine:
    """Add or change a line of a draft (or returned) sheet. The overhead defaults to the
    agreement period's rule."""
    sheet = _lock(sheet)
    if not can_edit_sheet(by, sheet):
        raise PermissionDenied(_("Takstbladet kan ikke ændres i sin nuværende status."))
    if line is None:
        line = TariffLine(sheet=sheet)
        last = sheet.lines.aggregate(last=Max("order"))["last"]
        line.order = (last or 0) + 1
    elif line.sheet_id != sheet.pk:
        raise PermissionDenied
    for name, value in values.items():
        if name not in LINE_FIELDS:
            raise TypeError(f"line_save got an unknown field {name!r}")
        setattr(line, name, value)
    if line.overhead_percent is None:
        line.overhead_percent = rules_for(sheet.offer, sheet.year).overhead_percent
    _clean_line(line)
    line.save()
    return line


@transaction.atomic
def line_remove(*, line: TariffLine, by: Any) -> None:
    sheet = _lock(line.sheet)
    if not can_edit_sheet(by, sheet):
        raise PermissionDenied(_("Takstbladet kan ikke ændres i sin nuværende status."))
    line.delete()


@transaction.atomic
def sheet_submit(*, sheet: TariffSheet, by: Any) -> TariffSheet:
    """The operator submits: refused while the sheet has errors (they are listed)."""
    sheet = _lock(sheet)
    if not can_enter_tariffs(by, sheet.offer):
        raise PermissionDenied(_("Du kan kun indsende takster for tilbud, som din kommune driver."))
    if sheet.state not in EDITABLE_STATES:
        raise ValidationError(_("Kun et takstblad i kladde eller returneret kan indsendes."))
    errors = [f.message for f in sheet_check(sheet) if f.is_error]
    if errors:
        raise ValidationError(errors)
    sheet.state = SheetState.SUBMITTED
    sheet.submitted_at = timezone.now()
    sheet.submitted_by = by
    sheet.save()
    return sheet


@transaction.atomic
def sheet_approve(*, sheet: TariffSheet, by: Any, comment: str = "") -> TariffSheet:
    sheet = _lock(sheet)
    if not can_review_sheet(by, sheet):
        raise PermissionDenied(
            _("Kun takstgruppen og sekretariatet kan godkende takster – ikke for egne tilbud.")
        )
    if sheet.state != SheetState.SUBMITTED:
        raise ValidationError(_("Kun et indsendt takstblad kan godkendes."))
    sheet.state = SheetState.APPROVED
    sheet.reviewed_at = timezone.now()
    sheet.reviewed_by = by
    sheet.review_comment = comment.strip()
    sheet.save()
    return sheet


@transaction.atomic
def sheet_return(*, sheet: TariffSheet, by: Any, comment: str) -> TariffSheet:
    """Send a submitted sheet back to the operator with a comment saying what to fix."""
    sheet = _lock(sheet)
    if not can_review_sheet(by, sheet):
        raise PermissionDenied(
            _("Kun takstgruppen og sekretariatet kan returnere takster – ikke for egne tilbud.")
        )
    if sheet.state not in (SheetState.SUBMITTED, SheetState.APPROVED):
        raise ValidationError(_("Kun et indsendt eller godkendt takstblad kan returneres."))
    if not comment.strip():
        raise ValidationError({"comment": _("Skriv, hvad der skal rettes.")})
    sheet.state = SheetState.RETURNED
    sheet.reviewed_at = timezone.now()
    sheet.reviewed_by = by
    sheet.review_comment = comment.strip()
    sheet.save()
    return sheet


def _publish(sheet: TariffSheet, now: datetime.datetime) -> None:
    replaced = sheet.replaces
    if replaced is not None and replaced.state == SheetState.PUBLISHED:
        replaced.state = SheetState.SUPERSEDED
        replaced.save(update_fields=["state"])
    sheet.state = SheetState.PUBLISHED
    sheet.published_at = now
    sheet.save()


@transaction.atomic
def year_publish(*, year: int, by: Any) -> list[TariffSheet]:
    """Publish every approved sheet of `year` (corrections replace what they correct) and tell
    the subscribers of the "takster" topic, once per publication."""
    if not can_publish(by):
        raise PermissionDenied(_("Kun sekretariatet kan offentliggøre takster."))
    sheets = list(
        TariffSheet.objects.select_for_update(of=("self",))
        .filter(year=year, state=SheetState.APPROVED)
        .select_related("replaces")
        .order_by("pk")
    )
    if not sheets:
        raise ValidationError(_("Der er ingen godkendte takstblade for %(year)s.") % {"year": year})
    now = timezone.now()
    for sheet in sheets:
        _publish(sheet, now)
    tariff_year, _created = TariffYear.objects.get_or_create(
        year=year, defaults={"submission_deadline": now}
    )
    tariff_year.published_at = now
    tariff_year.version += 1
    tariff_year.save(update_fields=["published_at", "version"])
    notifications.tariffs_published(year=year, count=len(sheets), by=by)
    _render_overview_after_commit(year)
    return sheets


def _render_overview_after_commit(year: int) -> None:
    """Have a worker render the year's overview PDF for its new version once committed. By the
    task's name: tariffs.tasks imports this module (through the import), not the other way."""
    transaction.on_commit(
        lambda: current_app.signature(RENDER_OVERVIEW_TASK, args=(year,)).delay(), robust=True
    )


@transaction.atomic
def sheet_correct(*, sheet: TariffSheet, by: Any, reason: str) -> TariffSheet:
    """Start a correction of a published sheet: a new draft version with the same lines. The
    published version holds until the correction is approved and published."""
    sheet = _lock(sheet)
    if not can_enter_tariffs(by, sheet.offer) and not can_publish(by):
        raise PermissionDenied(_("Du kan kun rette takster for tilbud, som din kommune driver."))
    if sheet.state != SheetState.PUBLISHED:
        raise ValidationError(_("Kun et offentliggjort takstblad rettes med en ny version."))
    if not reason.strip():
        raise ValidationError({"reason": _("Skriv, hvorfor taksterne rettes.")})
    if (
        TariffSheet.objects.filter(replaces=sheet).exists()
        or TariffSheet.objects.filter(
            offer_id=sheet.offer_id,
            year=sheet.year,
            state__in=[s for s in SheetState.values if s not in ("offentliggjort", "erstattet")],
        ).exists()
    ):
        raise ValidationError(_("Der er allerede en rettelse i gang for dette takstblad."))
    last = TariffSheet.objects.filter(offer_id=sheet.offer_id, year=sheet.year).aggregate(
        last=Max("version")
    )["last"]
    correction = TariffSheet.objects.create(
        offer_id=sheet.offer_id,
        year=sheet.year,
        version=(last or sheet.version) + 1,
        replaces=sheet,
        correction_reason=reason.strip(),
        created_by=by,
    )
    lines = list(sheet.lines.all())
    for line in lines:
        line.pk = None
        line.id = None
        line.sheet = correction
        line._state.adding = True
    # With history rows, so that the correction's lines have a "created" entry like any other.
    bulk_create_with_history(lines, TariffLine, default_user=by)
    return correction


# --- the yearly deadline -------------------------------------------------------------------------


def reminders_send(*, now: datetime.datetime | None = None) -> list[int]:
    """A week before a year's submission deadline, remind the editors who have not submitted
    (once per year: claimed by a conditional update). Returns the years reminded."""
    now = now or timezone.now()
    window = datetime.timedelta(days=settings.TARIFFS_REMINDER_DAYS)
    due = TariffYear.objects.filter(
        reminder_sent_at__isnull=True,
        published_at__isnull=True,
        submission_deadline__gt=now,
        submission_deadline__lte=now + window,
    ).values_list("pk", "year")
    reminded: list[int] = []
    for pk, year in due:
        with transaction.atomic():
            claimed = TariffYear.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if not claimed:
                continue
            notifications.deadline_reminder(year=year)
        reminded.append(year)
    return reminded


# --- efterregulering -----------------------------------------------------------------------------


@transaction.atomic
def settlement_record(
    *,
    offer: Offer,
    year: int,
    by: Any,
    budget: Decimal,
    actual_revenue: Decimal,
    actual_costs: Decimal,
) -> Settlement:
    """Record a past year's result for an offer and split it by the agreement period's rule
    (`calculation.split_settlement`): up to ±limit % of the budget into year + 1, the rest into
    year + 2. Recording the same year again replaces the figures (history keeps the old ones)."""
    if not can_enter_tariffs(by, offer):
        raise PermissionDenied(_("Du kan kun indberette for tilbud, som din kommune driver."))
    if budget <= 0:
        raise ValidationError({"budget": _("Budgettet skal være større end 0.")})
    if actual_revenue < 0 or actual_costs < 0:
        raise ValidationError(_("Indtægter og udgifter kan ikke være negative."))
    rules = rules_for(offer, year)
    split = split_settlement(
        actual_revenue=actual_revenue,
        actual_costs=actual_costs,
        budget=budget,
        next_year_limit_percent=rules.settlement_next_year_percent,
    )
    settlement, _created = Settlement.objects.update_or_create(
        offer=offer,
        year=year,
        defaults={
            "budget": budget,
            "actual_revenue": actual_revenue,
            "actual_costs": actual_costs,
            "next_year": split.next_year,
            "year_after": split.year_after,
        },
    )
    return settlement


def settlement_due(offer: Offer, year: int) -> Decimal:
    """What the efterregulering model carries into `year`'s tariffs: the next-year part of
    year − 1's result and the rest of year − 2's (+ recovers a deficit, − returns a surplus)."""
    total = Decimal(0)
    for settlement in Settlement.objects.filter(offer=offer, year__in=[year - 1, year - 2]):
        total += settlement.next_year if settlement.year == year - 1 else settlement.year_after
    return total
