"""The rules of the offer registry told through its services: the places on any date across a
history of changes, the notice-period flag, the SEL § 186 takeover dates, closures, re-designation
of places, and changes decided in a written round."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from offers import rules, services
from offers.models import (
    Capacity,
    CapacityKind,
    EventKind,
    EventState,
    LegalBasis,
    LifecycleEvent,
    Offer,
    OfferStatus,
)
from organizations.models import Region
from rounds import services as rounds_services
from rounds.models import RoundState, WrittenRound
from tests.conftest import World
from tests.factories import MunicipalityFactory, PersonFactory, RegionFactory
from tests.offer_factories import AgreementPeriodFactory, LegalBasisFactory, OfferFactory

D = datetime.date


def places(offer: Offer, day: datetime.date) -> int:
    rows: list[Any] = list(Capacity.objects.filter(offer=offer))
    return rules.places_on(rows, day)


def by_basis(offer: Offer, day: datetime.date) -> dict[int | None, int]:
    rows: list[Any] = list(Capacity.objects.filter(offer=offer))
    return rules.places_by_basis_on(rows, day)


def record(world: World, offer: Offer, **kwargs: Any) -> LifecycleEvent:
    kwargs.setdefault("announced_on", kwargs["effective_date"])
    kwargs.setdefault("justification", "Besluttet i Forretningsudvalget.")
    return services.event_record(offer=offer, by=world.staff, **kwargs)


@pytest.fixture
def sel107(db: Any) -> LegalBasis:
    return LegalBasisFactory(law="SEL", paragraph="107")


@pytest.fixture
def sel108(db: Any) -> LegalBasis:
    return LegalBasisFactory(law="SEL", paragraph="108")


@pytest.fixture
def offer(world: World, sel107: LegalBasis, sel108: LegalBasis) -> Offer:
    """Viborg's offer under SEL §§ 107 and 108 with 10 places from 1 January 2024."""
    return OfferFactory(
        name="Bostedet Åparken",
        operator_municipality=world.municipality,
        legal_bases=[sel107, sel108],
        places=10,
    )


# --- capacity on a date ------------------------------------------------------------------------


def test_capacity_on_a_date_follows_every_change(world: World, offer: Offer) -> None:
    record(world, offer, kind=EventKind.CAPACITY, effective_date=D(2025, 1, 1), places=12)
    record(world, offer, kind=EventKind.CAPACITY, effective_date=D(2025, 9, 1), places=8)

    assert places(offer, D(2023, 12, 31)) == 0
    assert places(offer, D(2024, 1, 1)) == 10
    assert places(offer, D(2024, 12, 31)) == 10
    assert places(offer, D(2025, 1, 1)) == 12
    assert places(offer, D(2025, 8, 31)) == 12
    assert places(offer, D(2025, 9, 1)) == 8
    # The history is rows, none overwritten: the first row is still there.
    assert list(
        Capacity.objects.filter(offer=offer).order_by("valid_from").values_list("places", flat=True)
    ) == [10, 12, 8]


def test_per_basis_rows_replace_the_whole_offer_and_a_later_whole_row_replaces_them(
    world: World, offer: Offer, sel107: LegalBasis, sel108: LegalBasis
) -> None:
    day = D(2025, 3, 1)
    record(world, offer, kind=EventKind.CAPACITY, effective_date=day, places=4, legal_basis=sel107)
    record(world, offer, kind=EventKind.CAPACITY, effective_date=day, places=7, legal_basis=sel108)
    record(world, offer, kind=EventKind.CAPACITY, effective_date=D(2026, 1, 1), places=15)

    assert places(offer, D(2025, 2, 28)) == 10  # the whole offer
    assert places(offer, day) == 11  # 4 + 7 per legal basis
    assert by_basis(offer, day) == {sel107.pk: 4, sel108.pk: 7}
    assert places(offer, D(2026, 1, 1)) == 15  # a whole-offer row after per-basis rows
    assert by_basis(offer, D(2026, 1, 1)) == {None: 15}


def test_temporary_over_occupancy_adds_places_until_its_end_date(
    world: World, offer: Offer
) -> None:
    event = record(
        world,
        offer,
        kind=EventKind.OVER_OCCUPANCY,
        effective_date=D(2025, 4, 1),
        end_date=D(2025, 6, 30),
        places=2,
    )
    row = Capacity.objects.get(event=event)
    assert row.kind == CapacityKind.OVER_OCCUPANCY and row.valid_to == D(2025, 6, 30)
    assert places(offer, D(2025, 3, 31)) == 10
    assert places(offer, D(2025, 4, 1)) == 12
    assert places(offer, D(2025, 6, 30)) == 12
    assert places(offer, D(2025, 7, 1)) == 10


def test_over_occupancy_needs_an_end_date(world: World, offer: Offer) -> None:
    with pytest.raises(ValidationError) as exc:
        record(world, offer, kind=EventKind.OVER_OCCUPANCY, effective_date=D(2025, 4, 1), places=2)
    assert "end_date" in exc.value.message_dict
    assert not Capacity.objects.filter(offer=offer, kind=CapacityKind.OVER_OCCUPANCY).exists()


def test_a_proposed_change_writes_no_capacity_until_confirmed(world: World, offer: Offer) -> None:
    event = services.event_propose(
        offer=offer,
        by=world.editor,
        kind=EventKind.CAPACITY,
        effective_date=D(2025, 1, 1),
        places=14,
    )
    assert event.state == EventState.PROPOSED
    assert places(offer, D(2025, 1, 1)) == 10
    services.event_confirm(event=event, by=world.staff, note="Godkendt i FU.")
    event.refresh_from_db()
    assert event.state == EventState.CONFIRMED and event.decided_by == world.staff
    assert places(offer, D(2025, 1, 1)) == 14


def test_an_editor_cannot_confirm_or_reject(world: World, offer: Offer) -> None:
    event = services.event_propose(
        offer=offer,
        by=world.editor,
        kind=EventKind.CAPACITY,
        effective_date=D(2025, 1, 1),
        places=14,
    )
    with pytest.raises(PermissionDenied):
        services.event_confirm(event=event, by=world.editor)
    with pytest.raises(PermissionDenied):
        services.event_reject(event=event, by=world.editor, note="Nej.")
    event.refresh_from_db()
    assert event.state == EventState.PROPOSED


# --- the notice period -------------------------------------------------------------------------


@pytest.fixture
def period(offer: Offer) -> Any:
    """Rammeaftale 2027-2028 of the offer's region: 6 months' notice of a capacity change."""
    return AgreementPeriodFactory(
        region=offer.operator_municipality.region,  # type: ignore[union-attr]
        name="Rammeaftale 2027-2028",
        start_date=D(2027, 1, 1),
        end_date=D(2028, 12, 31),
        notice_months_capacity=6,
    )


def test_a_change_announced_after_its_notice_date_is_flagged(
    world: World, offer: Offer, period: Any
) -> None:
    event = services.event_propose(
        offer=offer,
        by=world.editor,
        kind=EventKind.CAPACITY,
        effective_date=D(2027, 7, 1),
        announced_on=D(2027, 2, 1),
        places=12,
    )
    assert event.notice_due == D(2027, 1, 1)
    assert event.announced_late is True


def test_a_change_announced_in_time_is_not_flagged(world: World, offer: Offer, period: Any) -> None:
    event = services.event_propose(
        offer=offer,
        by=world.editor,
        kind=EventKind.CAPACITY,
        effective_date=D(2027, 7, 1),
        announced_on=D(2027, 1, 1),
        places=12,
    )
    assert event.notice_due == D(2027, 1, 1)
    assert event.announced_late is False


def test_without_an_agreement_period_there_is_nothing_to_flag(world: World, offer: Offer) -> None:
    event = services.event_propose(
        offer=offer,
        by=world.editor,
        kind=EventKind.CAPACITY,
        effective_date=D(2027, 7, 1),
        announced_on=D(2027, 6, 30),
        places=12,
    )
    assert event.notice_due is None
    assert event.announced_late is False


def test_another_regions_period_does_not_apply(world: World, offer: Offer) -> None:
    AgreementPeriodFactory(
        region=RegionFactory(code="1081", name="Region Nordjylland"),
        start_date=D(2027, 1, 1),
        end_date=D(2028, 12, 31),
    )
    event = services.event_propose(
        offer=offer,
        by=world.editor,
        kind=EventKind.CAPACITY,
        effective_date=D(2027, 7, 1),
        announced_on=D(2027, 6, 30),
        places=12,
    )
    assert event.notice_due is None and not event.announced_late


# --- takeover (SEL § 186) ----------------------------------------------------------------------


@pytest.fixture
def regional_offer(world: World) -> Offer:
    region: Region = world.municipality.region
    return OfferFactory(
        name="Sødisebakke",
        operator_municipality=None,
        operator_region=region,
        location=world.municipality,
        places=30,
    )


def test_electoral_periods_and_takeover_dates() -> None:
    period = rules.electoral_period(D(2027, 5, 1))
    assert period.first_day == D(2026, 1, 1)
    assert period.takeover_notice_by == D(2028, 1, 1)
    assert period.takeover_on == D(2029, 1, 1)
    assert rules.takeover_period_for(D(2029, 1, 1)) == period
    assert rules.takeover_period_for(D(2028, 7, 1)) is None
    assert rules.next_takeover(D(2028, 1, 2)).takeover_on == D(2033, 1, 1)


def test_a_takeover_on_1_january_2029_with_notice_by_1_january_2028_is_accepted(
    world: World, regional_offer: Offer
) -> None:
    event = record(
        world,
        regional_offer,
        kind=EventKind.TAKEOVER,
        effective_date=D(2029, 1, 1),
        announced_on=D(2027, 12, 15),
        new_operator_municipality=world.municipality,
    )
    assert event.notice_due == D(2028, 1, 1)
    assert event.announced_late is False
    regional_offer.refresh_from_db()
    assert regional_offer.operator_region_id is not None  # not before its date

    services.events_apply_due(today=D(2029, 1, 1))
    regional_offer.refresh_from_db()
    assert regional_offer.operator_municipality == world.municipality
    assert regional_offer.operator_region is None


def test_a_takeover_announced_after_1_january_of_year_three_is_flagged(
    world: World, regional_offer: Offer
) -> None:
    event = services.event_propose(
        offer=regional_offer,
        by=world.staff,
        kind=EventKind.TAKEOVER,
        effective_date=D(2029, 1, 1),
        announced_on=D(2028, 3, 1),
        new_operator_municipality=world.municipality,
    )
    assert event.announced_late is True


def test_a_takeover_in_the_middle_of_a_year_is_refused_naming_the_next_possible_date(
    world: World, regional_offer: Offer
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.event_propose(
            offer=regional_offer,
            by=world.staff,
            kind=EventKind.TAKEOVER,
            effective_date=D(2028, 7, 1),
            announced_on=D(2026, 11, 1),
            new_operator_municipality=world.municipality,
        )
    message = " ".join(exc.value.message_dict["effective_date"])
    assert "1. januar 2029" in message
    assert "1. januar 2028" in message
    assert not LifecycleEvent.objects.exists()


def test_only_the_location_municipality_can_take_over(world: World, regional_offer: Offer) -> None:
    with pytest.raises(ValidationError) as exc:
        services.event_propose(
            offer=regional_offer,
            by=world.staff,
            kind=EventKind.TAKEOVER,
            effective_date=D(2029, 1, 1),
            announced_on=D(2027, 1, 1),
            new_operator_municipality=world.other_municipality,
        )
    assert "new_operator_municipality" in exc.value.message_dict


def test_a_municipal_offer_cannot_be_taken_over(world: World, offer: Offer) -> None:
    with pytest.raises(ValidationError) as exc:
        services.event_propose(
            offer=offer,
            by=world.staff,
            kind=EventKind.TAKEOVER,
            effective_date=D(2029, 1, 1),
            announced_on=D(2027, 1, 1),
            new_operator_municipality=world.municipality,
        )
    assert "kind" in exc.value.message_dict


# --- closure -----------------------------------------------------------------------------------


def test_a_closure_writes_no_places_and_the_offer_closes_on_its_date(
    world: World, offer: Offer
) -> None:
    today = timezone.localdate()
    closes = today + datetime.timedelta(days=90)
    event = record(world, offer, kind=EventKind.CLOSURE, effective_date=closes, announced_on=today)
    row = Capacity.objects.get(event=event)
    assert row.places == 0 and row.valid_from == closes and row.legal_basis is None
    offer.refresh_from_db()
    assert offer.status == OfferStatus.CLOSING  # "lukker" before its date
    assert places(offer, closes - datetime.timedelta(days=1)) == 10
    assert places(offer, closes) == 0

    assert services.events_apply_due(today=closes - datetime.timedelta(days=1)) == 0
    offer.refresh_from_db()
    assert offer.status == OfferStatus.CLOSING

    assert services.events_apply_due(today=closes) == 1
    offer.refresh_from_db()
    assert offer.status == OfferStatus.CLOSED  # "lukket" from its date
    assert services.events_apply_due(today=closes) == 0  # idempotent
    assert services.events_apply_due(today=closes + datetime.timedelta(days=1)) == 0


def test_a_closure_already_in_force_closes_the_offer_at_once(world: World, offer: Offer) -> None:
    record(world, offer, kind=EventKind.CLOSURE, effective_date=D(2025, 1, 1))
    offer.refresh_from_db()
    assert offer.status == OfferStatus.CLOSED


# --- re-designation ----------------------------------------------------------------------------


def test_redesignation_moves_places_between_legal_bases(
    world: World, offer: Offer, sel107: LegalBasis, sel108: LegalBasis
) -> None:
    day = D(2025, 1, 1)
    record(world, offer, kind=EventKind.CAPACITY, effective_date=day, places=4, legal_basis=sel107)
    record(world, offer, kind=EventKind.CAPACITY, effective_date=day, places=6, legal_basis=sel108)
    record(
        world,
        offer,
        kind=EventKind.REDESIGNATION,
        effective_date=D(2025, 7, 1),
        places=3,
        legal_basis=sel107,
        to_legal_basis=sel108,
    )
    assert by_basis(offer, D(2025, 6, 30)) == {sel107.pk: 4, sel108.pk: 6}
    assert by_basis(offer, D(2025, 7, 1)) == {sel107.pk: 1, sel108.pk: 9}
    assert places(offer, D(2025, 7, 1)) == 10  # the total is unchanged


def test_redesignation_needs_places_split_by_legal_basis(
    world: World, offer: Offer, sel107: LegalBasis, sel108: LegalBasis
) -> None:
    with pytest.raises(ValidationError) as exc:
        record(
            world,
            offer,
            kind=EventKind.REDESIGNATION,
            effective_date=D(2025, 7, 1),
            places=3,
            legal_basis=sel107,
            to_legal_basis=sel108,
        )
    assert "legal_basis" in exc.value.message_dict
    assert not LifecycleEvent.objects.exists()  # event_record is one transaction


def test_redesignation_cannot_move_more_places_than_there_are(
    world: World, offer: Offer, sel107: LegalBasis, sel108: LegalBasis
) -> None:
    day = D(2025, 1, 1)
    record(world, offer, kind=EventKind.CAPACITY, effective_date=day, places=4, legal_basis=sel107)
    with pytest.raises(ValidationError) as exc:
        record(
            world,
            offer,
            kind=EventKind.REDESIGNATION,
            effective_date=D(2025, 7, 1),
            places=5,
            legal_basis=sel107,
            to_legal_basis=sel108,
        )
    assert "places" in exc.value.message_dict


# --- written rounds ----------------------------------------------------------------------------


def _round(world: World) -> WrittenRound:
    person = PersonFactory(
        name="Anne Jensen", email="anne@viborg.dk", municipality=world.municipality
    )
    return rounds_services.round_create(
        body=world.body_a,
        by=world.staff,
        title="Bostedet Åparken udvides med 4 pladser",
        proposal="<p>Botilbuddet udvides med 4 pladser efter servicelovens § 108.</p>",
        respondents=[person],
    )


def _propose_in_round(world: World, offer: Offer, round_: WrittenRound) -> LifecycleEvent:
    return services.event_propose(
        offer=offer,
        by=world.staff,
        kind=EventKind.CAPACITY,
        effective_date=D(2025, 1, 1),
        places=14,
        justification="Ventelisten er vokset.",
        decided_by_round=round_,
    )


def test_a_change_in_a_written_round_is_confirmed_when_the_round_is_approved_and_not_before(
    world: World, offer: Offer
) -> None:
    round_ = _round(world)
    event = _propose_in_round(world, offer, round_)
    rounds_services.round_send(round_=round_, by=world.staff)

    rounds_services.rounds_tick()  # the deadline has not passed
    event.refresh_from_db()
    assert event.state == EventState.PROPOSED
    assert places(offer, D(2025, 1, 1)) == 10

    WrittenRound.objects.filter(pk=round_.pk).update(
        deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert rounds_services.rounds_tick()["resolved"] == 1
    round_.refresh_from_db()
    assert round_.state == RoundState.APPROVED
    event.refresh_from_db()
    assert event.state == EventState.CONFIRMED
    assert round_.title in event.decision_note
    assert event.decided_by is None  # the system, on the round's approval
    assert places(offer, D(2025, 1, 1)) == 14

    rounds_services.rounds_tick()  # a second tick changes nothing
    assert Capacity.objects.filter(event=event).count() == 1


def test_a_change_in_a_withdrawn_round_is_rejected(world: World, offer: Offer) -> None:
    round_ = _round(world)
    event = _propose_in_round(world, offer, round_)
    rounds_services.round_send(round_=round_, by=world.staff)
    rounds_services.round_withdraw(round_=round_, by=world.staff, reason="Sagen er trukket.")

    event.refresh_from_db()
    assert event.state == EventState.REJECTED
    assert round_.title in event.decision_note
    assert not Capacity.objects.filter(event=event).exists()


def test_a_closed_round_cannot_carry_a_new_change(world: World, offer: Offer) -> None:
    round_ = _round(world)
    rounds_services.round_withdraw(round_=round_, by=world.staff, reason="Sagen er trukket.")
    with pytest.raises(ValidationError) as exc:
        _propose_in_round(world, offer, round_)
    assert "decided_by_round" in exc.value.message_dict


# --- editing offers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"operator_municipality": None, "operator_region": "region"},
        {"is_covered": False},
        {"status": OfferStatus.CLOSED},
    ],
    ids=["operator", "covered", "status"],
)
def test_an_editor_cannot_change_operator_covered_or_status(
    world: World, offer: Offer, change: dict[str, Any]
) -> None:
    values = {
        key: (world.municipality.region if value == "region" else value)
        for key, value in change.items()
    }
    with pytest.raises(PermissionDenied):
        services.offer_update(offer=offer, by=world.editor, name="Nyt navn", **values)
    offer.refresh_from_db()
    assert offer.name == "Bostedet Åparken"
    assert offer.operator_municipality == world.municipality
    assert offer.is_covered and offer.status == OfferStatus.ACTIVE


def test_an_editor_edits_only_their_own_municipalitys_offers(world: World, offer: Offer) -> None:
    services.offer_update(offer=offer, by=world.editor, name="Bostedet Åparken II")
    offer.refresh_from_db()
    assert offer.name == "Bostedet Åparken II"

    other = OfferFactory(operator_municipality=MunicipalityFactory(name="Skive Kommune"))
    with pytest.raises(PermissionDenied):
        services.offer_update(offer=other, by=world.editor, name="Overtaget")
    with pytest.raises(PermissionDenied):
        services.event_propose(
            offer=other,
            by=world.editor,
            kind=EventKind.CAPACITY,
            effective_date=D(2025, 1, 1),
            places=1,
        )
    with pytest.raises(PermissionDenied):
        services.offer_create(
            by=world.editor,
            operator_municipality=world.municipality,
            legal_bases=list(offer.legal_bases.all()),
            name="Nyt tilbud",
            location=world.municipality,
            area=offer.area,
            offer_type=offer.offer_type,
        )


def test_an_editor_cannot_tie_a_proposal_to_a_written_round(world: World, offer: Offer) -> None:
    """Such a change would be confirmed by the round's approval, bypassing the secretariat."""
    round_ = _round(world)
    with pytest.raises(PermissionDenied):
        services.event_propose(
            offer=offer,
            by=world.editor,
            kind=EventKind.CAPACITY,
            effective_date=D(2025, 1, 1),
            places=14,
            decided_by_round=round_,
        )
    assert not LifecycleEvent.objects.exists()
