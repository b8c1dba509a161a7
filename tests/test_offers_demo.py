"""The offer registry's demo data (offers/demo.py): the maintained tables, several dozen offers
of Midtjylland and Nordjylland with the cases of seed 002, capacity histories consistent with
the services' rules, loaded idempotently."""

import datetime
import io

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from offers import rules, services
from offers.models import (
    AgreementPeriod,
    Area,
    Capacity,
    CapacityKind,
    EventKind,
    EventState,
    Law,
    LegalBasis,
    LifecycleEvent,
    Offer,
    OfferStatus,
    TargetGroup,
)
from rounds.models import RoundState

# Kinds whose confirmation writes capacity rows (offers.services._write_capacity).
WRITES_CAPACITY = {
    EventKind.OPENING,
    EventKind.CAPACITY,
    EventKind.OVER_OCCUPANCY,
    EventKind.CLOSURE,
    EventKind.REDESIGNATION,
}


def test_the_maintained_tables(seeded):
    labels = {basis.label for basis in LegalBasis.objects.filter(is_active=True)}
    assert {
        "SEL § 101",
        "SEL § 101a",
        "SEL § 103",
        "SEL § 104",
        "SEL § 107",
        "SEL § 108",
        "SEL § 109",
        "SEL § 110",
        "Barnets lov § 33",
        "Barnets lov § 43",
        "Barnets lov § 43, stk. 3",
        "Barnets lov § 83",
        "Barnets lov § 84",
        "Almenboligloven § 105",
        "Folkeskoleloven § 20, stk. 2",
        "Specialundervisningsloven § 1",
        "STU-loven § 1",
    } <= labels
    assert LegalBasis.objects.get(law=Law.SEL, paragraph="108").title == "Længerevarende botilbud"
    assert LegalBasis.objects.get(law=Law.SEL, paragraph="107").title == "Midlertidige botilbud"
    # The paragraphs older material cites are kept, but not offered for new use.
    assert not LegalBasis.objects.get(law=Law.SEL, paragraph="66").is_active

    groups = set(TargetGroup.objects.values_list("name", flat=True))
    assert len(groups) >= 12
    assert {"Udviklingshæmning", "Autismespektrumforstyrrelse", "Erhvervet hjerneskade"} <= groups

    for code in ("1081", "1082"):
        periods = {p.name: p for p in AgreementPeriod.objects.filter(region__code=code)}
        current = periods["Rammeaftale 2025–2026"]
        assert (current.start_date, current.end_date) == (
            datetime.date(2025, 1, 1),
            datetime.date(2026, 12, 31),
        )
        assert current.notice_months_closure == 12
        assert "Rammeaftale 2027–2028" in periods


def test_several_dozen_offers_each_with_a_legal_basis_and_places(seeded):
    today = timezone.localdate()
    offers = list(Offer.objects.prefetch_related("legal_bases", "capacities"))
    assert len(offers) >= 40
    regions = {
        (offer.operator_region or offer.operator_municipality.region).code for offer in offers
    }
    assert regions == {"1081", "1082"}
    assert {offer.area for offer in offers} == set(Area.values)
    for offer in offers:
        assert offer.legal_bases.all(), offer
        rows = list(offer.capacities.all())
        assert 1 <= len(rules.change_dates(rows)) <= 4, offer
        assert rules.places_on(rows, today) >= 0, offer
        if offer.status == OfferStatus.ACTIVE:
            assert rules.places_on(rows, today) > 0, offer
    ids = [offer.tilbudsportalen_id for offer in offers if offer.tilbudsportalen_id]
    assert len(ids) == len(set(ids)) >= 40
    assert all(id_.isdigit() and 5 <= len(id_) <= 6 for id_ in ids)
    # Most are covered by the steering agreement; some are not.
    covered = sum(offer.is_covered for offer in offers)
    assert len(offers) / 2 < covered < len(offers)


def test_soedisebakke_is_regional_with_aarhus_as_main_buyer(seeded):
    offer = Offer.objects.get(name="Sødisebakke")
    assert offer.is_regional
    assert offer.operator_region.name == "Region Nordjylland"
    assert offer.location.name == "Mariagerfjord Kommune"
    assert "Aarhus Kommune" in offer.description
    assert "hovedleverandør" in offer.description
    # Its places are split per legal basis: § 107 and § 108.
    by_basis = rules.places_by_basis_on(list(offer.capacities.all()), datetime.date(2026, 6, 1))
    assert sorted(by_basis.values()) == [14, 80]


def test_three_regional_institutions_in_mariagerfjord_not_taken_over(seeded):
    three = Offer.objects.filter(
        operator_region__code="1081",
        location__name="Mariagerfjord Kommune",
        description__contains="ikke vil overtage de tre institutioner",
    )
    assert three.count() == 3
    assert all("6 måneders varsel" in offer.description for offer in three)


def test_danahus_and_the_special_childrens_homes(seeded):
    danahus = Offer.objects.get(name="Danahus")
    assert danahus.operator_municipality.name == "Aalborg Kommune"
    assert danahus.area == Area.CHILDREN
    assert "specialbørnehjemmene" in danahus.description
    homes = Offer.objects.filter(name__startswith="Specialbørnehjemmet")
    assert homes.filter(operator_region__code="1081").count() == 2
    assert homes.filter(operator_region__code="1082").count() == 1


def test_events_follow_the_services_rules(seeded):
    events = list(
        LifecycleEvent.objects.select_related(
            "offer__operator_municipality", "offer__location", "legal_basis"
        )
    )
    assert len(events) >= 40
    for event in events:
        # Notice deadlines and the late flag as offers.services computes them.
        assert event.notice_due == services.notice_due(event), event
        late = event.notice_due is not None and event.announced_on > event.notice_due
        assert event.announced_late == late, event
        if not (event.kind == EventKind.TAKEOVER and event.state == EventState.CONFIRMED):
            services._validate_event(event)  # a confirmed takeover has changed the operator
        rows = Capacity.objects.filter(event=event)
        if event.state == EventState.CONFIRMED and event.kind in WRITES_CAPACITY:
            assert rows.exists(), event
            assert event.decided_at is not None
        else:
            assert not rows.exists(), event
    # One change announced too late in the ordinary way; two quick adjustments in written
    # rounds came after the notice period too (what the written round is for).
    late = {event.offer.name for event in events if event.announced_late}
    assert late == {
        "Ungecentret Fjordglimt",
        "Bofællesskabet Lupinvej",
        "Specialcenter Bøgeskoven",
    }
    kinds = {event.kind for event in events}
    assert {
        EventKind.OPENING,
        EventKind.CAPACITY,
        EventKind.OVER_OCCUPANCY,
        EventKind.CLOSURE,
        EventKind.REDESIGNATION,
        EventKind.TAKEOVER,
    } <= kinds
    over = Capacity.objects.filter(kind=CapacityKind.OVER_OCCUPANCY)
    assert over.exists()
    assert all(row.valid_to is not None and row.event_id is not None for row in over)


def test_the_changes_proposed_in_the_demo_written_rounds(seeded):
    def change(offer):
        return LifecycleEvent.objects.select_related("decided_by_round").get(
            offer__name=offer, decided_by_round__isnull=False
        )

    # Approved: confirmed, with its capacity row from 1 January 2027.
    lupinvej = change("Bofællesskabet Lupinvej")
    assert lupinvej.decided_by_round.state == RoundState.APPROVED
    assert lupinvej.state == EventState.CONFIRMED
    assert lupinvej.decided_at == lupinvej.decided_by_round.resolved_at
    rows = list(lupinvej.offer.capacities.all())
    assert rules.places_on(rows, datetime.date(2026, 12, 31)) == 16
    assert rules.places_on(rows, datetime.date(2027, 1, 1)) == 19
    # Referred to the next meeting: still proposed, the places unchanged.
    boegeskoven = change("Specialcenter Bøgeskoven")
    assert boegeskoven.decided_by_round.state == RoundState.REFERRED
    assert boegeskoven.state == EventState.PROPOSED
    rows = list(boegeskoven.offer.capacities.all())
    assert rules.places_on(rows, datetime.date(2027, 4, 1)) == 24
    # Open: proposed, to be confirmed when the round is approved.
    solhoej = change("Solhøj")
    assert solhoej.decided_by_round.state == RoundState.OPEN
    assert solhoej.state == EventState.PROPOSED
    assert solhoej.kind == EventKind.OVER_OCCUPANCY
    assert not solhoej.capacities.exists()


def test_a_planned_takeover_under_sel_186(seeded):
    event = LifecycleEvent.objects.get(
        kind=EventKind.TAKEOVER, effective_date=datetime.date(2029, 1, 1)
    )
    offer = event.offer
    assert offer.is_regional
    assert event.new_operator_municipality == offer.location
    assert event.state in (EventState.PROPOSED, EventState.CONFIRMED)
    assert event.notice_due == datetime.date(2028, 1, 1)
    assert not event.announced_late
    # The meetings demo has the (closed) item where the request is treated.
    assert event.decided_by_item is not None
    assert event.decided_by_item.meeting.body.slug == "forretningsudvalget"


def test_statuses_follow_openings_and_closures(seeded):
    today = timezone.localdate()

    def status(name):
        return Offer.objects.get(name=name).status

    assert status("Bofællesskabet Møllehaven") == OfferStatus.CLOSED
    opens = datetime.date(2027, 8, 1)
    assert status("Bofællesskabet Spiren") == (
        OfferStatus.PLANNED if today < opens else OfferStatus.ACTIVE
    )
    closes = datetime.date(2027, 7, 1)
    assert status("Specialbørnehjemmet Hjortebo") == (
        OfferStatus.CLOSING if today < closes else OfferStatus.CLOSED
    )
    spiren = Offer.objects.get(name="Bofællesskabet Spiren")
    assert spiren.tilbudsportalen_id == ""


def test_demo_names_have_correct_danish_letters(seeded):
    blob = " ".join(
        " ".join(values)
        for values in Offer.objects.values_list("name", "address", "city", "description")
    )
    blob += " ".join(TargetGroup.objects.values_list("name", flat=True))
    blob += " ".join(LegalBasis.objects.values_list("title", flat=True))
    for letter in "æøåØÅ":
        assert letter in blob, letter
    for garbled in ("Ã", "\ufffd", "Sodisebakke", "Sødisbakke", "Udviklingshaemning", "Bofaelles"):
        assert garbled not in blob
    assert Offer.objects.filter(name="Specialbørnehjemmet Vestergård").exists()
    assert Offer.objects.filter(name="Åskolen", city="Åbyhøj").exists()


def test_seeding_twice_writes_nothing(seeded):
    models = (LegalBasis, TargetGroup, AgreementPeriod, Offer, Capacity, LifecycleEvent)
    counts = {model: model.objects.count() for model in models}
    links = {
        name: getattr(Offer, name).through.objects.count()
        for name in ("legal_bases", "target_groups", "agreement_periods")
    }
    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo", stdout=io.StringIO())
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert counts == {model: model.objects.count() for model in models}
    assert links == {
        name: getattr(Offer, name).through.objects.count()
        for name in ("legal_bases", "target_groups", "agreement_periods")
    }


def test_a_round_approved_after_seeding_confirms_its_change_and_reseeding_keeps_it(seeded):
    """The demo leaves the open round's proposed change to the real flow: approving the round
    confirms it (offers.services.on_round_closed), and seeding again does not undo that."""
    event = LifecycleEvent.objects.get(offer__name="Solhøj", decided_by_round__isnull=False)
    services.on_round_closed(sender=None, round=event.decided_by_round, state=RoundState.APPROVED)
    event.refresh_from_db()
    assert event.state == EventState.CONFIRMED
    rows = list(event.offer.capacities.all())
    assert rules.places_on(rows, datetime.date(2027, 3, 1)) == 14
    assert rules.places_on(rows, datetime.date(2027, 7, 1)) == 12

    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo", stdout=io.StringIO())
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    event.refresh_from_db()
    assert event.state == EventState.CONFIRMED
