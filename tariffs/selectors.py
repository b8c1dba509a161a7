"""Reads for the public pages of tariffs: the overview of a year (takstoversigt) and its
exports and PDF, an offer's tariffs over the years, and the average development per area and
per operator.

Every reader sees published tariffs only here — the public, the reviewers and the secretariat
alike (the review pages are elsewhere) — of the offers they may see: `published_sheets` reads
through `tariffs.permissions.sheets_visible_to` and `offers.permissions.offers_visible_to`.
These functions only fetch, in a fixed number of queries whatever the data size, and shape the
answer for the templates; comparisons with last year use `tariffs.calculation`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, QueryDict

from core.db import danish_sort_key
from offers.filters import MUNICIPALITY_PREFIX, REGION_PREFIX
from offers.models import Area, Offer
from offers.permissions import offers_visible_to
from offers.selectors import SortColumn, filter_choices, operator_name
from tariffs.calculation import (
    CalculationError,
    Computation,
    current_price_change,
    fixed_price_change,
    money,
)
from tariffs.filters import TariffFilter
from tariffs.models import PriceIndex, SheetState, TariffLine, TariffSheet
from tariffs.permissions import (
    can_enter_tariffs,
    can_review,
    can_see_sheet,
    sheets_visible_to,
)
from tariffs.services import line_computation, price_indexes

# What a line is compared with last year by: the same offer's line of the same service, unit
# and label.
LineKey = tuple[int, str, str, str]

LINE_RELATED = (
    "sheet__offer__operator_municipality",
    "sheet__offer__operator_region",
)
TENTH = Decimal("0.1")


def published_sheets(user: Any) -> QuerySet[TariffSheet]:
    """The published sheets `user` reads here: published only, of the offers they may see."""
    return sheets_visible_to(user).filter(
        state=SheetState.PUBLISHED, offer__in=offers_visible_to(user)
    )


def published_years(sheets: QuerySet[TariffSheet]) -> list[int]:
    """The years of these sheets, newest first. One query."""
    return list(sheets.order_by("-year").values_list("year", flat=True).distinct())


def _line_key(offer_id: int, line: TariffLine) -> LineKey:
    return (offer_id, line.service, line.unit, line.label)


@dataclass(frozen=True, slots=True)
class Change:
    """A tariff against the same tariff last year, in % (None when there is nothing to compare
    with: no published line last year, or no PL index for one of the years)."""

    previous: Decimal | None
    current_prices: Decimal | None
    fixed_prices: Decimal | None


NO_CHANGE = Change(previous=None, current_prices=None, fixed_prices=None)


def compare(
    *,
    previous: Decimal | None,
    current: Decimal,
    previous_index: Decimal | None,
    current_index: Decimal | None,
) -> Change:
    """`current` against last year's `previous`, in current prices and (with both years' PL
    index) in fixed prices."""
    if previous is None:
        return NO_CHANGE
    try:
        in_current = current_price_change(previous=previous, current=current)
    except CalculationError:
        return Change(previous=previous, current_prices=None, fixed_prices=None)
    fixed = None
    if previous_index is not None and current_index is not None:
        fixed = fixed_price_change(
            previous=previous,
            current=current,
            previous_index=previous_index,
            current_index=current_index,
        )
    return Change(previous=previous, current_prices=in_current, fixed_prices=fixed)


# --- the overview ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TariffRow:
    """One published tariff of the overview, with last year's and how it was computed."""

    line: TariffLine
    change: Change
    computation: Computation | None

    @property
    def offer(self) -> Offer:
        return self.line.sheet.offer

    @property
    def operator_name(self) -> str:
        return operator_name(self.offer)


def _previous_amounts(offer_ids: Iterable[int], year: int) -> dict[LineKey, Decimal]:
    """The published amounts of `year` of these offers by (offer, service, unit, label)."""
    lines = TariffLine.objects.filter(
        sheet__state=SheetState.PUBLISHED, sheet__year=year, sheet__offer_id__in=list(offer_ids)
    ).values_list("sheet__offer_id", "service", "unit", "label", "amount")
    return {(offer_id, s, u, lbl): amount for offer_id, s, u, lbl, amount in lines}


def _rows(lines: Sequence[TariffLine], year: int) -> tuple[list[TariffRow], dict[int, Decimal]]:
    """The rows with their change from last year, and the PL index of both years: two queries
    (last year's amounts, when there are lines, and the index)."""
    previous = _previous_amounts({line.sheet.offer_id for line in lines}, year - 1) if lines else {}
    indexes = price_indexes(year - 1, year)
    rows = [
        TariffRow(
            line=line,
            change=compare(
                previous=previous.get(_line_key(line.sheet.offer_id, line)),
                current=line.amount,
                previous_index=indexes.get(year - 1),
                current_index=indexes.get(year),
            ),
            computation=line_computation(line),
        )
        for line in lines
    ]
    return rows, indexes


def _lines(sheets: QuerySet[TariffSheet]) -> QuerySet[TariffLine]:
    return (
        TariffLine.objects.filter(sheet__in=sheets)
        .select_related(*LINE_RELATED)
        .defer("sheet__offer__description")
    )


def _name_key(row: TariffRow) -> tuple[str, int, int, int]:
    return (danish_sort_key(row.offer.name), row.offer.pk, row.line.order, row.line.pk)


SORT_KEYS: dict[str, Callable[[TariffRow], Any]] = {
    "navn": _name_key,
    "driftsherre": lambda row: danish_sort_key(row.operator_name),
    "takst": lambda row: row.line.amount,
}
DEFAULT_SORT = "navn"


def parse_sort(value: str | None) -> tuple[str, bool]:
    """(column, descending) from the `sortering` parameter ("takst", "-takst", …)."""
    value = value or ""
    descending = value.startswith("-")
    column = value.removeprefix("-")
    if column not in SORT_KEYS:
        return DEFAULT_SORT, False
    return column, descending


def sort_rows(rows: list[TariffRow], column: str, *, descending: bool) -> list[TariffRow]:
    # By offer name and line order first; the sort is stable, so ties stay in that order.
    rows = sorted(rows, key=_name_key)
    if column != DEFAULT_SORT or descending:
        rows.sort(key=SORT_KEYS[column], reverse=descending)
    return rows


def sort_columns(column: str, descending: bool) -> dict[str, SortColumn]:
    columns = {}
    for name in SORT_KEYS:
        if name == column:
            aria = "descending" if descending else "ascending"
            param = name if descending else f"-{name}"
        else:
            aria, param = "", name
        columns[name] = SortColumn(param=param, aria_sort=aria)
    return columns


def parse_year(value: str | None, years: Sequence[int]) -> int | None:
    """The year asked for (`aar`), or the newest with published tariffs."""
    try:
        year = int(value or "")
    except ValueError:
        return years[0] if years else None
    return year if 1900 <= year <= 2999 else (years[0] if years else None)


@dataclass(frozen=True)
class Overview:
    year: int | None
    years: list[int]
    filterset: TariffFilter
    rows: list[TariffRow]
    sort: str
    descending: bool
    columns: dict[str, SortColumn]
    has_indexes: bool

    @property
    def is_filtered(self) -> bool:
        data = self.filterset.data
        return any(data.get(name) for name in self.filterset.filters)

    @property
    def offer_count(self) -> int:
        return len({row.offer.pk for row in self.rows})

    @property
    def is_published(self) -> bool:
        return self.year in self.years


def tariff_overview(user: Any, data: QueryDict) -> Overview:
    """The published tariffs of the year `aar` (the newest by default) of the offers `user` may
    see, filtered and sorted as `data` asks, each with its change from last year in current
    and fixed prices and its calculation. Eight queries whatever the size: the years, the
    filters' choices (four), the lines, last year's amounts and the PL index."""
    published = published_sheets(user)
    years = published_years(published)
    year = parse_year(data.get("aar"), years)
    sheets = published.filter(year=year) if year is not None else published.none()
    offers = offers_visible_to(user).filter(Exists(sheets.filter(offer=OuterRef("pk"))))
    choices = filter_choices(offers)
    filterset = TariffFilter(
        data,
        queryset=_lines(sheets),
        operators=choices["operators"],
        legal_bases=choices["legal_bases"],
        target_groups=choices["target_groups"],
    )
    rows, indexes = _rows(list(filterset.qs), year) if year is not None else ([], {})
    column, descending = parse_sort(data.get("sortering"))
    return Overview(
        year=year,
        years=years,
        filterset=filterset,
        rows=sort_rows(rows, column, descending=descending),
        sort=column,
        descending=descending,
        columns=sort_columns(column, descending),
        has_indexes=len(indexes) == 2,
    )


@dataclass(frozen=True)
class AreaRows:
    area: str
    label: str
    rows: list[TariffRow]


def rows_by_area(rows: Sequence[TariffRow]) -> list[AreaRows]:
    """The rows per area, in the areas' order, keeping the rows' order within each."""
    grouped: dict[str, list[TariffRow]] = defaultdict(list)
    for row in rows:
        grouped[row.offer.area].append(row)
    return [
        AreaRows(area=value, label=str(label), rows=grouped[value])
        for value, label in Area.choices
        if value in grouped
    ]


@dataclass(frozen=True)
class PublicOverview:
    year: int
    rows: list[TariffRow]
    indexes: dict[int, Decimal]

    @property
    def areas(self) -> list[AreaRows]:
        return rows_by_area(self.rows)

    @property
    def offer_count(self) -> int:
        return len({row.offer.pk for row in self.rows})


def public_overview(year: int) -> PublicOverview:
    """Every published tariff of `year` as the public sees it, by offer name: for the PDF,
    rendered once for everyone. Three queries."""
    lines = list(_lines(published_sheets(AnonymousUser()).filter(year=year)))
    rows, indexes = _rows(lines, year)
    return PublicOverview(
        year=year, rows=sort_rows(rows, DEFAULT_SORT, descending=False), indexes=indexes
    )


def has_published_tariffs(year: int) -> bool:
    return published_sheets(AnonymousUser()).filter(year=year).exists()


# --- an offer's tariffs over the years ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One published tariff of one year, also in the prices of the newest year with an index."""

    year: int
    line: TariffLine
    fixed_amount: Decimal | None
    change: Change
    series: str  # the tariff's name across the years (service, label, unit)


@dataclass(frozen=True)
class OfferTariffs:
    rows: list[HistoryRow]
    base_year: int | None  # the price level of `fixed_amount`
    current_sheet: TariffSheet | None  # the newest sheet the reader may open, in any state

    @property
    def years(self) -> list[int]:
        return sorted({row.year for row in self.rows})

    @property
    def series(self) -> list[str]:
        return list(dict.fromkeys(row.series for row in self.rows))


def _series(line: TariffLine) -> str:
    return " ".join(
        part for part in (line.get_service_display(), line.label, line.get_unit_display()) if part
    )


def offer_tariffs(user: Any, offer: Offer) -> OfferTariffs:
    """The offer's published tariffs over the years, with their PL index, and the newest sheet
    the reader may open. One query for the public (the lines with their sheet and index); a
    reviewer or the offer's editor adds the newest sheet they may see, and a logged-in reader
    what `sheets_visible_to` asks."""
    # The offer page has decided the reader may see the offer; the sheets are asked for once.
    visible = sheets_visible_to(user).filter(offer=offer)
    index = PriceIndex.objects.filter(year=OuterRef("sheet__year")).values("index")[:1]
    lines = list(
        TariffLine.objects.filter(sheet__in=visible.filter(state=SheetState.PUBLISHED))
        .select_related("sheet")
        .annotate(pl_index=Subquery(index))
        .order_by("sheet__year", "order", "pk")
    )
    indexes: dict[int, Decimal] = {
        line.sheet.year: getattr(line, "pl_index")  # noqa: B009 - an annotation
        for line in lines
        if getattr(line, "pl_index") is not None  # noqa: B009
    }
    base_year = max(indexes) if indexes else None
    by_key = {(line.sheet.year, line.service, line.unit, line.label): line for line in lines}
    rows = []
    for line in lines:
        year = line.sheet.year
        last = by_key.get((year - 1, line.service, line.unit, line.label))
        fixed = None
        if base_year is not None and year in indexes:
            fixed = money(line.amount * indexes[base_year] / indexes[year])
        rows.append(
            HistoryRow(
                year=year,
                line=line,
                fixed_amount=fixed,
                change=compare(
                    previous=last.amount if last is not None else None,
                    current=line.amount,
                    previous_index=indexes.get(year - 1),
                    current_index=indexes.get(year),
                ),
                series=_series(line),
            )
        )
    # Each tariff's years together, in the order of the newest sheet it is on.
    position: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: (-r.year, r.line.order, r.line.pk)):
        position.setdefault(row.series, len(position))
    rows.sort(key=lambda row: (position[row.series], row.year))
    return OfferTariffs(
        rows=rows, base_year=base_year, current_sheet=_current_sheet(user, offer, visible, lines)
    )


def _current_sheet(
    user: Any, offer: Offer, visible: QuerySet[TariffSheet], lines: Sequence[TariffLine]
) -> TariffSheet | None:
    if not (can_review(user) or can_enter_tariffs(user, offer)):
        # The reader may open published sheets only: the newest is among the lines.
        return max((line.sheet for line in lines), key=lambda s: s.year, default=None)
    sheet = visible.order_by("-year", "-version").first()
    if sheet is None:
        return None
    sheet.offer = offer  # can_see_sheet reads it
    return sheet if can_see_sheet(user, sheet) else None


def offer_tariffs_context(request: HttpRequest, offer: Offer) -> dict[str, Any]:
    """The offer page's section (registered in `TariffsConfig.ready`): nothing when the reader
    has no tariffs of the offer to see."""
    tariffs = offer_tariffs(request.user, offer)
    if not tariffs.rows and tariffs.current_sheet is None:
        return {}
    return {"offer": offer, "tariffs": tariffs}


# --- development per area and per operator -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DevelopmentCell:
    """The average change in fixed prices, in %, of `count` tariffs compared with last year."""

    year: int
    value: Decimal | None
    count: int


@dataclass(frozen=True)
class DevelopmentRow:
    label: str
    param: str  # the overview's filter value for the group
    cells: list[DevelopmentCell]


@dataclass(frozen=True)
class Development:
    years: list[int]  # each compared with the year before
    by_area: list[DevelopmentRow]
    by_operator: list[DevelopmentRow]
    overall: DevelopmentRow
    missing_indexes: list[int]

    @property
    def area_rows(self) -> list[DevelopmentRow]:
        """Each area, then all offers together."""
        return [*self.by_area, self.overall]


def _average(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _development_row(
    label: str, param: str, years: Sequence[int], changes: dict[int, list[Decimal]]
) -> DevelopmentRow:
    cells = [
        DevelopmentCell(
            year=year, value=_average(changes.get(year, [])), count=len(changes.get(year, []))
        )
        for year in years
    ]
    return DevelopmentRow(label=label, param=param, cells=cells)


def tariff_development(user: Any) -> Development:
    """The average change in fixed prices (PL index) from year to year of the published tariffs
    `user` may see, per area and per operator: a tariff is compared with the same offer's
    published tariff of the same service, unit and label the year before. Two queries."""
    lines = list(
        TariffLine.objects.filter(sheet__in=published_sheets(user)).values_list(
            "sheet__year",
            "sheet__offer_id",
            "sheet__offer__area",
            "sheet__offer__operator_municipality__code",
            "sheet__offer__operator_municipality__name",
            "sheet__offer__operator_region__code",
            "sheet__offer__operator_region__name",
            "service",
            "unit",
            "label",
            "amount",
        )
    )
    indexes = dict(PriceIndex.objects.values_list("year", "index"))
    amounts: dict[tuple[int, int, str, str, str], Decimal] = {
        (year, offer_id, service, unit, label): amount
        for year, offer_id, _a, _mc, _mn, _rc, _rn, service, unit, label, amount in lines
    }
    all_years = sorted({line[0] for line in lines})
    years = [year for year in all_years if year - 1 in all_years]
    by_area: dict[str, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    by_operator: dict[str, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    operator_names: dict[str, str] = {}
    overall: dict[int, list[Decimal]] = defaultdict(list)
    for year, offer_id, area, m_code, m_name, r_code, r_name, service, unit, label, amount in lines:
        previous = amounts.get((year - 1, offer_id, service, unit, label))
        if previous is None or year - 1 not in indexes or year not in indexes:
            continue
        try:
            change = fixed_price_change(
                previous=previous,
                current=amount,
                previous_index=indexes[year - 1],
                current_index=indexes[year],
            )
        except CalculationError:
            continue
        operator = MUNICIPALITY_PREFIX + m_code if m_code else REGION_PREFIX + r_code
        operator_names[operator] = m_name or r_name or ""
        by_area[area][year].append(change)
        by_operator[operator][year].append(change)
        overall[year].append(change)
    return Development(
        years=years,
        by_area=[
            _development_row(str(label), value, years, by_area[value])
            for value, label in Area.choices
            if value in by_area
        ],
        by_operator=sorted(
            (
                _development_row(operator_names[key], key, years, changes)
                for key, changes in by_operator.items()
            ),
            key=lambda row: danish_sort_key(row.label),
        ),
        overall=_development_row("", "", years, overall),
        missing_indexes=[
            year for year in sorted({*years, *(y - 1 for y in years)}) if year not in indexes
        ],
    )
