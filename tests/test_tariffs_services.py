"""The yearly tariff round through tariffs.services: who may create, edit, submit, review,
publish and correct a sheet; the checks an editor and a reviewer see; efterregulering; the
deadline reminder; and the history kept of every change.

Personas (tests/conftest.py): the editor edits Viborg Kommune's offers; member_b sits in
Takstgruppen (slug settings.TARIFFS_REVIEW_BODY_SLUG) for Aarhus Kommune; member_a sits in FU;
staff is the secretariat.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.test import RequestFactory
from simple_history.middleware import HistoryRequestMiddleware

from notices.models import Notice
from offers.models import AgreementPeriod, Offer, OfferStatus
from organizations.models import Membership, MunicipalEditor
from tariffs import notifications
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
    line_remove,
    line_save,
    reminders_send,
    rules_for,
    settlement_due,
    settlement_record,
    sheet_approve,
    sheet_check,
    sheet_correct,
    sheet_create,
    sheet_return,
    sheet_submit,
    year_publish,
)
from tests.conftest import World
from tests.factories import MunicipalityFactory, UserFactory
from tests.offer_factories import AgreementPeriodFactory, OfferFactory
from tests.tariff_factories import (
    PriceIndexFactory,
    TariffLineFactory,
    TariffRulesFactory,
    TariffSheetFactory,
    TariffYearFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
CPH = ZoneInfo("Europe/Copenhagen")
YEAR = 2027

# The hand-worked example of tests/test_tariffs_calculation.py: costs 10,000,000 + 6 % overhead
# over 20 places × 365 days × 95 % = 6,935 units → 1,528.48 kr. pr. døgn.
BASIS: dict[str, Any] = {
    "staff_costs": D("8000000"),
    "operating_costs": D("1000000"),
    "indirect_costs": D("500000"),
    "building_costs": D("500000"),
    "overhead_percent": D("6"),
    "places": 20,
    "days": 365,
    "occupancy_percent": D("95"),
}
LINE: dict[str, Any] = {
    "service": Service.RESIDENTIAL,
    "unit": Unit.DAY_NIGHT,
    "amount": D("1528.48"),
    **BASIS,
}


@dataclass
class Setup:
    world: World
    period: AgreementPeriod
    rules: TariffRules
    own: Offer  # operated by the editor's municipality (Viborg)
    others: Offer  # operated by Aarhus
    regional: Offer  # operated by the Region


@pytest.fixture
def setup(world: World) -> Setup:
    region = world.municipality.region
    period = AgreementPeriodFactory(
        region=region,
        name="Rammeaftale 2027–2028",
        start_date=datetime.date(2027, 1, 1),
        end_date=datetime.date(2028, 12, 31),
    )
    rules = TariffRulesFactory(period=period, overhead_percent=D("7.50"))
    own = OfferFactory(name="Botilbuddet Tangkær", operator_municipality=world.municipality)
    others = OfferFactory(name="Bostedet Engly", operator_municipality=world.other_municipality)
    regional = OfferFactory(
        name="Bostedet Holmegården",
        operator_municipality=None,
        operator_region=region,
        location=world.municipality,
    )
    return Setup(world, period, rules, own, others, regional)


def fresh(user: Any) -> Any:
    """The user as a new request would load it (permission caches live on the instance)."""
    return type(user).objects.get(pk=user.pk)


def draft_with_line(setup: Setup, offer: Offer | None = None, **line: Any) -> TariffSheet:
    sheet = sheet_create(offer=offer or setup.own, year=YEAR, by=setup.world.staff)
    line_save(sheet=sheet, by=setup.world.staff, values={**LINE, **line})
    return sheet


def messages(findings: list[Any], level: str) -> list[str]:
    return [f.message for f in findings if f.level == level]


# --- creating sheets -----------------------------------------------------------------------------


def test_an_editor_creates_sheets_for_their_own_municipalitys_offers_only(setup: Setup) -> None:
    editor = setup.world.editor
    sheet = sheet_create(offer=setup.own, year=YEAR, by=editor)
    assert (sheet.state, sheet.version, sheet.created_by) == (SheetState.DRAFT, 1, editor)
    for offer in (setup.others, setup.regional):
        with pytest.raises(PermissionDenied, match="som din kommune driver"):
            sheet_create(offer=offer, year=YEAR, by=editor)
    assert not TariffSheet.objects.exclude(pk=sheet.pk).exists()


def test_reviewers_and_the_public_create_no_sheets(setup: Setup) -> None:
    for user in (setup.world.member_b, setup.world.member_a, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            sheet_create(offer=setup.own, year=YEAR, by=user)


def test_the_secretariat_creates_sheets_for_any_offer_including_the_regions(
    setup: Setup,
) -> None:
    for offer in (setup.own, setup.others, setup.regional):
        assert sheet_create(offer=offer, year=YEAR, by=setup.world.staff).offer == offer


def test_one_sheet_per_offer_and_year(setup: Setup) -> None:
    sheet_create(offer=setup.own, year=YEAR, by=setup.world.editor)
    with pytest.raises(ValidationError, match="Der findes allerede et takstblad"):
        sheet_create(offer=setup.own, year=YEAR, by=setup.world.editor)
    assert sheet_create(offer=setup.own, year=YEAR + 1, by=setup.world.editor).year == YEAR + 1


# --- lines ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["amount", "staff_costs", "operating_costs", "building_costs"])
def test_line_save_refuses_negative_amounts_at_the_field(setup: Setup, field: str) -> None:
    sheet = sheet_create(offer=setup.own, year=YEAR, by=setup.world.editor)
    with pytest.raises(ValidationError) as error:
        line_save(sheet=sheet, by=setup.world.editor, values={**LINE, field: D("-1")})
    assert error.value.message_dict == {field: ["Beløbet kan ikke være negativt."]}
    assert not TariffLine.objects.exists()


@pytest.mark.parametrize("occupancy", ["0", "-10", "100.01", "120"])
def test_line_save_refuses_occupancy_outside_0_to_100(setup: Setup, occupancy: str) -> None:
    sheet = sheet_create(offer=setup.own, year=YEAR, by=setup.world.editor)
    with pytest.raises(ValidationError) as error:
        line_save(
            sheet=sheet, by=setup.world.editor, values={**LINE, "occupancy_percent": D(occupancy)}
        )
    assert error.value.message_dict == {
        "occupancy_percent": ["Belægningsprocenten skal være over 0 og højst 100."]
    }
    assert not TariffLine.objects.exists()


def test_line_save_accepts_full_occupancy_and_numbers_the_lines(setup: Setup) -> None:
    sheet = sheet_create(offer=setup.own, year=YEAR, by=setup.world.editor)
    first = line_save(
        sheet=sheet, by=setup.world.editor, values={**LINE, "occupancy_percent": D("100")}
    )
    second = line_save(
        sheet=sheet,
        by=setup.world.editor,
        values={**LINE, "service": Service.SUPPLEMENT, "label": "Nattevagt"},
    )
    assert (first.order, second.order) == (1, 2)
    changed = line_save(
        sheet=sheet, by=setup.world.editor, line=first, values={"amount": D("1400.00")}
    )
    assert changed.pk == first.pk and changed.amount == D("1400.00")
    line_remove(line=second, by=setup.world.editor)
    assert list(sheet.lines.values_list("pk", flat=True)) == [first.pk]


def test_the_overhead_defaults_to_the_agreement_periods_rule(setup: Setup) -> None:
    sheet = sheet_create(offer=setup.own, year=YEAR, by=setup.world.editor)
    values = {k: v for k, v in LINE.items() if k != "overhead_percent"}
    line = line_save(sheet=sheet, by=setup.world.editor, values=values)
    assert line.overhead_percent == D("7.50")  # the 2027–2028 rule of the offer's region
    explicit = line_save(
        sheet=sheet, by=setup.world.editor, values={**values, "overhead_percent": D("4")}
    )
    assert explicit.overhead_percent == D("4")
    # A year without rules for its period: the model's default (6 %); nothing is written.
    earlier = sheet_create(offer=setup.own, year=2024, by=setup.world.editor)
    assert line_save(sheet=earlier, by=setup.world.editor, values=values).overhead_percent == 6
    assert TariffRules.objects.count() == 1
    assert rules_for(setup.own, 2024).pk is None


def test_lines_are_edited_by_the_offers_editors_while_draft_or_returned_only(
    setup: Setup,
) -> None:
    world = setup.world
    sheet = draft_with_line(setup)
    line = sheet.lines.get()
    for user in (world.member_b, world.member_a, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            line_save(sheet=sheet, by=user, values=LINE)
        with pytest.raises(PermissionDenied):
            line_remove(line=line, by=user)
    aarhus_editor = UserFactory(email="aarhus-redaktoer@example.dk")
    MunicipalEditor.objects.create(user=aarhus_editor, municipality=world.other_municipality)
    with pytest.raises(PermissionDenied):
        line_save(sheet=sheet, by=aarhus_editor, values=LINE)

    sheet_submit(sheet=sheet, by=world.editor)
    with pytest.raises(PermissionDenied, match="nuværende status"):
        line_save(sheet=sheet, by=world.editor, values=LINE)
    with pytest.raises(PermissionDenied):
        line_remove(line=line, by=world.staff)
    with pytest.raises(TypeError):
        line_save(sheet=draft_with_line(setup, setup.others), by=world.staff, values={"x": 1})


# --- checks --------------------------------------------------------------------------------------


def test_a_complete_consistent_sheet_has_no_findings(setup: Setup) -> None:
    assert sheet_check(draft_with_line(setup)) == []


def test_missing_basis_fields_are_errors_naming_the_field(setup: Setup) -> None:
    sheet = sheet_create(offer=setup.own, year=YEAR, by=setup.world.editor)
    assert messages(sheet_check(sheet), "error") == ["Takstbladet har ingen takster."]
    line_save(
        sheet=sheet,
        by=setup.world.editor,
        values={**LINE, "places": None, "occupancy_percent": None, "staff_costs": None},
    )
    findings = sheet_check(sheet)
    errors = [f for f in findings if f.is_error]
    assert {f.field for f in errors} == {"places", "occupancy_percent", "staff_costs"}
    assert "Døgnophold: feltet »pladser« mangler i beregningsgrundlaget." in messages(
        findings, "error"
    )
    assert "Døgnophold: feltet »personaleudgifter (kr.)« mangler i beregningsgrundlaget." in (
        messages(findings, "error")
    )
    with pytest.raises(ValidationError) as error:
        sheet_submit(sheet=sheet, by=setup.world.editor)
    assert set(error.value.messages) == {f.message for f in errors}
    sheet.refresh_from_db()
    assert sheet.state == SheetState.DRAFT and sheet.submitted_at is None


def test_negative_amounts_and_impossible_occupancy_are_errors(setup: Setup) -> None:
    # Written past line_save (e.g. by an import): the check still catches them.
    sheet = TariffSheetFactory(offer=setup.own, year=YEAR)
    TariffLineFactory(sheet=sheet, amount=D("-5"), label="A")
    TariffLineFactory(sheet=sheet, occupancy_percent=D("0"), label="B")
    TariffLineFactory(sheet=sheet, occupancy_percent=D("101"), label="C")
    errors = [f for f in sheet_check(sheet) if f.is_error]
    assert [(f.line.label if f.line else "", f.field) for f in errors] == [
        ("A", "amount"),
        ("B", "occupancy_percent"),
        ("C", "occupancy_percent"),
    ]
    assert errors[0].message == "Døgnophold A: »takst (kr.)« kan ikke være negativ."
    assert errors[1].message == "Døgnophold B: belægningsprocenten skal være over 0 og højst 100."


@pytest.mark.parametrize("field", ["places", "days"])
def test_a_basis_that_cannot_be_computed_is_an_error(setup: Setup, field: str) -> None:
    """0 places or 0 days is no missing field, but no tariff can be computed from it: the
    editor must fix it (it used to pass the check silently, without any computation)."""
    sheet = sheet_create(offer=setup.own, year=YEAR, by=setup.world.editor)
    line_save(sheet=sheet, by=setup.world.editor, values={**LINE, field: 0})
    [error] = sheet_check(sheet)
    assert (error.level, error.field) == ("error", field)
    assert error.message == (
        "Døgnophold: taksten kan ikke beregnes – pladser og dage skal være over 0."
    )
    with pytest.raises(ValidationError):
        sheet_submit(sheet=sheet, by=setup.world.editor)


def test_parts_of_a_base_and_service_tariff_must_add_up(setup: Setup) -> None:
    sheet = draft_with_line(setup, base_amount=D("400.00"), service_amount=D("1128.48"))
    assert sheet_check(sheet) == []
    line = sheet.lines.get()
    line_save(sheet=sheet, by=setup.world.staff, line=line, values={"service_amount": None})
    assert messages(sheet_check(sheet), "error") == [
        "Døgnophold: angiv både grundtakst og ydelsestakst, eller ingen af dem."
    ]
    line_save(sheet=sheet, by=setup.world.staff, line=line, values={"service_amount": D("1100.00")})
    assert messages(sheet_check(sheet), "error") == [
        "Døgnophold: grundtakst og ydelsestakst giver ikke taksten."
    ]


def test_low_occupancy_is_a_warning_below_the_threshold(setup: Setup) -> None:
    # 20 × 365 × 84 % = 6,132 units; 10,600,000 / 6,132 = 1,728.6366… → 1,728.64
    sheet = draft_with_line(setup, occupancy_percent=D("84"), amount=D("1728.64"))
    [warning] = sheet_check(sheet)
    assert (warning.level, warning.field) == ("warning", "occupancy_percent")
    assert "belægningsprocenten 84,00 er under 85,00" in warning.message
    # At the threshold: no warning (20 × 365 × 85 % = 6,205; 10,600,000 / 6,205 = 1,708.30).
    line = sheet.lines.get()
    line_save(
        sheet=sheet,
        by=setup.world.staff,
        line=line,
        values={"occupancy_percent": D("85"), "amount": D("1708.30")},
    )
    assert sheet_check(sheet) == []
    # The rule is the agreement period's.
    setup.rules.occupancy_warning_percent = D("90")
    setup.rules.save()
    assert [f.field for f in sheet_check(sheet)] == ["occupancy_percent"]


def test_an_amount_that_differs_from_the_computed_one_is_a_warning(setup: Setup) -> None:
    sheet = draft_with_line(setup, amount=D("1528.98"))  # within 0.50 kr.: rounding, no warning
    assert sheet_check(sheet) == []
    line_save(
        sheet=sheet, by=setup.world.staff, line=sheet.lines.get(), values={"amount": D("1530.00")}
    )
    [warning] = sheet_check(sheet)
    assert (warning.level, warning.field) == ("warning", "amount")
    assert warning.message == (
        "Døgnophold: taksten 1.530,00 kr. afviger fra den beregnede 1.528,48 kr."
    )
    sheet_submit(sheet=sheet, by=setup.world.staff)  # warnings do not stop a submission


def published_last_year(setup: Setup, amount: str) -> TariffSheet:
    return TariffSheetFactory(
        offer=setup.own,
        year=YEAR - 1,
        state=SheetState.PUBLISHED,
        lines=[{"amount": D(amount), "service": Service.RESIDENTIAL, "unit": Unit.DAY_NIGHT}],
    )


def test_a_change_above_the_threshold_in_fixed_prices_is_a_warning(setup: Setup) -> None:
    PriceIndexFactory(year=YEAR - 1, index=D("100"))
    PriceIndexFactory(year=YEAR, index=D("104"))
    published_last_year(setup, "1390.00")
    # Last year 1,390.00 lifted to this year's prices: 1,390 × 104 / 100 = 1,445.60;
    # (1,528.48 − 1,445.60) / 1,445.60 = 5.73 % → 5.7 % > 5 %: a warning.
    sheet = draft_with_line(setup)
    [warning] = sheet_check(sheet)
    assert (warning.level, warning.field) == ("warning", "amount")
    assert "ændret 5,7 % fra sidste år i faste priser" in warning.message


def test_a_change_within_the_threshold_in_fixed_prices_is_not(setup: Setup) -> None:
    PriceIndexFactory(year=YEAR - 1, index=D("100"))
    PriceIndexFactory(year=YEAR, index=D("104"))
    last = published_last_year(setup, "1400.00")
    # 1,400 × 1.04 = 1,456.00; (1,528.48 − 1,456) / 1,456 = 4.98 % → 5.0 %, not above 5 %.
    # (In current prices it is +9.2 %: the PL index makes the difference.)
    sheet = draft_with_line(setup)
    assert sheet_check(sheet) == []
    # Only the published version counts; and without a PL index there is nothing to compare.
    TariffSheet.objects.filter(pk=last.pk).update(state=SheetState.APPROVED)
    TariffLine.objects.filter(sheet=last).update(amount=D("1000"))
    assert sheet_check(sheet) == []
    TariffSheet.objects.filter(pk=last.pk).update(state=SheetState.PUBLISHED)
    assert [f.field for f in sheet_check(sheet)] == ["amount"]
    PriceIndex.objects.filter(year=YEAR - 1).delete()
    assert sheet_check(sheet) == []


def test_a_settlement_that_differs_from_the_model_is_a_warning(setup: Setup) -> None:
    # The 2025 result: a deficit of 1,000,000 on 10,000,000 → 500,000 into 2026, 500,000 into
    # 2027; the 2026 result: a surplus of 300,000 → −300,000 into 2027. Due in 2027: 200,000.
    Settlement.objects.create(
        offer=setup.own,
        year=YEAR - 2,
        budget=D("10000000"),
        actual_revenue=D("9000000"),
        actual_costs=D("10000000"),
        next_year=D("500000"),
        year_after=D("500000"),
    )
    Settlement.objects.create(
        offer=setup.own,
        year=YEAR - 1,
        budget=D("10000000"),
        actual_revenue=D("10300000"),
        actual_costs=D("10000000"),
        next_year=D("-300000"),
        year_after=D("0"),
    )
    sheet = draft_with_line(setup)
    [warning] = sheet_check(sheet)
    assert (warning.level, warning.field, warning.line) == ("warning", "settlement", None)
    assert warning.message == (
        "Efterreguleringen i taksterne (0,00 kr.) svarer ikke til den, modellen fører frem til "
        "2027 (200.000,00 kr.)."
    )
    # Carried in: 10,800,000 / 6,935 = 1,557.3179… → 1,557.32
    line_save(
        sheet=sheet,
        by=setup.world.staff,
        line=sheet.lines.get(),
        values={"settlement": D("200000"), "amount": D("1557.32")},
    )
    assert sheet_check(sheet) == []


# --- the round: submit, return, approve, publish -------------------------------------------------


def test_the_round_from_draft_to_published_and_who_may_do_what(setup: Setup) -> None:
    world = setup.world
    editor, reviewer, staff = world.editor, world.member_b, world.staff
    sheet = sheet_create(offer=setup.own, year=YEAR, by=editor)
    line = line_save(sheet=sheet, by=editor, values=LINE)

    with pytest.raises(ValidationError, match="Kun et indsendt takstblad kan godkendes"):
        sheet_approve(sheet=sheet, by=reviewer)
    sheet = sheet_submit(sheet=sheet, by=editor)
    assert sheet.state == SheetState.SUBMITTED
    assert sheet.submitted_by == editor and sheet.submitted_at is not None
    with pytest.raises(ValidationError, match="Kun et takstblad i kladde eller returneret"):
        sheet_submit(sheet=sheet, by=editor)

    # The editor cannot review their own sheet; nor can a member of another body.
    for user in (editor, world.member_a, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            sheet_approve(sheet=sheet, by=user)
        with pytest.raises(PermissionDenied):
            sheet_return(sheet=sheet, by=user, comment="Ret overhead.")

    # A member of Takstgruppen returns it with a comment (which is required).
    with pytest.raises(ValidationError) as error:
        sheet_return(sheet=sheet, by=reviewer, comment="  ")
    assert error.value.message_dict == {"comment": ["Skriv, hvad der skal rettes."]}
    sheet = sheet_return(sheet=sheet, by=reviewer, comment=" Overhead skal være 7,5 %. ")
    assert sheet.state == SheetState.RETURNED
    assert (sheet.reviewed_by, sheet.review_comment) == (reviewer, "Overhead skal være 7,5 %.")

    # The editor fixes it and submits again.
    line_save(sheet=sheet, by=editor, line=line, values={"overhead_percent": D("7.5")})
    sheet = sheet_submit(sheet=sheet, by=editor)
    assert sheet.state == SheetState.SUBMITTED

    sheet = sheet_approve(sheet=sheet, by=reviewer, comment="Fint.")
    assert sheet.state == SheetState.APPROVED
    assert (sheet.reviewed_by, sheet.review_comment) == (reviewer, "Fint.")
    with pytest.raises(PermissionDenied):
        line_save(sheet=sheet, by=editor, line=line, values={"amount": D("1")})

    # Reviewers review; only the secretariat publishes.
    for user in (reviewer, editor, world.member_a):
        with pytest.raises(PermissionDenied, match="Kun sekretariatet"):
            year_publish(year=YEAR, by=user)
    assert not Notice.objects.exists()
    assert [s.pk for s in year_publish(year=YEAR, by=staff)] == [sheet.pk]
    sheet.refresh_from_db()
    assert sheet.state == SheetState.PUBLISHED and sheet.published_at is not None
    with pytest.raises(ValidationError):
        sheet_return(sheet=sheet, by=staff, comment="For sent.")
    with pytest.raises(ValidationError):
        sheet_submit(sheet=sheet, by=editor)


def test_an_approved_sheet_can_still_be_returned(setup: Setup) -> None:
    sheet = sheet_submit(sheet=draft_with_line(setup), by=setup.world.editor)
    sheet_approve(sheet=sheet, by=setup.world.staff)
    sheet = sheet_return(sheet=sheet, by=setup.world.staff, comment="Forkert pladstal.")
    assert sheet.state == SheetState.RETURNED


def test_the_editor_of_another_municipality_cannot_submit(setup: Setup) -> None:
    sheet = draft_with_line(setup, setup.others)
    for user in (setup.world.editor, setup.world.member_b):
        with pytest.raises(PermissionDenied):
            sheet_submit(sheet=sheet, by=user)
    assert sheet_submit(sheet=sheet, by=setup.world.staff).state == SheetState.SUBMITTED


def test_a_former_member_of_takstgruppen_no_longer_reviews(setup: Setup) -> None:
    world = setup.world
    sheet = sheet_submit(sheet=draft_with_line(setup), by=world.editor)
    Membership.objects.filter(person__user=world.member_b).update(
        end_date=datetime.date(2025, 12, 31)
    )
    with pytest.raises(PermissionDenied):
        sheet_approve(sheet=sheet, by=fresh(world.member_b))


def test_year_publish_sends_one_notice_and_bumps_the_version(setup: Setup) -> None:
    world = setup.world
    with pytest.raises(ValidationError, match="ingen godkendte takstblade for 2027"):
        year_publish(year=YEAR, by=world.staff)
    deadline = datetime.datetime(2026, 12, 15, 12, tzinfo=CPH)
    TariffYear.objects.create(year=YEAR, submission_deadline=deadline)
    for offer in (setup.own, setup.others, setup.regional):
        sheet = sheet_submit(sheet=draft_with_line(setup, offer), by=world.staff)
        sheet_approve(sheet=sheet, by=world.member_b)
    draft_with_line(setup, OfferFactory(operator_municipality=world.municipality))

    published = year_publish(year=YEAR, by=world.staff)
    assert len(published) == 3
    assert TariffSheet.objects.filter(state=SheetState.PUBLISHED).count() == 3
    assert TariffSheet.objects.filter(state=SheetState.DRAFT).count() == 1
    [notice] = Notice.objects.all()
    assert (notice.topic, notice.kind) == ("tariffs", notifications.PUBLISHED)
    assert notice.payload == {"year": YEAR, "count": 3}
    assert notice.created_by == world.staff
    year = TariffYear.objects.get(year=YEAR)
    assert year.version == 1 and year.published_at is not None
    assert year.submission_deadline == deadline
    # Nothing more to publish: no second notice, no new version.
    with pytest.raises(ValidationError):
        year_publish(year=YEAR, by=world.staff)
    assert Notice.objects.count() == 1
    assert TariffYear.objects.get(year=YEAR).version == 1


def test_year_publish_creates_a_missing_tariff_year(setup: Setup) -> None:
    sheet = sheet_submit(sheet=draft_with_line(setup), by=setup.world.staff)
    sheet_approve(sheet=sheet, by=setup.world.staff)
    year_publish(year=YEAR, by=setup.world.staff)
    assert TariffYear.objects.get(year=YEAR).version == 1


# --- corrections ---------------------------------------------------------------------------------


def published_sheet(setup: Setup) -> TariffSheet:
    world = setup.world
    sheet = sheet_create(offer=setup.own, year=YEAR, by=world.editor)
    line_save(sheet=sheet, by=world.editor, values=LINE)
    line_save(
        sheet=sheet,
        by=world.editor,
        values={**LINE, "service": Service.SUPPLEMENT, "label": "Nattevagt", "places": 4},
    )
    sheet_submit(sheet=sheet, by=world.editor)
    sheet_approve(sheet=sheet, by=world.member_b)
    year_publish(year=YEAR, by=world.staff)
    sheet.refresh_from_db()
    return sheet


def test_a_correction_is_a_new_version_and_the_old_one_holds_until_it_is_published(
    setup: Setup,
) -> None:
    world = setup.world
    v1 = published_sheet(setup)
    with pytest.raises(ValidationError) as error:
        sheet_correct(sheet=v1, by=world.editor, reason=" ")
    assert error.value.message_dict == {"reason": ["Skriv, hvorfor taksterne rettes."]}

    v2 = sheet_correct(sheet=v1, by=world.editor, reason="Nattevagten var regnet med 4 pladser.")
    assert (v2.version, v2.state, v2.replaces, v2.created_by) == (
        2,
        SheetState.DRAFT,
        v1,
        world.editor,
    )
    assert v2.correction_reason == "Nattevagten var regnet med 4 pladser."
    fields = ["order", "service", "label", "unit", "amount", *BASIS, "settlement"]
    old_lines = list(v1.lines.order_by("order").values_list(*fields))
    assert list(v2.lines.order_by("order").values_list(*fields)) == old_lines
    assert not set(v2.lines.values_list("pk", flat=True)) & set(v1.lines.values_list("pk"))
    with pytest.raises(ValidationError, match="allerede en rettelse i gang"):
        sheet_correct(sheet=v1, by=world.staff, reason="Igen.")

    # Working on v2 leaves v1 as it was, and published.
    supplement = v2.lines.get(service=Service.SUPPLEMENT)
    line_save(
        sheet=v2,
        by=world.editor,
        line=supplement,
        values={"places": 6, "amount": D("1018.99")},  # 10,600,000 / (6 × 365 × 95 %)
    )
    v1.refresh_from_db()
    assert v1.state == SheetState.PUBLISHED
    assert list(v1.lines.order_by("order").values_list(*fields)) == old_lines

    sheet_submit(sheet=v2, by=world.editor)
    sheet_approve(sheet=v2, by=world.member_b)
    v1.refresh_from_db()
    assert v1.state == SheetState.PUBLISHED
    [published] = year_publish(year=YEAR, by=world.staff)
    assert published.pk == v2.pk
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.state, v2.state) == (SheetState.SUPERSEDED, SheetState.PUBLISHED)
    assert v1.get_state_display() == "Erstattet af rettelse"
    assert TariffYear.objects.get(year=YEAR).version == 2
    assert Notice.objects.filter(topic="tariffs").count() == 2
    # And the correction can itself be corrected: version 3.
    assert sheet_correct(sheet=v2, by=world.staff, reason="Igen.").version == 3


def test_who_may_correct(setup: Setup) -> None:
    world = setup.world
    v1 = published_sheet(setup)
    aarhus_editor = UserFactory(email="aarhus-redaktoer@example.dk")
    MunicipalEditor.objects.create(user=aarhus_editor, municipality=world.other_municipality)
    for user in (aarhus_editor, world.member_b, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            sheet_correct(sheet=v1, by=user, reason="Fejl.")
    draft = draft_with_line(setup, setup.others)
    with pytest.raises(ValidationError, match="Kun et offentliggjort takstblad"):
        sheet_correct(sheet=draft, by=world.staff, reason="Fejl.")
    assert sheet_correct(sheet=v1, by=world.staff, reason="Fejl.").version == 2


# --- history -------------------------------------------------------------------------------------


def test_every_change_of_sheets_and_lines_is_kept_in_history(setup: Setup) -> None:
    world = setup.world
    sheet = sheet_create(offer=setup.own, year=YEAR, by=world.editor)
    assert sheet.history.count() == 1
    line = line_save(sheet=sheet, by=world.editor, values=LINE)
    line_save(sheet=sheet, by=world.editor, line=line, values={"amount": D("1528.00")})
    sheet_submit(sheet=sheet, by=world.editor)
    sheet_return(sheet=sheet, by=world.member_b, comment="Ret beløbet.")
    line_save(sheet=sheet, by=world.editor, line=line, values={"amount": D("1528.48")})
    sheet_submit(sheet=sheet, by=world.editor)
    sheet_approve(sheet=sheet, by=world.member_b)
    year_publish(year=YEAR, by=world.staff)

    states = list(sheet.history.order_by("history_date", "history_id").values_list("state"))
    assert [s for (s,) in states] == [
        SheetState.DRAFT,
        SheetState.SUBMITTED,
        SheetState.RETURNED,
        SheetState.SUBMITTED,
        SheetState.APPROVED,
        SheetState.PUBLISHED,
    ]
    amounts = TariffLine.history.filter(id=line.pk).order_by("history_date", "history_id")
    assert [h.amount for h in amounts] == [D("1528.48"), D("1528.00"), D("1528.48")]
    assert [h.history_type for h in amounts] == ["+", "~", "~"]
    # A correction's copied lines have their own creation in the history, by who corrected.
    correction = sheet_correct(sheet=sheet, by=world.staff, reason="Forkert beløb.")
    assert correction.history.count() == 1
    copied = correction.lines.get()
    [created] = TariffLine.history.filter(id=copied.pk)
    assert (created.history_type, created.history_user, created.amount) == (
        "+",
        world.staff,
        D("1528.48"),
    )
    copied_pk = copied.pk
    line_remove(line=copied, by=world.staff)
    assert TariffLine.history.filter(id=copied_pk, history_type="-").count() == 1


def test_history_records_the_user_of_the_request(setup: Setup) -> None:
    """In a request, simple_history's middleware (in settings.MIDDLEWARE) names the user."""
    world = setup.world
    sheet = draft_with_line(setup)

    def as_request(user: Any, action: Any) -> None:
        request = RequestFactory().post("/takster/")
        request.user = user

        def view(request: Any) -> HttpResponse:
            action()
            return HttpResponse()

        HistoryRequestMiddleware(view)(request)

    as_request(world.editor, lambda: sheet_submit(sheet=sheet, by=world.editor))
    as_request(world.member_b, lambda: sheet_approve(sheet=sheet, by=world.member_b))
    last_two = sheet.history.order_by("-history_date", "-history_id")[:2]
    assert [(h.state, h.history_user) for h in last_two] == [
        (SheetState.APPROVED, world.member_b),
        (SheetState.SUBMITTED, world.editor),
    ]


# --- efterregulering -----------------------------------------------------------------------------


def test_settlement_record_splits_by_the_rule_and_settlement_due_adds_up(setup: Setup) -> None:
    world = setup.world
    # The rules of the period that 1 January of the accounting year falls in.
    earlier = AgreementPeriodFactory(
        region=world.municipality.region,
        name="Rammeaftale 2025–2026",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    TariffRulesFactory(period=earlier, settlement_next_year_percent=D("5"))
    # 2025: a deficit of 1,000,000 on a budget of 10,000,000 with a 5 % limit:
    #   500,000 into 2026 and 500,000 into 2027.
    first = settlement_record(
        offer=setup.own,
        year=2025,
        by=world.editor,
        budget=D("10000000"),
        actual_revenue=D("9000000"),
        actual_costs=D("10000000"),
    )
    assert (first.next_year, first.year_after) == (D("500000.00"), D("500000.00"))
    # 2026: a surplus of 300,000: −300,000 into 2027, nothing into 2028.
    second = settlement_record(
        offer=setup.own,
        year=2026,
        by=world.editor,
        budget=D("10000000"),
        actual_revenue=D("10300000"),
        actual_costs=D("10000000"),
    )
    assert (second.next_year, second.year_after) == (D("-300000.00"), D("0.00"))
    # Year Y gets next_year of Y − 1 and year_after of Y − 2.
    assert settlement_due(setup.own, 2026) == D("500000.00")
    assert settlement_due(setup.own, 2027) == D("-300000.00") + D("500000.00")
    assert settlement_due(setup.own, 2028) == D("0.00")
    assert settlement_due(setup.own, 2025) == 0
    assert settlement_due(setup.others, 2027) == 0


def test_settlement_record_uses_the_periods_limit_and_replaces_on_a_second_record(
    setup: Setup,
) -> None:
    world = setup.world
    setup.rules.settlement_next_year_percent = D("2")
    setup.rules.save()
    values = {"budget": D("10000000"), "actual_revenue": D("9000000")}
    settlement = settlement_record(
        offer=setup.own, year=2027, by=world.staff, actual_costs=D("10000000"), **values
    )
    assert (settlement.next_year, settlement.year_after) == (D("200000.00"), D("800000.00"))
    again = settlement_record(
        offer=setup.own, year=2027, by=world.staff, actual_costs=D("9100000"), **values
    )
    assert again.pk == settlement.pk
    assert (again.next_year, again.year_after) == (D("100000.00"), D("0.00"))
    assert Settlement.objects.count() == 1
    assert again.history.count() == 2


def test_settlement_record_refuses_others_and_impossible_figures(setup: Setup) -> None:
    world = setup.world
    values = {"budget": D("1000"), "actual_revenue": D("900"), "actual_costs": D("1000")}
    for user in (world.member_b, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            settlement_record(offer=setup.own, year=2025, by=user, **values)
    with pytest.raises(PermissionDenied):
        settlement_record(offer=setup.others, year=2025, by=world.editor, **values)
    with pytest.raises(ValidationError) as error:
        settlement_record(offer=setup.own, year=2025, by=world.editor, **{**values, "budget": 0})
    assert error.value.message_dict == {"budget": ["Budgettet skal være større end 0."]}
    with pytest.raises(ValidationError, match="kan ikke være negative"):
        settlement_record(
            offer=setup.own, year=2025, by=world.editor, **{**values, "actual_costs": D("-1")}
        )
    assert not Settlement.objects.exists()


# --- the deadline reminder -----------------------------------------------------------------------

DEADLINE = datetime.datetime(2026, 12, 15, 12, tzinfo=CPH)


def pending_emails(year: int = YEAR) -> set[str]:
    return {r.email for r in notifications.pending_editors(notifications.pending_topic(year))}


def test_reminders_are_sent_once_a_week_before_the_deadline(setup: Setup) -> None:
    TariffYearFactory(year=YEAR, submission_deadline=DEADLINE)
    week = datetime.timedelta(days=7)
    assert reminders_send(now=DEADLINE - week - datetime.timedelta(minutes=1)) == []
    assert not Notice.objects.exists()

    now = DEADLINE - week + datetime.timedelta(minutes=37)
    assert reminders_send(now=now) == [YEAR]
    [notice] = Notice.objects.all()
    assert (notice.topic, notice.kind) == ("tariffs:2027:pending", notifications.REMINDER)
    assert notice.payload == {"year": YEAR}
    assert TariffYear.objects.get(year=YEAR).reminder_sent_at == now
    # Once per year, however often the hourly task runs.
    assert reminders_send(now=now + datetime.timedelta(hours=1)) == []
    assert reminders_send(now=DEADLINE - datetime.timedelta(minutes=1)) == []
    assert Notice.objects.count() == 1


def test_no_reminder_after_the_deadline_or_for_a_published_year(setup: Setup) -> None:
    TariffYearFactory(year=YEAR, submission_deadline=DEADLINE)
    assert reminders_send(now=DEADLINE) == []
    assert reminders_send(now=DEADLINE + datetime.timedelta(days=1)) == []
    TariffYear.objects.filter(year=YEAR).update(published_at=DEADLINE - datetime.timedelta(days=8))
    assert reminders_send(now=DEADLINE - datetime.timedelta(days=3)) == []
    assert not Notice.objects.exists()


def test_the_reminder_is_for_editors_of_municipalities_that_have_not_submitted(
    setup: Setup,
) -> None:
    world = setup.world
    # Viborg (the editor's) operates setup.own with no sheet; Aarhus operates setup.others.
    aarhus_editor = UserFactory(email="aarhus-redaktoer@example.dk")
    MunicipalEditor.objects.create(user=aarhus_editor, municipality=world.other_municipality)
    # A municipality whose only offers are not covered, or closed: no reminder.
    quiet = MunicipalityFactory(name="Samsø Kommune")
    quiet_editor = UserFactory(email="samsoe@example.dk")
    MunicipalEditor.objects.create(user=quiet_editor, municipality=quiet)
    OfferFactory(operator_municipality=quiet, is_covered=False)
    OfferFactory(operator_municipality=quiet, status=OfferStatus.CLOSED)
    # An inactive editor gets nothing.
    gone = UserFactory(email="tidligere@example.dk", is_active=False)
    MunicipalEditor.objects.create(user=gone, municipality=world.municipality)
    assert pending_emails() == {world.editor.email, aarhus_editor.email}

    # Aarhus submits: only Viborg is left. A draft or a returned sheet does not count.
    sheet_submit(sheet=draft_with_line(setup, setup.others), by=world.staff)
    draft_with_line(setup, setup.own)
    assert pending_emails() == {world.editor.email}
    sheet = sheet_submit(sheet=TariffSheet.objects.get(offer=setup.own), by=world.editor)
    assert pending_emails() == set()
    sheet_return(sheet=sheet, by=world.staff, comment="Ret pladstallet.")
    assert pending_emails() == {world.editor.email}
    # Another year is another matter; the public topic has no default recipients.
    assert pending_emails(YEAR + 1) == {world.editor.email, aarhus_editor.email}
    assert list(notifications.pending_editors("tariffs")) == []


def test_covered_offers_without_a_sheet_for_the_year(setup: Setup) -> None:
    OfferFactory(name="Ikke omfattet", is_covered=False)
    OfferFactory(name="Lukket", status=OfferStatus.CLOSED)
    draft_with_line(setup, setup.others)
    names = [o.name for o in covered_without_tariff(YEAR)]
    assert names == ["Bostedet Holmegården", "Botilbuddet Tangkær"]
