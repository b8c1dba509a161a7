"""The common calculation model (tariffs.calculation) against examples worked out by hand.

Every expected figure below is written out in the comments, step by step, so that a reader can
check it with pencil and paper (or a pocket calculator) without trusting the code.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tariffs.calculation import (
    Basis,
    CalculationError,
    compute_tariff,
    current_price_change,
    fixed_price_change,
    money,
    split_settlement,
)

D = Decimal


def example_basis(**changes: object) -> Basis:
    """A residential offer of 20 places, open all year, budgeted at 95 % occupancy.

    staff 8,000,000 + operation 1,000,000 + indirect 500,000 + buildings 500,000
    = costs 10,000,000 kr.; overhead 6 %."""
    values: dict[str, object] = {
        "staff_costs": D("8000000"),
        "operating_costs": D("1000000"),
        "indirect_costs": D("500000"),
        "building_costs": D("500000"),
        "overhead_percent": D("6"),
        "places": 20,
        "days": 365,
        "occupancy_percent": D("95"),
    }
    values.update(changes)
    return Basis(**values)  # type: ignore[arg-type]


# --- compute_tariff ------------------------------------------------------------------------------


def test_the_worked_example_with_overhead_and_occupancy() -> None:
    # direct costs   = 8,000,000 + 1,000,000                        =  9,000,000.00
    # costs          = 9,000,000 + 500,000 + 500,000                = 10,000,000.00
    # overhead       = 10,000,000 × 6 / 100                         =    600,000.00
    # total          = 10,000,000 + 600,000 + 0 (no efterregulering) = 10,600,000.00
    # budgeted units = 20 places × 365 days × 95 / 100              =      6,935.00
    # tariff         = 10,600,000 / 6,935 = 1,528.4787…  → rounded   =      1,528.48 kr.
    result = compute_tariff(example_basis())
    assert result.direct_costs == D("9000000.00")
    assert result.costs == D("10000000.00")
    assert result.overhead == D("600000.00")
    assert result.settlement == D("0.00")
    assert result.total == D("10600000.00")
    assert result.budgeted_units == D("6935.00")
    assert result.tariff == D("1528.48")


def test_efterregulering_enters_the_total_before_dividing() -> None:
    # A deficit of an earlier year recovered now: + 250,000.
    # total  = 10,000,000 + 600,000 + 250,000 = 10,850,000.00
    # tariff = 10,850,000 / 6,935 = 1,564.5277…  → 1,564.53 kr.
    result = compute_tariff(example_basis(settlement=D("250000")))
    assert result.settlement == D("250000.00")
    assert result.total == D("10850000.00")
    assert result.tariff == D("1564.53")


def test_a_surplus_handed_back_lowers_the_tariff() -> None:
    # A surplus returned to the buyers: − 250,000.
    # total  = 10,600,000 − 250,000 = 10,350,000.00
    # tariff = 10,350,000 / 6,935 = 1,492.4297…  → 1,492.43 kr.
    result = compute_tariff(example_basis(settlement=D("-250000")))
    assert result.total == D("10350000.00")
    assert result.tariff == D("1492.43")


def test_full_occupancy_and_no_overhead() -> None:
    # costs = total = 10,000,000 (overhead 0 %); units = 20 × 365 × 100 / 100 = 7,300
    # tariff = 10,000,000 / 7,300 = 1,369.8630…  → 1,369.86 kr.
    result = compute_tariff(example_basis(overhead_percent=D("0"), occupancy_percent=D("100")))
    assert result.overhead == D("0.00")
    assert result.budgeted_units == D("7300.00")
    assert result.tariff == D("1369.86")


def test_a_day_offer_per_opening_day() -> None:
    # A day centre: 30 places, 248 opening days, 90 % occupancy.
    # costs    = 4,200,000 + 600,000 + 300,000 + 400,000 = 5,500,000
    # overhead = 5,500,000 × 5 / 100 = 275,000  → total 5,775,000
    # units    = 30 × 248 × 90 / 100 = 6,696
    # tariff   = 5,775,000 / 6,696 = 862.4551…  → 862.46 kr. pr. dag
    result = compute_tariff(
        example_basis(
            staff_costs=D("4200000"),
            operating_costs=D("600000"),
            indirect_costs=D("300000"),
            building_costs=D("400000"),
            overhead_percent=D("5"),
            places=30,
            days=248,
            occupancy_percent=D("90"),
        )
    )
    assert result.total == D("5775000.00")
    assert result.budgeted_units == D("6696.00")
    assert result.tariff == D("862.46")


def test_rounding_is_half_up_to_oere_only_at_the_end() -> None:
    # 100.04 kr. over 1 place × 8 days × 100 % = 100.04 / 8 = 12.505 exactly:
    # half up gives 12.51 (banker's rounding would give 12.50).
    result = compute_tariff(
        example_basis(
            staff_costs=D("100.04"),
            operating_costs=D("0"),
            indirect_costs=D("0"),
            building_costs=D("0"),
            overhead_percent=D("0"),
            places=1,
            days=8,
            occupancy_percent=D("100"),
        )
    )
    assert result.tariff == D("12.51")
    # The steps are not rounded on the way: costs 1.005 kr. over 1 place × 2 days × 100 %.
    # The total is shown as 1.01, but the tariff is 1.005 / 2 = 0.5025 → 0.50
    # (dividing the rounded total would give 1.01 / 2 = 0.505 → 0.51).
    result = compute_tariff(
        example_basis(
            staff_costs=D("1.005"),
            operating_costs=D("0"),
            indirect_costs=D("0"),
            building_costs=D("0"),
            overhead_percent=D("0"),
            places=1,
            days=2,
            occupancy_percent=D("100"),
        )
    )
    assert result.total == D("1.01")  # shown rounded
    assert result.tariff == D("0.50")  # computed from the unrounded 1.005


def test_money_rounds_half_up() -> None:
    assert money(D("0.005")) == D("0.01")
    assert money(D("0.015")) == D("0.02")
    assert money(D("0.0049")) == D("0.00")
    assert money(D("-0.005")) == D("-0.01")  # half away from zero for negative amounts too


@pytest.mark.parametrize(
    "changes",
    [
        {"places": 0},
        {"days": 0},
        {"places": -1},
        {"occupancy_percent": D("0")},
        {"occupancy_percent": D("-5")},
        {"occupancy_percent": D("100.01")},
        {"occupancy_percent": D("120")},
    ],
)
def test_a_basis_that_cannot_give_a_tariff_is_an_error(changes: dict[str, object]) -> None:
    with pytest.raises(CalculationError):
        compute_tariff(example_basis(**changes))


def test_occupancy_of_exactly_100_is_allowed() -> None:
    assert compute_tariff(example_basis(occupancy_percent=D("100"))).budgeted_units == D("7300.00")


# --- efterregulering -----------------------------------------------------------------------------


def test_a_deficit_above_the_limit_is_split_over_two_years() -> None:
    # Budget 10,000,000; actual revenue 9,000,000, actual costs 10,000,000:
    # result  = 9,000,000 − 10,000,000 = −1,000,000 (a deficit, recovered: +1,000,000)
    # limit   = 5 % × 10,000,000 = 500,000
    # next    = min(1,000,000, 500,000) = +500,000 into the tariff the year after
    # rest    = 1,000,000 − 500,000   = +500,000 into the tariff two years after
    split = split_settlement(
        actual_revenue=D("9000000"),
        actual_costs=D("10000000"),
        budget=D("10000000"),
        next_year_limit_percent=D("5"),
    )
    assert split.result == D("-1000000.00")
    assert split.next_year == D("500000.00")
    assert split.year_after == D("500000.00")


def test_a_surplus_within_the_limit_is_handed_back_the_year_after() -> None:
    # Revenue 10,300,000, costs 10,000,000: result +300,000 (a surplus, handed back: −300,000)
    # |−300,000| ≤ 500,000 → next year −300,000, two years after 0.
    split = split_settlement(
        actual_revenue=D("10300000"), actual_costs=D("10000000"), budget=D("10000000")
    )
    assert split.result == D("300000.00")
    assert split.next_year == D("-300000.00")
    assert split.year_after == D("0.00")


def test_a_surplus_above_the_limit() -> None:
    # Surplus 800,000 on a budget of 10,000,000: −500,000 next year, −300,000 two years after.
    split = split_settlement(
        actual_revenue=D("10800000"), actual_costs=D("10000000"), budget=D("10000000")
    )
    assert (split.next_year, split.year_after) == (D("-500000.00"), D("-300000.00"))


def test_the_limit_is_the_agreement_periods() -> None:
    # Limit 2 % of 10,000,000 = 200,000: a deficit of 1,000,000 → 200,000 + 800,000.
    split = split_settlement(
        actual_revenue=D("9000000"),
        actual_costs=D("10000000"),
        budget=D("10000000"),
        next_year_limit_percent=D("2"),
    )
    assert (split.next_year, split.year_after) == (D("200000.00"), D("800000.00"))
    # Limit 0 %: everything waits two years.
    split = split_settlement(
        actual_revenue=D("9000000"),
        actual_costs=D("10000000"),
        budget=D("10000000"),
        next_year_limit_percent=D("0"),
    )
    assert (split.next_year, split.year_after) == (D("0.00"), D("1000000.00"))


def test_a_balanced_year_carries_nothing() -> None:
    split = split_settlement(
        actual_revenue=D("10000000"), actual_costs=D("10000000"), budget=D("10000000")
    )
    assert (split.result, split.next_year, split.year_after) == (D("0"), D("0"), D("0"))


def test_the_two_parts_always_add_up_to_the_result() -> None:
    for revenue, costs in [("9123456.78", "9876543.21"), ("10000000.01", "9000000"), ("1", "2")]:
        split = split_settlement(
            actual_revenue=D(revenue), actual_costs=D(costs), budget=D("9500000")
        )
        assert split.next_year + split.year_after == -split.result


# --- development from last year ------------------------------------------------------------------


def test_change_in_fixed_and_current_prices() -> None:
    # Last year 1,000 kr. at PL index 100; this year 1,092 kr. at PL index 104.
    # Fixed prices: last year lifted to this year's price level = 1,000 × 104 / 100 = 1,040;
    #   change = (1,092 − 1,040) / 1,040 × 100 = 5.0 %
    # Current prices: (1,092 − 1,000) / 1,000 × 100 = 9.2 %
    assert fixed_price_change(
        previous=D("1000"), current=D("1092"), previous_index=D("100"), current_index=D("104")
    ) == D("5.0")
    assert current_price_change(previous=D("1000"), current=D("1092")) == D("9.2")


def test_a_fall_in_fixed_prices() -> None:
    # 1,528.48 at PL 104.6 → 1,528.48 at PL 106.8: lifted 1,528.48 × 106.8 / 104.6 = 1,560.63;
    # change = (1,528.48 − 1,560.63) / 1,560.63 = −2.06 % → −2.1 %; current prices 0.0 %.
    assert fixed_price_change(
        previous=D("1528.48"),
        current=D("1528.48"),
        previous_index=D("104.6"),
        current_index=D("106.8"),
    ) == D("-2.1")
    assert current_price_change(previous=D("1528.48"), current=D("1528.48")) == D("0.0")


def test_changes_round_half_up_to_one_decimal() -> None:
    # (1,000.5 − 1,000) / 1,000 = 0.05 % → 0.1 (half up)
    assert current_price_change(previous=D("1000"), current=D("1000.5")) == D("0.1")


def test_no_previous_tariff_is_an_error() -> None:
    with pytest.raises(CalculationError):
        current_price_change(previous=D("0"), current=D("100"))
    with pytest.raises(CalculationError):
        fixed_price_change(
            previous=D("0"), current=D("100"), previous_index=D("100"), current_index=D("104")
        )
