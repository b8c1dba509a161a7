"""factory_boy factories for tariffs. They build years, indexes, rules, sheets, lines and
settlements directly in any state, for the read side and the permission matrix; the write
side is tested through `tariffs.services`.

- `TariffYearFactory(year=2026)`: a year with its submission deadline (1 September the year
  before); pass `published=True` for a published year (`published_at` set, `version=1`).
- `PriceIndexFactory(year=2026, index=Decimal("104"))`: get-or-create on the year.
- `TariffRulesFactory(period=...)`: the default rules (6 % overhead, 5 % settlement, …).
- `TariffSheetFactory(offer=..., year=2026, state=SheetState.PUBLISHED)`: the time stamps follow
  the state (`submitted_at` from submitted on, `reviewed_at` for returned/approved/published,
  `published_at` for published and superseded). Pass `lines=N` for N default lines or
  `lines=[{"amount": Decimal("1000")}, ...]` for lines with those fields. No lines otherwise.
- `TariffLineFactory(sheet=...)`: a døgntakst with a full calculation basis; `amount` defaults
  to the tariff computed from the basis (1.069,94 kr.), unless given.
- `SettlementFactory(offer=..., year=2024)`: a deficit of 100.000 kr. on a budget of
  3.500.000 kr., split by the default model (5 %).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from tariffs.calculation import (
    Basis,
    CalculationError,
    SettlementSplit,
    compute_tariff,
    split_settlement,
)
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
from tests.offer_factories import AgreementPeriodFactory, OfferFactory

DEFAULT_YEAR = 2026

_SUBMITTED_STATES = {
    SheetState.SUBMITTED,
    SheetState.RETURNED,
    SheetState.APPROVED,
    SheetState.PUBLISHED,
    SheetState.SUPERSEDED,
}
_REVIEWED_STATES = {
    SheetState.RETURNED,
    SheetState.APPROVED,
    SheetState.PUBLISHED,
    SheetState.SUPERSEDED,
}
_PUBLISHED_STATES = {SheetState.PUBLISHED, SheetState.SUPERSEDED}


class TariffYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffYear
        django_get_or_create = ("year",)

    class Params:
        published = factory.Trait(
            published_at=factory.LazyFunction(timezone.now),
            version=1,
        )

    year = DEFAULT_YEAR
    submission_deadline = factory.LazyAttribute(
        lambda o: datetime.datetime(  # type: ignore[misc]
            o.year - 1, 9, 1, 12, 0, tzinfo=datetime.UTC
        )
    )
    reminder_sent_at = None
    published_at = None
    version = 0


class PriceIndexFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceIndex
        django_get_or_create = ("year",)

    year = DEFAULT_YEAR
    index = Decimal("100.000")


class TariffRulesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffRules
        django_get_or_create = ("period",)

    period = factory.SubFactory(AgreementPeriodFactory)
    overhead_percent = Decimal(6)
    settlement_next_year_percent = Decimal(5)
    change_warning_percent = Decimal(5)
    occupancy_warning_percent = Decimal(85)


class TariffSheetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TariffSheet
        skip_postgeneration_save = True

    offer = factory.SubFactory(OfferFactory)
    year = DEFAULT_YEAR
    version = 1
    state = SheetState.DRAFT
    replaces = None
    correction_reason = ""
    created_by = None
    submitted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.state in _SUBMITTED_STATES else None  # type: ignore[misc]
    )
    submitted_by = None
    reviewed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.state in _REVIEWED_STATES else None  # type: ignore[misc]
    )
    reviewed_by = None
    review_comment = factory.LazyAttribute(
        lambda o: "Overheadprocenten skal rettes." if o.state == SheetState.RETURNED else ""  # type: ignore[misc]
    )
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.state in _PUBLISHED_STATES else None  # type: ignore[misc]
    )

    @factory.post_generation
    def lines(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """`lines=N` for N default lines, or a list of dicts of line fields."""
        if not create or not extracted:
            return
        specs = [{} for _ in range(extracted)] if isinstance(extracted, int) else extracted
        for order, spec in enumerate(specs):
            TariffLineFactory(sheet=self, **{"order": order, **spec})


def _computed_amount(line: Any) -> Decimal:
    """The tariff computed from the line's basis, or 1.000 kr. if the basis is incomplete."""
    try:
        return compute_tariff(
            Basis(
                staff_costs=line.staff_costs,
                operating_costs=line.operating_costs,
                indirect_costs=line.indirect_costs,
                building_costs=line.building_costs,
                overhead_percent=line.overhead_percent,
                places=line.places,
                days=line.days,
                occupancy_percent=line.occupancy_percent,
                settlement=line.settlement,
            )
        ).tariff
    except (CalculationError, TypeError):
        return Decimal("1000.00")


class TariffLineFactory(factory.django.DjangoModelFactory):
    """A døgntakst: 3.500.000 kr. of costs + 6 % overhead over 10 places × 365 days × 95 %."""

    class Meta:
        model = TariffLine

    sheet = factory.SubFactory(TariffSheetFactory)
    order = 0
    service = Service.RESIDENTIAL
    label = ""
    unit = Unit.DAY_NIGHT
    base_amount = None
    service_amount = None
    staff_costs = Decimal("2500000.00")
    operating_costs = Decimal("500000.00")
    indirect_costs = Decimal("300000.00")
    building_costs = Decimal("200000.00")
    overhead_percent = Decimal("6.00")
    places = 10
    days = 365
    occupancy_percent = Decimal("95.00")
    settlement = Decimal("0.00")
    amount = factory.LazyAttribute(_computed_amount)


def _split(settlement: Any) -> SettlementSplit:
    return split_settlement(
        actual_revenue=settlement.actual_revenue,
        actual_costs=settlement.actual_costs,
        budget=settlement.budget,
    )


class SettlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Settlement

    offer = factory.SubFactory(OfferFactory)
    year = DEFAULT_YEAR - 2
    budget = Decimal("3500000.00")
    actual_revenue = Decimal("3400000.00")
    actual_costs = Decimal("3500000.00")
    next_year = factory.LazyAttribute(lambda o: _split(o).next_year)  # type: ignore[misc]
    year_after = factory.LazyAttribute(lambda o: _split(o).year_after)  # type: ignore[misc]
