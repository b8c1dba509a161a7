"""The rules of the registry, as plain functions of dates and rows (no queries):
the places on a date, notice deadlines, and the SEL § 186 dates for a takeover.

Places on a date (`places_on`): ordinary rows (normering) hold from their date until the next
ordinary row of the same scope; the newest ordinary row on or before the date decides whether
the offer is counted as a whole (a row without legal basis) or per legal basis (the newest row
of each basis since the last whole-offer row, summed). Temporary over-occupancy rows add their
places between their first and last day.

Takeover (SEL § 186): a municipality may take over a regional offer in its area once per
municipal electoral period; it gives notice by 1 January of the period's third year and takes
over on 1 January of its fourth. Electoral periods begin on 1 January after the municipal
elections (2022, 2026, 2030, …).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

ORDINARY = "normering"
OVER_OCCUPANCY = "overbelaegning"
# The first year of an electoral period modulo 4 (2022, 2026, 2030…).
_PERIOD_START_MOD = 2022 % 4


class CapacityRow(Protocol):
    """What the rules read of a capacity row (offers.models.Capacity, or any look-alike)."""

    @property
    def pk(self) -> Any: ...
    @property
    def kind(self) -> str: ...
    @property
    def legal_basis_id(self) -> int | None: ...
    @property
    def valid_from(self) -> datetime.date: ...
    @property
    def valid_to(self) -> datetime.date | None: ...
    @property
    def places(self) -> int: ...


def places_on(rows: Iterable[CapacityRow], day: datetime.date) -> int:
    """The offer's places on `day` from its capacity rows (see the module's docstring)."""
    whole: CapacityRow | None = None
    per_basis: dict[int, CapacityRow] = {}
    extra = 0
    for row in rows:
        if row.valid_from > day:
            continue
        if row.kind == OVER_OCCUPANCY:
            if row.valid_to is not None and day <= row.valid_to:
                extra += row.places
            continue
        key = (row.valid_from, row.pk or 0)
        if row.legal_basis_id is None:
            if whole is None or key > (whole.valid_from, whole.pk or 0):
                whole = row
        else:
            known = per_basis.get(row.legal_basis_id)
            if known is None or key > (known.valid_from, known.pk or 0):
                per_basis[row.legal_basis_id] = row
    newest_basis = max(((r.valid_from, r.pk or 0) for r in per_basis.values()), default=None)
    if whole is not None and (
        newest_basis is None or (whole.valid_from, whole.pk or 0) > newest_basis
    ):
        return whole.places + extra
    since = whole.valid_from if whole is not None else datetime.date.min
    return sum(r.places for r in per_basis.values() if r.valid_from >= since) + extra


def places_by_basis_on(rows: Iterable[CapacityRow], day: datetime.date) -> dict[int | None, int]:
    """The ordinary places on `day` per legal basis id (None: the offer as a whole)."""
    rows = list(rows)
    ordinary = [r for r in rows if r.kind == ORDINARY and r.valid_from <= day]
    whole = max(
        (r for r in ordinary if r.legal_basis_id is None),
        key=lambda r: (r.valid_from, r.pk or 0),
        default=None,
    )
    latest: dict[int, CapacityRow] = {}
    for row in ordinary:
        if row.legal_basis_id is None:
            continue
        known = latest.get(row.legal_basis_id)
        if known is None or (row.valid_from, row.pk or 0) > (known.valid_from, known.pk or 0):
            latest[row.legal_basis_id] = row
    since = whole.valid_from if whole is not None else datetime.date.min
    split: dict[int | None, int] = {b: r.places for b, r in latest.items() if r.valid_from >= since}
    if whole is not None and not split:
        return {None: whole.places}
    return split


def change_dates(rows: Iterable[CapacityRow]) -> list[datetime.date]:
    """Every date on which the places may change: for a chart of capacity over time."""
    dates: set[datetime.date] = set()
    for row in rows:
        dates.add(row.valid_from)
        if row.valid_to is not None:
            dates.add(row.valid_to + datetime.timedelta(days=1))
    return sorted(dates)


def capacity_series(
    rows: Iterable[CapacityRow], *, until: datetime.date | None = None
) -> list[tuple[datetime.date, int]]:
    """(date, places) at every change, the places holding from that date on."""
    rows = list(rows)
    series: list[tuple[datetime.date, int]] = []
    for day in change_dates(rows):
        if until is not None and day > until:
            break
        places = places_on(rows, day)
        if not series or series[-1][1] != places:
            series.append((day, places))
    return series


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by `months` calendar months (negative: back), the day clamped to the month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class ElectoralPeriod:
    start_year: int

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.start_year, 1, 1)

    @property
    def last_day(self) -> datetime.date:
        return datetime.date(self.start_year + 3, 12, 31)

    @property
    def takeover_notice_by(self) -> datetime.date:
        """1 January of the period's third year."""
        return datetime.date(self.start_year + 2, 1, 1)

    @property
    def takeover_on(self) -> datetime.date:
        """1 January of the period's fourth year."""
        return datetime.date(self.start_year + 3, 1, 1)


def electoral_period(day: datetime.date) -> ElectoralPeriod:
    """The municipal electoral period that `day` falls in."""
    return ElectoralPeriod(day.year - ((day.year - _PERIOD_START_MOD) % 4))


def takeover_period_for(effective_date: datetime.date) -> ElectoralPeriod | None:
    """The electoral period in which a takeover taking effect on `effective_date` is allowed
    (it must be 1 January of a period's fourth year); None if the date is not such a day."""
    period = electoral_period(effective_date)
    return period if effective_date == period.takeover_on else None


def next_takeover(after: datetime.date) -> ElectoralPeriod:
    """The first period whose takeover notice date is on or after `after`."""
    period = electoral_period(after)
    if after > period.takeover_notice_by:
        period = ElectoralPeriod(period.start_year + 4)
    return period
