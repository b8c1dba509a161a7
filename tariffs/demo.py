"""Demo data for the tariffs: a PL index, the tariff rules of the demo agreement periods, the
tariff years 2025–2027 and three years of tariffs for the covered, active demo offers
(offers/demo.py), each computed from its calculation basis by the common model.

- PL index 2024–2027 (illustrative figures, not the official index).
- Tariff rules for every agreement period of the demo regions: 6 % overhead, up to 5 % of the
  budget carried into the next year, a warning above a 5 % change in fixed prices and below
  85 % occupancy.
- Tariff years 2025 and 2026 published (deadline 15 December the year before, the reminder a
  week before it, published a few days after it); 2027 is the round in progress (deadline
  15 December 2026 at 12.00).
- For each offer a sheet per year: a døgntakst for residential offers, a dagtakst for day
  offers and special schools, a respite tariff for the respite home. Some have more: a respite
  line beside the residential one (the children's homes under Barnets lov § 84), a
  supplementary service (tillægsydelse), a base + service tariff (grundtakst + ydelsestakst),
  or tiered levels (takstniveauer). The places are the offer's places on 1 January; a closing
  offer's days end the day before it closes.
- 2025 and 2026 are published; 2027 is mostly submitted or approved, with a few drafts.
- The cases: Bostedet Engly's efterregulering (its 2024 and 2025 results, split by the model and
  carried into its tariffs as `tariffs.services.settlement_due` says); Bofællesskabet Lupinvej's
  2027 sheet returned by the tariff group with a comment (overhead 4 % instead of 6 %);
  Behandlingscentret Nordlys's 2027 sheet with warnings (occupancy 80 %, +9 % in fixed prices);
  Værkstedet Gudenå's 2027 draft with a rounded amount that differs from the computed one;
  Danahus's 2026 tariffs corrected after publication (version 2 replaces version 1); and
  Botilbuddet Nordstjernen with no 2027 sheet yet (a covered offer without a tariff).

Every amount is `tariffs.calculation.compute_tariff` of its basis (except Gudenå's deliberate
difference), so the overview shows consistent figures. The costs are derived from an invented
but plausible tariff level per kind of offer, developed year by year with the PL index and a
small real change, and rounded to whole thousands.

Rows are written directly (the services check permissions and the clock), as the services would
leave them: submitted, reviewed and published times in order, the published year's version
bumped per publication, a correction replacing what it corrects. The PL index and the rules are
upserted (`core.seeding.upsert`); tariff years, sheets, lines and settlements are created once
and then left alone, because from then on they are the secretariat's and the operators'. A
second run writes nothing.
"""

from __future__ import annotations

import csv
import datetime
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.seeding import Counter, upsert
from offers import rules as offer_rules
from offers.demo import DATA as OFFER_DATA
from offers.models import (
    AgreementPeriod,
    Area,
    CapacityKind,
    EventKind,
    EventState,
    LifecycleEvent,
    Offer,
    OfferStatus,
    OfferType,
)
from tariffs.calculation import ZERO, Basis, compute_tariff, money, split_settlement
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
from tariffs.services import rules_for, settlement_due

CPH = ZoneInfo("Europe/Copenhagen")
D = Decimal
YEARS = (2025, 2026, 2027)
FIRST_YEAR = YEARS[0]
CURRENT_YEAR = YEARS[-1]  # the round in progress

# The price-and-wage index (PL-indeks). Illustrative figures of a plausible size, not the
# official index (KL/Finansministeriet); staff keep the real one in the portal.
PL_INDEX = {2024: D("100.0"), 2025: D("102.3"), 2026: D("104.6"), 2027: D("106.8")}

# The demo regions' agreement periods get the default rules of the steering agreements.
DEMO_REGION_CODES = ("1081", "1082")
RULES = {
    "overhead_percent": D("6.00"),
    "settlement_next_year_percent": D("5.00"),
    "change_warning_percent": D("5.00"),
    "occupancy_warning_percent": D("85.00"),
}


def _at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=CPH)


@dataclass(frozen=True)
class DemoYear:
    deadline: datetime.datetime
    reminder_sent_at: datetime.datetime | None = None
    published_at: datetime.datetime | None = None
    version: int = 0


# The reminder goes with the hourly task's first run a week before the deadline (:37).
TARIFF_YEARS = {
    2025: DemoYear(_at(2024, 12, 15), _at(2024, 12, 8, 12, 37), _at(2024, 12, 19, 10), 1),
    # Published 18 December 2025, and again on 10 February 2026 with Danahus's correction.
    2026: DemoYear(_at(2025, 12, 15), _at(2025, 12, 8, 12, 37), _at(2026, 2, 10, 10), 2),
    2027: DemoYear(_at(2026, 12, 15)),
}
FIRST_PUBLICATION = {2025: _at(2024, 12, 19, 10), 2026: _at(2025, 12, 18, 10)}

# The cases (offer names from offers/data/tilbud.csv).
SETTLEMENT_OFFER = "Bostedet Engly"
RETURNED_OFFER = "Bofællesskabet Lupinvej"
RETURNED_OVERHEAD = D("4.00")
RETURN_COMMENT = (
    "Overhead er sat til 4 %, men styringsaftalen for 2027–2028 fastsætter 6 %. Ret overhead "
    "på døgntaksten, og indsend takstbladet igen."
)
WARNING_OFFER = "Behandlingscentret Nordlys"
WARNING_OCCUPANCY = D("80.00")
WARNING_FIXED_CHANGE = D("1.09")  # +9 % in fixed prices from 2026
DIFFERENCE_OFFER = "Værkstedet Gudenå"
DRAFT_OFFERS = {DIFFERENCE_OFFER, "Solhøj", "Specialbørnehjemmet Hjortebo"}
MISSING_OFFER = "Botilbuddet Nordstjernen"
CORRECTED_OFFER = "Danahus"
CORRECTION_REASON = (
    "Husleje og afskrivninger på den nye aflastningsbygning var medregnet to gange i "
    "bygningsudgifterne. Taksterne er genberegnet."
)
# Version 2 of Danahus's 2026 sheet: created, submitted, approved and published.
CORRECTION_TIMES = (
    _at(2026, 1, 20, 9),
    _at(2026, 1, 27, 14),
    _at(2026, 2, 3, 11),
    _at(2026, 2, 10, 10),
)

# Kinds of line beyond the main one.
TIERED = {"Specialcenter Bøgeskoven": ("Niveau 1", "Niveau 2", "Niveau 3")}
TIERED["Døvblindecentret Egholm"] = TIERED["Specialcenter Bøgeskoven"]
LEVEL_SHARES = (D("0.4"), D("0.4"))  # of the places; the rest is the highest level
LEVEL_FACTORS = (D("0.80"), D("1.00"), D("1.45"))
RESPITE_BESIDE = {"Specialbørnehjemmet Vestergård", CORRECTED_OFFER, "Specialbørnehjemmet Lindebo"}
RESPITE_PLACES = 2
SUPPLEMENT = {
    "Autismecentret Kastaniegården",
    "Bostedet Lundgården",
    "Sødisebakke",
    "Behandlingscentret Kildebakken",
}
SUPPLEMENT_LABEL = "Ekstra støtte 1:1"
BASE_AND_SERVICE = {
    "Botilbuddet Tangkær",
    "Bostedet Klinten",
    "Bostedet Vesterå",
    "Bostedet Vangsåhus",
    "Bostedet Valdemarsholm",
}

# How the costs divide: staff, operation, indirect costs, buildings.
SHARES = (D("0.72"), D("0.13"), D("0.06"), D("0.09"))
SUPPLEMENT_SHARES = (D("0.92"), D("0.03"), D("0.05"), D("0"))
COST_FIELDS = ("staff_costs", "operating_costs", "indirect_costs", "building_costs")


@dataclass(frozen=True)
class Kind:
    """The tariff of a kind of offer: service, unit, days a year, 2025 level range (kr.)."""

    service: str
    unit: str
    days: int
    low: int
    high: int
    occupancy: int = 93  # the lowest budgeted occupancy; an offer's is up to 4 points higher


def _kind(offer: Offer, bases: set[str]) -> Kind:
    residential = (Service.RESIDENTIAL, Unit.DAY_NIGHT, 365)
    match offer.offer_type:
        case OfferType.DAY:
            return Kind(Service.DAY, Unit.DAY, 248, 700, 1150)
        case OfferType.EDUCATION if "STU-loven § 1" in bases:
            return Kind(Service.EDUCATION, Unit.DAY, 200, 900, 1100)
        case OfferType.EDUCATION:
            return Kind(Service.EDUCATION, Unit.DAY, 200, 1150, 1900)
        case OfferType.RESPITE:
            return Kind(Service.RESPITE, Unit.DAY_NIGHT, 365, 4200, 5200, occupancy=87)
        case OfferType.SECURE:
            return Kind(*residential, 11500, 13000)
        case OfferType.RESIDENTIAL if offer.area == Area.CHILDREN:
            return Kind(*residential, 4800, 7200)
        case OfferType.RESIDENTIAL:
            return Kind(*residential, 2600, 4200)
    if "SEL § 110" in bases:  # forsorgshjem
        return Kind(*residential, 1100, 1400)
    if "Almenboligloven § 105" in bases:  # støtte in almene boliger; the rent is the tenant's
        return Kind(*residential, 1300, 1600)
    return Kind(*residential, 1900, 3200)


def _fraction(*parts: object) -> Decimal:
    """A stable number in [0, 1) for the offer and purpose (the same on every run)."""
    key = ":".join(str(part) for part in parts).encode()
    return D(zlib.crc32(key)) / D(2**32)


def _thousands(value: Decimal) -> Decimal:
    return (value / 1000).quantize(D(1), rounding=ROUND_HALF_UP) * 1000


@dataclass(frozen=True)
class LineSpec:
    """A tariff line to be: the tariff level its costs are derived from, and the rest of its
    basis. The costs are what the offer costs, so they are derived with the rules' overhead even
    when the operator entered another one (the returned case)."""

    service: str
    unit: str
    label: str
    target: Decimal  # tariff (kr.) the costs are derived from
    places: int
    days: int
    occupancy: Decimal
    overhead: Decimal = RULES["overhead_percent"]
    shares: tuple[Decimal, ...] = SHARES
    split: bool = False  # grundtakst + ydelsestakst
    settlement: Decimal = ZERO
    building_extra: Decimal = ZERO  # added to the building costs (the corrected error)
    amount: Decimal | None = None  # entered instead of the computed tariff

    def values(self) -> dict[str, Any]:
        """The line's fields: costs derived from the target, amount computed from the basis."""
        units = D(self.places) * self.days * self.occupancy / 100
        costs = self.target * units / (1 + RULES["overhead_percent"] / 100)
        staff, operating, indirect, building = (_thousands(costs * s) for s in self.shares)
        building += self.building_extra
        basis = Basis(
            staff_costs=staff,
            operating_costs=operating,
            indirect_costs=indirect,
            building_costs=building,
            overhead_percent=self.overhead,
            places=self.places,
            days=self.days,
            occupancy_percent=self.occupancy,
            settlement=self.settlement,
        )
        tariff = compute_tariff(basis).tariff
        values: dict[str, Any] = {
            "service": self.service,
            "unit": self.unit,
            "label": self.label,
            "amount": tariff if self.amount is None else self.amount,
            **dict(zip(COST_FIELDS, (staff, operating, indirect, building), strict=True)),
            "overhead_percent": self.overhead,
            "places": self.places,
            "days": self.days,
            "occupancy_percent": self.occupancy,
            "settlement": money(self.settlement),
        }
        if self.split:
            base = money(tariff * (indirect + building) / (staff + operating + indirect + building))
            values["base_amount"] = base
            values["service_amount"] = tariff - base
        return values


@dataclass
class DemoOffer:
    offer: Offer
    kind: Kind
    places: dict[int, int]  # ordinary places on 1 January of each year
    days: dict[int, int]
    level: Decimal  # the 2025 tariff level
    occupancy: Decimal


def _demo_offer_names() -> list[str]:
    with (OFFER_DATA / "tilbud.csv").open(encoding="utf-8", newline="") as handle:
        return [row["navn"].strip() for row in csv.DictReader(handle)]


def _days_open(offer: Offer, kind: Kind, year: int, closes: datetime.date | None) -> int:
    """A year's days; a closing offer's end the day before it closes."""
    if closes is not None and closes.year == year and kind.unit == Unit.DAY_NIGHT:
        return (closes - datetime.date(year, 1, 1)).days
    return kind.days


def _demo_offers() -> list[DemoOffer]:
    names = _demo_offer_names()
    offers = (
        Offer.objects.filter(
            name__in=names,
            is_covered=True,
            status__in=[OfferStatus.ACTIVE, OfferStatus.CLOSING],
        )
        .prefetch_related("legal_bases", "capacities")
        .order_by("name", "pk")
    )
    closures = dict(
        LifecycleEvent.objects.filter(
            offer__name__in=names, kind=EventKind.CLOSURE, state=EventState.CONFIRMED
        ).values_list("offer_id", "effective_date")
    )
    demo: list[DemoOffer] = []
    for offer in offers:
        bases = {basis.label for basis in offer.legal_bases.all()}
        kind = _kind(offer, bases)
        rows = [r for r in offer.capacities.all() if r.kind == CapacityKind.ORDINARY]
        places = {y: offer_rules.places_on(rows, datetime.date(y, 1, 1)) for y in YEARS}
        if not all(places.values()):
            continue
        days = {y: _days_open(offer, kind, y, closures.get(offer.pk)) for y in YEARS}
        level = D(kind.low) + (kind.high - kind.low) * _fraction(offer.name, "level")
        occupancy = D(kind.occupancy + int(_fraction(offer.name, "occupancy") * 5))
        demo.append(DemoOffer(offer, kind, places, days, level.quantize(D(10)), occupancy))
    return demo


def _growth(name: str, year: int) -> Decimal:
    """The real change of the offer's costs in `year` (−1.5 % to +2.0 %)."""
    if year == FIRST_YEAR:
        return D(1)
    return 1 + (D(int(_fraction(name, "growth", year) * 36)) - 15) / 1000


def _occupancy(demo: DemoOffer, year: int) -> Decimal:
    """The offer's budgeted occupancy: its own, a point higher in some years (at most 99 %)."""
    bump = int(_fraction(demo.offer.name, "occupancy", year) * 2)
    return min(demo.occupancy + bump, D(99)).quantize(D("0.01"))


def _level(demo: DemoOffer, year: int) -> Decimal:
    """The tariff level the year's costs aim at: the 2025 level in the year's prices, with the
    real changes since."""
    level = demo.level * PL_INDEX[year] / PL_INDEX[FIRST_YEAR]
    for y in YEARS:
        if FIRST_YEAR < y <= year:
            level *= _growth(demo.offer.name, y)
    if demo.offer.name == WARNING_OFFER and year == CURRENT_YEAR:
        # Fewer referrals: occupancy budgeted at 80 % and one section closed, but the tariff
        # still rises 9 % in fixed prices.
        level = _level(demo, year - 1) * PL_INDEX[year] / PL_INDEX[year - 1] * WARNING_FIXED_CHANGE
    return level


def _specs(demo: DemoOffer, year: int) -> list[LineSpec]:
    """The year's lines of an offer, before the efterregulering."""
    name, kind = demo.offer.name, demo.kind
    places, days = demo.places[year], demo.days[year]
    occupancy = _occupancy(demo, year)
    if name == WARNING_OFFER and year == CURRENT_YEAR:
        occupancy = WARNING_OCCUPANCY
    level = _level(demo, year)
    main = LineSpec(kind.service, kind.unit, "", level, places, days, occupancy)
    if name == RETURNED_OFFER and year == CURRENT_YEAR:
        main = replace(main, overhead=RETURNED_OVERHEAD)
    if name in BASE_AND_SERVICE:
        main = replace(main, split=True)
    lines = [main]
    if name in TIERED:
        first = int((places * LEVEL_SHARES[0]).quantize(D(1), rounding=ROUND_HALF_UP))
        second = int((places * LEVEL_SHARES[1]).quantize(D(1), rounding=ROUND_HALF_UP))
        counts = (first, second, places - first - second)
        lines = [
            replace(main, service=Service.LEVEL, label=label, target=level * factor, places=n)
            for label, factor, n in zip(TIERED[name], LEVEL_FACTORS, counts, strict=True)
        ]
    if name in RESPITE_BESIDE:
        main = replace(main, places=places - RESPITE_PLACES)
        respite = LineSpec(
            Service.RESPITE,
            Unit.DAY_NIGHT,
            "",
            level * D("1.05"),
            RESPITE_PLACES,
            days,
            occupancy - 6,
        )
        lines = [main, respite]
    if name in SUPPLEMENT:
        target = (D(3050) + 400 * _fraction(name, "supplement")) * PL_INDEX[year]
        supplement = LineSpec(
            Service.SUPPLEMENT,
            Unit.DAY_NIGHT,
            SUPPLEMENT_LABEL,
            (target / PL_INDEX[FIRST_YEAR]).quantize(D(1)),
            2,
            days,
            D(100),
            shares=SUPPLEMENT_SHARES,
        )
        lines = [*lines, supplement]
    return lines


# --- the tariff round's rows ---------------------------------------------------------------------


@dataclass(frozen=True)
class Stamps:
    """When a sheet was created, submitted, reviewed and published, and how it stands."""

    state: str
    created_at: datetime.datetime
    submitted_at: datetime.datetime | None = None
    reviewed_at: datetime.datetime | None = None
    published_at: datetime.datetime | None = None
    review_comment: str = ""

    @property
    def last(self) -> datetime.datetime:
        moments = (self.published_at, self.reviewed_at, self.submitted_at, self.created_at)
        return next(moment for moment in moments if moment is not None)


def _stamps(name: str, year: int, number: int) -> Stamps:
    """The sheet's history: submitted in October–November the year before, begun two to five
    weeks earlier, reviewed within a week, published with the year."""
    submitted = _at(year - 1, 10, 1, 10) + datetime.timedelta(days=number % 45, hours=number % 6)
    created = submitted - datetime.timedelta(days=14 + number % 21, hours=1)
    reviewed = submitted + datetime.timedelta(days=5, hours=1)
    if year in FIRST_PUBLICATION:
        published = FIRST_PUBLICATION[year]
        return Stamps(SheetState.PUBLISHED, created, submitted, reviewed, published)
    if name in DRAFT_OFFERS:
        return Stamps(SheetState.DRAFT, created)
    if name == RETURNED_OFFER:
        submitted = _at(year - 1, 11, 2, 13)
        returned = _at(year - 1, 11, 9, 10, 30)
        created = submitted - datetime.timedelta(days=20)
        return Stamps(SheetState.RETURNED, created, submitted, returned, None, RETURN_COMMENT)
    if name == WARNING_OFFER or number % 2:
        return Stamps(SheetState.SUBMITTED, created, submitted)
    return Stamps(SheetState.APPROVED, created, submitted, reviewed)


def _write_sheet(
    counter: Counter,
    offer: Offer,
    year: int,
    stamps: Stamps,
    specs: Iterable[LineSpec],
    **extra: Any,
) -> TariffSheet:
    sheet = TariffSheet(
        offer=offer,
        year=year,
        state=stamps.state,
        submitted_at=stamps.submitted_at,
        reviewed_at=stamps.reviewed_at,
        review_comment=stamps.review_comment,
        published_at=stamps.published_at,
        **extra,
    )
    sheet._history_date = stamps.last  # type: ignore[attr-defined]
    sheet.full_clean()
    sheet.save()
    # created_at is auto_now_add: set to when the demo sheet was begun.
    TariffSheet.objects.filter(pk=sheet.pk).update(created_at=stamps.created_at)
    counter.created += 1
    for order, spec in enumerate(specs, start=1):
        line = TariffLine(sheet=sheet, order=order, **spec.values())
        line._history_date = stamps.last  # type: ignore[attr-defined]
        line.full_clean()
        line.save()
        counter.created += 1
    return sheet


def _with_settlement(specs: list[LineSpec], due: Decimal) -> list[LineSpec]:
    """The efterregulering enters the first line's costs."""
    if not due:
        return specs
    return [replace(specs[0], settlement=due), *specs[1:]]


def _seed_settlements(counter: Counter, demo: DemoOffer) -> None:
    """Bostedet Engly's results: 2024 a deficit just under the 5 % limit (all of it into
    2025); 2025 a deficit of 9.8 % of the budget (5 % into 2026, the rest into 2027). The
    tariffs then carry a similar amount each year (see the module)."""
    offer = demo.offer
    budget_2025 = _thousands(sum((_budget(s) for s in _specs(demo, 2025)), D(0)))
    budget_2024 = _thousands(budget_2025 * PL_INDEX[2024] / PL_INDEX[2025])
    for year, budget, deficit in [
        (2024, budget_2024, D("0.048")),
        (2025, budget_2025, D("0.098")),
    ]:
        if Settlement.objects.filter(offer=offer, year=year).exists():
            continue
        revenue = _thousands(budget * D("0.985"))
        costs = revenue + _thousands(budget * deficit)
        split = split_settlement(
            actual_revenue=revenue,
            actual_costs=costs,
            budget=budget,
            next_year_limit_percent=rules_for(offer, year).settlement_next_year_percent,
        )
        settlement = Settlement(
            offer=offer,
            year=year,
            budget=budget,
            actual_revenue=revenue,
            actual_costs=costs,
            next_year=split.next_year,
            year_after=split.year_after,
        )
        settlement._history_date = _at(year + 1, 4, 15, 10)  # type: ignore[attr-defined]
        settlement.full_clean()
        settlement.save()
        counter.created += 1


def _budget(spec: LineSpec) -> Decimal:
    values = spec.values()
    costs = sum((values[name] for name in COST_FIELDS), D(0))
    return costs * (1 + spec.overhead / 100)


def _seed_corrected(counter: Counter, demo: DemoOffer, year: int, number: int) -> None:
    """Danahus 2026: version 1 (building costs counted twice) published with the year and
    replaced by version 2 in February."""
    specs = _specs(demo, year)
    wrong = [replace(specs[0], building_extra=specs[0].values()["building_costs"]), *specs[1:]]
    first = replace(_stamps(demo.offer.name, year, number), state=SheetState.SUPERSEDED)
    v1 = _write_sheet(counter, demo.offer, year, first, wrong)
    second = Stamps(SheetState.PUBLISHED, *CORRECTION_TIMES)
    _write_sheet(
        counter,
        demo.offer,
        year,
        second,
        specs,
        version=2,
        replaces=v1,
        correction_reason=CORRECTION_REASON,
    )


def seed_tables(counter: Counter) -> None:
    for year, index in PL_INDEX.items():
        upsert(PriceIndex, counter, {"year": year}, index=index)
    periods = AgreementPeriod.objects.filter(region__code__in=DEMO_REGION_CODES).order_by("pk")
    for period in periods:
        upsert(TariffRules, counter, {"period": period}, **RULES)


def seed_years(counter: Counter) -> None:
    existing = set(TariffYear.objects.values_list("year", flat=True))
    for year, demo in TARIFF_YEARS.items():
        if year in existing:
            continue
        row = TariffYear(
            year=year,
            submission_deadline=demo.deadline,
            reminder_sent_at=demo.reminder_sent_at,
            published_at=demo.published_at,
            version=demo.version,
        )
        row.full_clean()
        row.save()
        counter.created += 1


def seed_sheets(counter: Counter) -> None:
    existing = set(TariffSheet.objects.values_list("offer_id", "year"))
    for number, demo in enumerate(_demo_offers()):
        name = demo.offer.name
        if name == SETTLEMENT_OFFER:
            _seed_settlements(counter, demo)
        for year in YEARS:
            if (demo.offer.pk, year) in existing:
                continue
            if name == MISSING_OFFER and year == CURRENT_YEAR:
                continue
            if name == CORRECTED_OFFER and year == 2026:
                _seed_corrected(counter, demo, year, number)
                continue
            specs = _with_settlement(_specs(demo, year), settlement_due(demo.offer, year))
            if name == DIFFERENCE_OFFER and year == CURRENT_YEAR:
                # Entered as a round figure: the next whole ten kroner above the computed one.
                computed = specs[0].values()["amount"]
                rounded = (computed / 10).quantize(D(1), rounding=ROUND_CEILING) * 10
                specs[0] = replace(specs[0], amount=rounded + (10 if rounded == computed else 0))
            _write_sheet(counter, demo.offer, year, _stamps(name, year, number), specs)


def seed(counter: Counter) -> None:
    seed_tables(counter)
    seed_years(counter)
    seed_sheets(counter)
