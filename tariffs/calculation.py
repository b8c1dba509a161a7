"""The common calculation model (fælles beregningsmodel) for tariffs, as plain functions.

A tariff is the budgeted cost of the offer divided over the budgeted days of use:

    costs      = direct costs (staff + operation) + indirect costs + buildings
                 (rent, depreciation, interest)
    overhead   = costs × overhead %                       (a rule of the agreement period)
    total      = costs + overhead + efterregulering       (carried from earlier years)
    tariff     = total / (places × days × occupancy %)

Efterregulering: the surplus or deficit of a year (actual revenue − actual costs) is handed back
to (surplus) or recovered from (deficit) the buyers in later tariffs. The documented default
model carries up to ±`next_year_limit` % of that year's budget into the next year's tariff and
the rest into the tariff two years later. A surplus lowers later tariffs, so it is carried with
a negative sign.

Money is Decimal, rounded half up to øre only at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Basis:
    """The calculation basis (beregningsgrundlag) of one tariff line, in DKK per year."""

    staff_costs: Decimal
    operating_costs: Decimal
    indirect_costs: Decimal
    building_costs: Decimal
    overhead_percent: Decimal
    places: int
    days: int
    occupancy_percent: Decimal
    settlement: Decimal = ZERO  # efterregulering carried into this year (+ deficit, − surplus)


@dataclass(frozen=True)
class Computation:
    """Every step of the calculation, for showing it ("how the figure was made")."""

    direct_costs: Decimal
    costs: Decimal
    overhead: Decimal
    settlement: Decimal
    total: Decimal
    budgeted_units: Decimal  # places × days × occupancy
    tariff: Decimal


class CalculationError(ValueError):
    """The basis cannot give a tariff (no places, days or occupancy)."""


def compute_tariff(basis: Basis) -> Computation:
    """The tariff from its basis: costs / (places × days × occupancy) — see the module."""
    if basis.places <= 0 or basis.days <= 0:
        raise CalculationError("places and days must be positive")
    if not (ZERO < basis.occupancy_percent <= HUNDRED):
        raise CalculationError("occupancy must be in (0, 100] %")
    direct = basis.staff_costs + basis.operating_costs
    costs = direct + basis.indirect_costs + basis.building_costs
    overhead = costs * basis.overhead_percent / HUNDRED
    total = costs + overhead + basis.settlement
    units = Decimal(basis.places) * Decimal(basis.days) * basis.occupancy_percent / HUNDRED
    return Computation(
        direct_costs=money(direct),
        costs=money(costs),
        overhead=money(overhead),
        settlement=money(basis.settlement),
        total=money(total),
        budgeted_units=units.quantize(CENT, rounding=ROUND_HALF_UP),
        tariff=money(total / units),
    )


@dataclass(frozen=True)
class SettlementSplit:
    """How a year's result is carried: into the next year and into the year after that."""

    result: Decimal  # actual revenue − actual costs (+ surplus, − deficit)
    next_year: Decimal  # carried into year + 1 (sign as it enters the tariff's costs)
    year_after: Decimal  # carried into year + 2


def split_settlement(
    *,
    actual_revenue: Decimal,
    actual_costs: Decimal,
    budget: Decimal,
    next_year_limit_percent: Decimal = Decimal(5),
) -> SettlementSplit:
    """Split a year's surplus/deficit by the default model: up to ±limit % of the budget into
    the next year, the rest two years later. A surplus enters later costs negatively."""
    result = actual_revenue - actual_costs
    carried = -result  # a deficit (negative result) is recovered: positive cost
    cap = abs(budget) * next_year_limit_percent / HUNDRED
    next_year = max(-cap, min(cap, carried))
    return SettlementSplit(
        result=money(result), next_year=money(next_year), year_after=money(carried - next_year)
    )


def fixed_price_change(
    *, previous: Decimal, current: Decimal, previous_index: Decimal, current_index: Decimal
) -> Decimal:
    """Change from last year in fixed prices, in %: last year's tariff is lifted to this year's
    price level by the PL index before comparing."""
    lifted = previous * current_index / previous_index
    if lifted == ZERO:
        raise CalculationError("no previous tariff to compare with")
    return ((current - lifted) / lifted * HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def current_price_change(*, previous: Decimal, current: Decimal) -> Decimal:
    if previous == ZERO:
        raise CalculationError("no previous tariff to compare with")
    return ((current - previous) / previous * HUNDRED).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
