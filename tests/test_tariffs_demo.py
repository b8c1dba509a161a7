"""The tariffs' demo data (tariffs/demo.py): a PL index, the rules of the demo agreement
periods, the tariff years 2025–2027 and three years of tariffs for the covered, active demo
offers, every amount computed from its basis, with the cases the demo shows; consistent with
what the services produce, and loaded idempotently."""

from __future__ import annotations

import datetime
import io
from collections import Counter
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from offers.models import AgreementPeriod, Offer, OfferStatus, OfferType
from tariffs import demo
from tariffs.calculation import fixed_price_change
from tariffs.models import (
    PriceIndex,
    Service,
    Settlement,
    SheetState,
    TariffLine,
    TariffRules,
    TariffSheet,
    TariffYear,
    Unit,
)
from tariffs.services import (
    covered_without_tariff,
    line_computation,
    line_save,
    settlement_due,
    sheet_approve,
    sheet_check,
    sheet_submit,
    year_publish,
)
from tests.conftest import give_mfa
from tests.factories import UserFactory

CPH = ZoneInfo("Europe/Copenhagen")
D = Decimal
TARIFF_MODELS = (PriceIndex, TariffRules, TariffYear, TariffSheet, TariffLine, Settlement)


def covered_active() -> set[str]:
    return set(
        Offer.objects.filter(
            is_covered=True, status__in=[OfferStatus.ACTIVE, OfferStatus.CLOSING]
        ).values_list("name", flat=True)
    )


def current_sheets() -> list[TariffSheet]:
    """The version that counts of every offer and year (not a replaced one)."""
    return list(
        TariffSheet.objects.exclude(state=SheetState.SUPERSEDED)
        .select_related("offer")
        .order_by("year", "offer__name")
    )


def sheet(name: str, year: int, **filters: Any) -> TariffSheet:
    return TariffSheet.objects.exclude(state=SheetState.SUPERSEDED).get(
        offer__name=name, year=year, **filters
    )


def test_the_tables_and_years(seeded: None) -> None:
    assert dict(PriceIndex.objects.values_list("year", "index")) == {
        2024: D("100.000"),
        2025: D("102.300"),
        2026: D("104.600"),
        2027: D("106.800"),
    }
    periods = AgreementPeriod.objects.filter(region__code__in=["1081", "1082"])
    assert periods.count() == 10
    for period in periods:
        rules = TariffRules.objects.get(period=period)
        assert (
            rules.overhead_percent,
            rules.settlement_next_year_percent,
            rules.change_warning_percent,
            rules.occupancy_warning_percent,
        ) == (6, 5, 5, 85)

    years = {y.year: y for y in TariffYear.objects.all()}
    assert set(years) == {2025, 2026, 2027}
    current = years[2027]
    assert current.submission_deadline == datetime.datetime(2026, 12, 15, 12, tzinfo=CPH)
    assert (current.published_at, current.reminder_sent_at, current.version) == (None, None, 0)
    for year in (2025, 2026):
        row = years[year]
        assert row.submission_deadline == datetime.datetime(year - 1, 12, 15, 12, tzinfo=CPH)
        # As reminders_send leaves it: a week before the deadline, from the hourly task.
        assert row.reminder_sent_at is not None
        assert row.submission_deadline - row.reminder_sent_at < datetime.timedelta(days=7)
        assert row.submission_deadline - row.reminder_sent_at > datetime.timedelta(days=6)
        assert row.published_at is not None and row.published_at > row.submission_deadline
    # 2026 was published twice: the year, then Danahus's correction.
    assert (years[2025].version, years[2026].version) == (1, 2)


def test_three_years_of_tariffs_for_the_covered_active_offers(seeded: None) -> None:
    offers = covered_active()
    assert len(offers) == 42
    by_year: dict[int, set[str]] = {}
    for row in current_sheets():
        by_year.setdefault(row.year, set()).add(row.offer.name)
    assert by_year == {2025: offers, 2026: offers, 2027: offers - {demo.MISSING_OFFER}}
    assert [o.name for o in covered_without_tariff(2027)] == [demo.MISSING_OFFER]
    assert not TariffSheet.objects.exclude(offer__name__in=offers).exists()

    states = Counter(TariffSheet.objects.values_list("year", "state"))
    assert states[(2025, SheetState.PUBLISHED)] == 42
    assert states[(2026, SheetState.PUBLISHED)] == 42
    assert states[(2026, SheetState.SUPERSEDED)] == 1
    assert states[(2027, SheetState.DRAFT)] == 3
    assert states[(2027, SheetState.RETURNED)] == 1
    assert states[(2027, SheetState.SUBMITTED)] + states[(2027, SheetState.APPROVED)] == 37
    assert states[(2027, SheetState.APPROVED)] >= 15
    assert states[(2027, SheetState.SUBMITTED)] >= 15
    assert TariffSheet.objects.count() == 42 + 43 + 41

    # Time stamps as the services leave them.
    years = {y.year: y for y in TariffYear.objects.all()}
    for row in TariffSheet.objects.all():
        state = row.state
        submitted = state != SheetState.DRAFT
        reviewed = state not in (SheetState.DRAFT, SheetState.SUBMITTED)
        published = state in (SheetState.PUBLISHED, SheetState.SUPERSEDED)
        assert (row.submitted_at is not None) == submitted, row
        assert (row.reviewed_at is not None) == reviewed, row
        assert (row.published_at is not None) == published, row
        moments = [row.created_at, row.submitted_at, row.reviewed_at, row.published_at]
        present = [m for m in moments if m is not None]
        assert present == sorted(present), row
        if published:
            assert row.published_at is not None and row.published_at <= years[row.year].published_at
        assert row.lines.exists()
        assert row.history.count() == 1


def test_every_amount_is_computed_from_its_basis(seeded: None) -> None:
    services = Counter()
    for line in TariffLine.objects.select_related("sheet__offer"):
        offer, year = line.sheet.offer, line.sheet.year
        services[line.service] += 1
        computation = line_computation(line)
        assert computation is not None, line
        if (offer.name, year) == (demo.DIFFERENCE_OFFER, 2027):
            assert line.amount != computation.tariff
        else:
            assert line.amount == computation.tariff, (offer.name, year, line)
        if line.base_amount is not None:
            assert line.base_amount + line.service_amount == line.amount
            assert 0 < line.base_amount < line.service_amount
        assert line.places and line.places > 0
        assert line.overhead_percent in (D(6), D(4))

    assert services[Service.SUPPLEMENT] == 4 * 3
    assert services[Service.LEVEL] == 2 * 3 * 3
    assert TariffLine.objects.filter(base_amount__isnull=False).count() == 5 * 3
    # A døgntakst for residential offers, a dagtakst for day offers and special schools.
    for row in current_sheets():
        first = row.lines.order_by("order").first()
        assert first is not None
        match row.offer.offer_type:
            case OfferType.HOUSING | OfferType.RESIDENTIAL | OfferType.SECURE:
                assert first.unit == Unit.DAY_NIGHT
                assert first.service in (Service.RESIDENTIAL, Service.LEVEL)
                assert first.days == 365 or row.offer.status == OfferStatus.CLOSING
            case OfferType.DAY:
                assert (first.service, first.unit) == (Service.DAY, Unit.DAY)
            case OfferType.EDUCATION:
                assert (first.service, first.unit) == (Service.EDUCATION, Unit.DAY)
            case OfferType.RESPITE:
                assert (first.service, first.unit) == (Service.RESPITE, Unit.DAY_NIGHT)
    # A closing offer's days end before it closes (Hjortebo closes 1 July 2027).
    hjortebo = sheet("Specialbørnehjemmet Hjortebo", 2027).lines.get()
    assert hjortebo.days == 181


def test_only_the_demo_cases_have_findings(seeded: None) -> None:
    found: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for row in current_sheets():
        findings = sheet_check(row)
        if findings:
            found[(row.offer.name, row.year)] = [(f.level, f.field) for f in findings]
    assert found == {
        (demo.WARNING_OFFER, 2027): [("warning", "occupancy_percent"), ("warning", "amount")],
        (demo.DIFFERENCE_OFFER, 2027): [("warning", "amount")],
    }
    # The warning case: 80 % occupancy and +9 % in fixed prices from 2026.
    line = sheet(demo.WARNING_OFFER, 2027).lines.get()
    last = sheet(demo.WARNING_OFFER, 2026).lines.get()
    assert line.occupancy_percent == D("80.00")
    change = fixed_price_change(
        previous=last.amount,
        current=line.amount,
        previous_index=D("104.6"),
        current_index=D("106.8"),
    )
    assert change == D("9.0")
    assert sheet(demo.WARNING_OFFER, 2027).state == SheetState.SUBMITTED
    assert sheet(demo.DIFFERENCE_OFFER, 2027).state == SheetState.DRAFT


def test_the_efterregulering_case(seeded: None) -> None:
    settlements = {s.year: s for s in Settlement.objects.all()}
    assert set(settlements) == {2024, 2025}
    assert {s.offer.name for s in settlements.values()} == {demo.SETTLEMENT_OFFER}
    for settlement in settlements.values():
        # Split by the model with the period's 5 % limit, as settlement_record does.
        result = settlement.actual_revenue - settlement.actual_costs
        assert result < 0  # deficits, recovered
        cap = settlement.budget * 5 / 100
        assert settlement.next_year == min(-result, cap)
        assert settlement.next_year + settlement.year_after == -result
    assert settlements[2024].year_after == 0  # within the limit: all the next year
    assert settlements[2025].year_after > 0  # above it: the rest two years later
    offer = settlements[2024].offer
    due = {
        2025: settlements[2024].next_year,
        2026: settlements[2025].next_year + settlements[2024].year_after,
        2027: settlements[2025].year_after,
    }
    for year, amount in due.items():
        assert settlement_due(offer, year) == amount
        lines = sheet(offer.name, year).lines.all()
        assert sum(line.settlement for line in lines) == amount
        assert amount > 0
    # Only this offer carries an efterregulering.
    assert not TariffLine.objects.exclude(sheet__offer=offer).exclude(settlement=0).exists()


def test_the_returned_and_the_corrected_case(seeded: None) -> None:
    returned = sheet(demo.RETURNED_OFFER, 2027)
    assert returned.state == SheetState.RETURNED
    assert returned.review_comment == demo.RETURN_COMMENT
    assert "Overhead er sat til 4 %" in returned.review_comment
    assert returned.reviewed_at is not None and returned.submitted_at is not None
    assert returned.lines.get().overhead_percent == D("4.00")

    v1, v2 = TariffSheet.objects.filter(offer__name=demo.CORRECTED_OFFER, year=2026).order_by(
        "version"
    )
    assert (v1.state, v2.state) == (SheetState.SUPERSEDED, SheetState.PUBLISHED)
    assert (v2.version, v2.replaces, v2.correction_reason) == (2, v1, demo.CORRECTION_REASON)
    assert v2.published_at is not None and v1.published_at is not None
    assert v2.published_at > v1.published_at
    assert v2.published_at == TariffYear.objects.get(year=2026).published_at
    old = {line.service: line for line in v1.lines.all()}
    new = {line.service: line for line in v2.lines.all()}
    assert set(old) == set(new) == {Service.RESIDENTIAL, Service.RESPITE}
    residential_old, residential_new = old[Service.RESIDENTIAL], new[Service.RESIDENTIAL]
    assert residential_old.building_costs == 2 * residential_new.building_costs
    assert residential_old.amount > residential_new.amount
    assert old[Service.RESPITE].amount == new[Service.RESPITE].amount


def test_the_demo_round_continues_through_the_services(seeded: None) -> None:
    """The demo's 2027 round is in a state the services can take over: the returned sheet is
    fixed and submitted, reviewed, and the year published."""
    staff = UserFactory(email="sekretariat@example.dk", is_secretariat=True)
    give_mfa(staff)
    returned = sheet(demo.RETURNED_OFFER, 2027)
    line = returned.lines.get()
    entered = line.amount
    line.overhead_percent = D(6)
    computation = line_computation(line)
    assert computation is not None
    assert computation.tariff > entered  # the overhead of 4 % made the tariff too low
    line_save(
        sheet=returned,
        by=staff,
        line=line,
        values={"overhead_percent": D(6), "amount": computation.tariff},
    )
    assert sheet_check(returned) == []
    sheet_submit(sheet=returned, by=staff)
    for row in TariffSheet.objects.filter(year=2027, state=SheetState.SUBMITTED):
        sheet_approve(sheet=row, by=staff)
    published = year_publish(year=2027, by=staff)
    assert len(published) == 38
    year = TariffYear.objects.get(year=2027)
    assert year.version == 1 and year.published_at is not None


def test_seeding_twice_writes_nothing(seeded: None) -> None:
    counts = {m: m.objects.count() for m in TARIFF_MODELS}
    history = {m: m.history.count() for m in (TariffSheet, TariffLine, Settlement)}
    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo", stdout=io.StringIO())
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert counts == {m: m.objects.count() for m in TARIFF_MODELS}
    assert history == {m: m.history.count() for m in history}
