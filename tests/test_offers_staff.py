"""The write side of the offer registry, told from each persona's side.

A municipal editor edits and proposes changes for the offers their own municipality operates,
and nothing else: every staff view is tried against another municipality's offer (403, or 404
when they may not even see it) and nothing is written. The secretariat does everything: creates
and edits offers, records and confirms or rejects changes, keeps the maintained tables."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from offers.models import (
    AgreementPeriod,
    Area,
    Capacity,
    EventKind,
    EventState,
    ImportJob,
    LegalBasis,
    LifecycleEvent,
    Offer,
    OfferStatus,
    OfferType,
    TargetGroup,
)
from offers.services import event_propose
from tests.conftest import World
from tests.meeting_factories import AgendaItemFactory, MeetingFactory
from tests.offer_factories import (
    AgreementPeriodFactory,
    LegalBasisFactory,
    LifecycleEventFactory,
    OfferFactory,
    TargetGroupFactory,
)

D = datetime.date


def client_for(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def messages_of(response: Any) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def assert_error_at(response: Any, field: str, message: str) -> None:
    """The Danish message is shown at the field (DKFDS error state) and in the summary."""
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in html, f"no error at {field}"
    # After the marker: the screen-reader prefix ("Fejl:"), then the messages.
    at_field = html.split(f'id="id_{field}_error">', 1)[1].split("</span>", 2)[1]
    assert message in at_field, at_field
    assert "Der er fejl i formularen" in html


@dataclass
class Setup:
    own: Offer  # operated by the editor's municipality
    other: Offer  # another municipality's covered offer: visible, not editable
    hidden: Offer  # another municipality's offer not covered: not even visible
    event: LifecycleEvent  # a proposal for the other offer
    own_event: LifecycleEvent  # a proposal for the editor's own offer
    basis: LegalBasis
    group: TargetGroup
    period: AgreementPeriod
    job: ImportJob  # an import awaiting confirmation


@pytest.fixture
def setup(world: World) -> Setup:
    basis = LegalBasisFactory(law="SEL", paragraph="108")
    own = OfferFactory(
        name="Bostedet Åparken",
        operator_municipality=world.municipality,
        legal_bases=[basis],
        places=10,
    )
    other = OfferFactory(
        name="Aarhus Botilbud",
        operator_municipality=world.other_municipality,
        legal_bases=[basis],
        places=8,
    )
    hidden = OfferFactory(
        name="Skjult Aflastning",
        operator_municipality=world.other_municipality,
        is_covered=False,
        legal_bases=[basis],
    )
    return Setup(
        own=own,
        other=other,
        hidden=hidden,
        event=LifecycleEventFactory(offer=other, proposed_by=world.member_b),
        own_event=LifecycleEventFactory(offer=own, proposed_by=world.editor),
        basis=basis,
        group=TargetGroupFactory(name="Voksne med udviklingshæmning"),
        period=AgreementPeriodFactory(region=world.municipality.region),
        job=ImportJob.objects.create(
            created_by=world.staff,
            file_name="tilbud.csv",
            file_format="csv",
            size=3,
            sha256="0" * 64,
            content=b"x;y",
            total=1,
        ),
    )


def snapshot() -> tuple[Any, ...]:
    """Everything the staff pages could write."""
    return (
        list(Offer.objects.order_by("pk").values()),
        list(Capacity.objects.order_by("pk").values()),
        list(LifecycleEvent.objects.order_by("pk").values()),
        list(LegalBasis.objects.order_by("pk").values()),
        list(TargetGroup.objects.order_by("pk").values()),
        list(AgreementPeriod.objects.order_by("pk").values()),
        list(ImportJob.objects.order_by("pk").values("pk", "state", "applied_by")),
    )


def offer_post(s: Setup, world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Ændret navn",
        "tilbudsportalen_id": "",
        "operator": f"kommune:{world.municipality.pk}",
        "location": world.municipality.pk,
        "address": "Åvej 4",
        "postal_code": "8800",
        "city": "Viborg",
        "area": Area.ADULTS,
        "offer_type": OfferType.HOUSING,
        "legal_bases": [s.basis.pk],
        "target_groups": [s.group.pk],
        "is_covered": "on",
        "steering_category": "",
        "coverage": "regional",
        "description": "",
        "status": OfferStatus.ACTIVE,
        "places": "12",
        "places_from": "2025-01-01",
    }
    data.update(overrides)
    return data


def event_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": EventKind.CAPACITY,
        "effective_date": "2027-07-01",
        "announced_on": timezone.localdate().isoformat(),
        "places": "14",
        "justification": "Ventelisten er vokset.",
        "economic_consequences": "Taksten falder en smule.",
    }
    data.update(overrides)
    return data


# --- the outsider's side: every view ------------------------------------------------------------

Url = Callable[[Setup], str]

# Views on an offer: an editor of another municipality gets 403 (404 if they may not see it).
OFFER_URLS: dict[str, Callable[[Offer], str]] = {
    "edit": lambda o: reverse("offers:edit", args=[o.pk]),
    "propose": lambda o: reverse("offers:propose", args=[o.pk]),
}

# The secretariat's views: everybody else gets 403.
SECRETARIAT_URLS: dict[str, Url] = {
    "create": lambda s: reverse("offers:create"),
    "events": lambda s: reverse("offers:events"),
    "event_other": lambda s: reverse("offers:event", args=[s.event.pk]),
    "event_own": lambda s: reverse("offers:event", args=[s.own_event.pk]),
    "legal_bases": lambda s: reverse("offers:legal_bases"),
    "legal_basis_create": lambda s: reverse("offers:legal_basis_create"),
    "legal_basis_edit": lambda s: reverse("offers:legal_basis_edit", args=[s.basis.pk]),
    "target_groups": lambda s: reverse("offers:target_groups"),
    "target_group_create": lambda s: reverse("offers:target_group_create"),
    "target_group_edit": lambda s: reverse("offers:target_group_edit", args=[s.group.pk]),
    "agreement_periods": lambda s: reverse("offers:agreement_periods"),
    "agreement_period_create": lambda s: reverse("offers:agreement_period_create"),
    "agreement_period_edit": lambda s: reverse("offers:agreement_period_edit", args=[s.period.pk]),
    "import": lambda s: reverse("offers:import"),
    "import_job": lambda s: reverse("offers:import_job", args=[s.job.pk]),
}

# Everything a hostile POST might try, at once.
HOSTILE = {
    **event_post(),
    "name": "Overtaget",
    "operator": "",
    "law": "SEL",
    "paragraph": "999",
    "region": "",
    "start_date": "2030-01-01",
    "end_date": "2031-12-31",
    "confirm-note": "ok",
    "reject-reason": "nej",
    "reject": "1",
    "record": "on",
}


@pytest.mark.parametrize("name", OFFER_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_editor_gets_403_on_another_municipalitys_offer_and_nothing_is_written(
    world: World, setup: Setup, name: str, method: str
) -> None:
    before = snapshot()
    response = getattr(client_for(world.editor), method)(OFFER_URLS[name](setup.other), HOSTILE)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", OFFER_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_editor_gets_404_on_an_offer_they_may_not_see(
    world: World, setup: Setup, name: str, method: str
) -> None:
    before = snapshot()
    response = getattr(client_for(world.editor), method)(OFFER_URLS[name](setup.hidden), HOSTILE)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("name", OFFER_URLS)
@pytest.mark.parametrize("who", ["member_a", "member_b"])
def test_members_cannot_edit_any_offer(world: World, setup: Setup, name: str, who: str) -> None:
    before = snapshot()
    for offer in (setup.own, setup.other):
        response = client_for(getattr(world, who)).post(OFFER_URLS[name](offer), HOSTILE)
        assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", SECRETARIAT_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", ["editor", "member_a", "member_b"])
def test_only_the_secretariat_gets_into_the_secretariats_views(
    world: World, setup: Setup, name: str, method: str, who: str
) -> None:
    before = snapshot()
    url = SECRETARIAT_URLS[name](setup)
    response = getattr(client_for(getattr(world, who)), method)(url, HOSTILE)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    "url",
    [
        *(lambda s, f=f: f(s.own) for f in OFFER_URLS.values()),
        *SECRETARIAT_URLS.values(),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login(world: World, setup: Setup, url: Url, method: str) -> None:
    before = snapshot()
    response = getattr(Client(), method)(url(setup), HOSTILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert snapshot() == before


def test_staff_without_mfa_is_not_the_secretariat(world: World, setup: Setup) -> None:
    world.staff.authenticator_set.all().delete()
    world.staff.__dict__.pop("has_mfa", None)
    response = client_for(world.staff).get(reverse("offers:events"))
    assert response.status_code in (302, 403)


# --- the editor on their own offer --------------------------------------------------------------


def test_editor_edits_their_own_offer_without_operator_covered_or_status(
    world: World, setup: Setup
) -> None:
    client = client_for(world.editor)
    url = reverse("offers:edit", args=[setup.own.pk])
    html = client.get(url).content.decode()
    assert 'name="name"' in html
    for field in ("operator", "is_covered", "status", "agreement_periods", "places"):
        assert f'name="{field}"' not in html

    data = offer_post(
        setup,
        world,
        name="Bostedet Åparken – nyt navn",
        operator=f"kommune:{world.other_municipality.pk}",
        is_covered="",
        status=OfferStatus.CLOSED,
    )
    del data["is_covered"]
    response = client.post(url, data)
    assert response.status_code == 302
    offer = Offer.objects.get(pk=setup.own.pk)
    assert offer.name == "Bostedet Åparken – nyt navn"
    assert offer.operator_municipality == world.municipality
    assert offer.is_covered is True
    assert offer.status == OfferStatus.ACTIVE
    assert list(offer.target_groups.all()) == [setup.group]


def test_editor_proposes_a_change_for_their_own_offer(world: World, setup: Setup) -> None:
    client = client_for(world.editor)
    url = reverse("offers:propose", args=[setup.own.pk])
    html = client.get(url).content.decode()
    assert "Varslingsregler" in html
    for field in ("decided_by_item", "decided_by_round", "record"):
        assert f'name="{field}"' not in html

    response = client.post(url, event_post(record="on"))
    assert response.status_code == 302
    assert response["Location"] == setup.own.get_absolute_url()
    event = LifecycleEvent.objects.filter(offer=setup.own).latest("pk")
    assert event.state == EventState.PROPOSED  # "record" is not for editors
    assert event.proposed_by == world.editor
    assert event.places == 14
    assert not Capacity.objects.filter(event=event).exists()
    assert "venter på sekretariatets bekræftelse" in messages_of(response)


def test_the_propose_form_shows_the_notice_rule(world: World, setup: Setup) -> None:
    setup.period.notice_months_closure = 18
    setup.period.start_date = D(2000, 1, 1)
    setup.period.end_date = D(2100, 12, 31)
    setup.period.save()
    html = client_for(world.editor).get(reverse("offers:propose", args=[setup.own.pk])).content
    text = html.decode()
    assert setup.period.name in text
    assert "Lukning: 18 måneder" in text


def test_a_late_proposal_is_flagged_to_the_editor(world: World, setup: Setup) -> None:
    today = timezone.localdate()
    AgreementPeriod.objects.all().delete()
    AgreementPeriodFactory(
        region=world.municipality.region,
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=700),
        notice_months_capacity=6,
    )
    soon = today + datetime.timedelta(days=30)
    response = client_for(world.editor).post(
        reverse("offers:propose", args=[setup.own.pk]),
        event_post(effective_date=soon.isoformat()),
    )
    assert response.status_code == 302
    assert "varslet for sent" in messages_of(response)
    assert LifecycleEvent.objects.filter(offer=setup.own, announced_late=True).exists()


def test_the_propose_form_reports_service_errors_at_the_field(world: World, setup: Setup) -> None:
    response = client_for(world.editor).post(
        reverse("offers:propose", args=[setup.own.pk]),
        event_post(kind=EventKind.OVER_OCCUPANCY, end_date=""),
    )
    assert_error_at(response, "end_date", "skal have en slutdato")
    response = client_for(world.editor).post(
        reverse("offers:propose", args=[setup.own.pk]),
        event_post(places="", justification=""),
    )
    assert_error_at(response, "justification", "Skriv, hvorfor tilbuddet ændres.")
    assert not LifecycleEvent.objects.filter(offer=setup.own).exclude(pk=setup.own_event.pk)


# --- the secretariat ---------------------------------------------------------------------------


def test_secretariat_creates_an_offer_with_its_first_places(world: World, setup: Setup) -> None:
    response = client_for(world.staff).post(
        reverse("offers:create"),
        offer_post(setup, world, name="Nyt Botilbud", tilbudsportalen_id="55555"),
    )
    assert response.status_code == 302
    offer = Offer.objects.get(name="Nyt Botilbud")
    assert response["Location"] == offer.get_absolute_url()
    assert offer.operator_municipality == world.municipality
    assert list(offer.legal_bases.all()) == [setup.basis]
    row = Capacity.objects.get(offer=offer)
    assert (row.places, row.valid_from) == (12, D(2025, 1, 1))


def test_create_form_validates_in_danish(world: World, setup: Setup) -> None:
    response = client_for(world.staff).post(
        reverse("offers:create"),
        offer_post(
            setup,
            world,
            name="",
            operator="",
            legal_bases=[],
            postal_code="88",
            tilbudsportalen_id=setup.other.tilbudsportalen_id,
        ),
    )
    assert_error_at(response, "name", "Skriv tilbuddets navn.")
    assert_error_at(response, "operator", "Vælg driftsherren.")
    assert_error_at(response, "postal_code", "fire cifre")
    assert_error_at(response, "tilbudsportalen_id", "Aarhus Botilbud")
    assert "Vælg mindst ét lovgrundlag." in response.content.decode()
    assert Offer.objects.count() == 3


def test_only_active_legal_bases_and_target_groups_are_offered(world: World, setup: Setup) -> None:
    LegalBasisFactory(law="SEL", paragraph="66", is_active=False, title="Gammel paragraf")
    TargetGroupFactory(name="Udgået målgruppe", is_active=False)
    html = client_for(world.staff).get(reverse("offers:create")).content.decode()
    assert "SEL § 108" in html
    assert "SEL § 66" not in html
    assert "Udgået målgruppe" not in html


def test_an_inactive_legal_basis_the_offer_has_stays_on_its_form(
    world: World, setup: Setup
) -> None:
    setup.basis.is_active = False
    setup.basis.save()
    html = client_for(world.staff).get(reverse("offers:edit", args=[setup.own.pk])).content
    assert "SEL § 108" in html.decode()


def test_secretariat_edits_operator_covered_and_status(world: World, setup: Setup) -> None:
    data = offer_post(
        setup,
        world,
        name=setup.other.name,
        operator=f"region:{world.municipality.region.pk}",
        status=OfferStatus.PLANNED,
        agreement_periods=[setup.period.pk],
    )
    del data["is_covered"]
    response = client_for(world.staff).post(reverse("offers:edit", args=[setup.other.pk]), data)
    assert response.status_code == 302
    offer = Offer.objects.get(pk=setup.other.pk)
    assert offer.operator_region == world.municipality.region
    assert offer.operator_municipality is None
    assert offer.is_covered is False
    assert offer.status == OfferStatus.PLANNED
    assert list(offer.agreement_periods.all()) == [setup.period]


def test_secretariat_records_a_decided_change_under_an_agenda_item(
    world: World, setup: Setup
) -> None:
    meeting = MeetingFactory(body=world.body_a, state="minutes_published")
    item = AgendaItemFactory(meeting=meeting, title="Kapacitet på Aarhus Botilbud")
    client = client_for(world.staff)
    url = reverse("offers:propose", args=[setup.other.pk])
    assert "Kapacitet på Aarhus Botilbud" in client.get(url).content.decode()

    response = client.post(
        url, event_post(record="on", decided_by_item=str(item.pk), effective_date="2025-01-01")
    )
    assert response.status_code == 302
    event = LifecycleEvent.objects.filter(offer=setup.other).latest("pk")
    assert event.state == EventState.CONFIRMED
    assert event.decided_by_item == item
    assert Capacity.objects.get(event=event).places == 14


def test_record_and_written_round_cannot_be_combined(world: World, setup: Setup) -> None:
    from tests.round_factories import WrittenRoundFactory

    round_ = WrittenRoundFactory(body=world.body_a, title="Kapacitet i høring")
    response = client_for(world.staff).post(
        reverse("offers:propose", args=[setup.other.pk]),
        event_post(record="on", decided_by_round=str(round_.pk)),
    )
    assert_error_at(response, "decided_by_round", "Registrér som besluttet")
    assert not LifecycleEvent.objects.filter(offer=setup.other, decided_by_round=round_)

    response = client_for(world.staff).post(
        reverse("offers:propose", args=[setup.other.pk]),
        event_post(decided_by_round=str(round_.pk)),
    )
    assert response.status_code == 302
    event = LifecycleEvent.objects.get(offer=setup.other, decided_by_round=round_)
    assert event.state == EventState.PROPOSED
    assert "skriftlige høring" in messages_of(response)


def test_the_queue_lists_proposals_with_the_late_flag(world: World, setup: Setup) -> None:
    LifecycleEvent.objects.filter(pk=setup.event.pk).update(announced_late=True)
    html = client_for(world.staff).get(reverse("offers:events")).content.decode()
    queue = html.split('id="proposed-events"')[1].split("</table>")[0]
    assert "Aarhus Botilbud" in queue and "Bostedet Åparken" in queue
    assert queue.count("Varslet for sent") == 1
    assert reverse("offers:event", args=[setup.event.pk]) in queue


def test_the_queue_runs_a_fixed_number_of_queries(world: World, setup: Setup) -> None:
    client = client_for(world.staff)
    url = reverse("offers:events")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(5):
        LifecycleEventFactory(offer=OfferFactory(), proposed_by=world.editor)
    with CaptureQueriesContext(connection) as six:
        assert client.get(url).status_code == 200
    assert len(six) == len(one)


def test_secretariat_confirms_a_proposal_seeing_the_capacity_before_and_after(
    world: World, setup: Setup
) -> None:
    event = event_propose(
        offer=setup.own,
        by=world.editor,
        kind=EventKind.CAPACITY,
        effective_date=D(2026, 3, 1),
        places=16,
        justification="Flere pladser.",
    )
    client = client_for(world.staff)
    url = reverse("offers:event", args=[event.pk])
    html = client.get(url).content.decode()
    preview = html.split('id="capacity-preview"')[1].split("</table>")[0]
    assert re.search(r"Uden ændringen</th>\s*<td[^>]*>10<", preview)
    assert re.search(r"Med ændringen</th>\s*<td[^>]*>16<", preview)
    # The preview was a dry run: nothing was written.
    event.refresh_from_db()
    assert event.state == EventState.PROPOSED
    assert not Capacity.objects.filter(event=event).exists()

    response = client.post(url, {"confirm-note": "Godkendt på FU-mødet.", "confirm": ""})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == EventState.CONFIRMED
    assert event.decision_note == "Godkendt på FU-mødet."
    assert Capacity.objects.get(event=event).places == 16


def test_the_decision_page_warns_when_confirming_would_fail(world: World, setup: Setup) -> None:
    other_basis = LegalBasisFactory(law="SEL", paragraph="107")
    event = event_propose(
        offer=setup.own,
        by=world.staff,
        kind=EventKind.REDESIGNATION,
        effective_date=D(2026, 3, 1),
        places=2,
        legal_basis=setup.basis,
        to_legal_basis=other_basis,
    )
    html = client_for(world.staff).get(reverse("offers:event", args=[event.pk])).content.decode()
    assert "kan ikke bekræftes" in html
    assert "registrér først pladserne pr. lovgrundlag" in html


def test_rejecting_needs_a_reason(world: World, setup: Setup) -> None:
    client = client_for(world.staff)
    url = reverse("offers:event", args=[setup.own_event.pk])
    response = client.post(url, {"reject-reason": "  ", "reject": ""})
    assert_error_at(response, "reject-reason", "Skriv, hvorfor ændringen afvises.")
    setup.own_event.refresh_from_db()
    assert setup.own_event.state == EventState.PROPOSED

    response = client.post(url, {"reject-reason": "Der er ikke behov.", "reject": ""})
    assert response.status_code == 302
    setup.own_event.refresh_from_db()
    assert setup.own_event.state == EventState.REJECTED
    assert setup.own_event.decision_note == "Der er ikke behov."


def test_a_decided_event_cannot_be_decided_again(world: World, setup: Setup) -> None:
    client = client_for(world.staff)
    url = reverse("offers:event", args=[setup.own_event.pk])
    client.post(url, {"reject-reason": "Nej.", "reject": ""})
    response = client.post(url, {"confirm-note": "", "confirm": ""})
    assert response.status_code == 200
    setup.own_event.refresh_from_db()
    assert setup.own_event.state == EventState.REJECTED
    assert not Capacity.objects.filter(event=setup.own_event).exists()


# --- the maintained tables ---------------------------------------------------------------------


def test_secretariat_keeps_the_legal_bases(world: World, setup: Setup) -> None:
    client = client_for(world.staff)
    response = client.post(
        reverse("offers:legal_basis_create"),
        {"law": "BL", "paragraph": "§ 43, stk. 3", "title": "Sikrede afdelinger", "order": "5"},
    )
    assert response.status_code == 302
    basis = LegalBasis.objects.get(law="BL")
    assert basis.label == "Barnets lov § 43, stk. 3"
    assert basis.is_active is False  # the checkbox was not ticked
    assert "Barnets lov § 43, stk. 3" in client.get(reverse("offers:legal_bases")).content.decode()

    response = client.post(
        reverse("offers:legal_basis_create"), {"law": "SEL", "paragraph": "108", "order": "0"}
    )
    assert_error_at(response, "paragraph", "findes allerede")
    response = client.post(
        reverse("offers:legal_basis_create"), {"law": "", "paragraph": "stk. 3", "order": "0"}
    )
    assert_error_at(response, "law", "Vælg loven.")
    assert_error_at(response, "paragraph", "paragraffens nummer")

    response = client.post(
        reverse("offers:legal_basis_edit", args=[basis.pk]),
        {
            "law": "BL",
            "paragraph": "43, stk. 3",
            "title": "Sikrede",
            "is_active": "on",
            "order": "1",
        },
    )
    assert response.status_code == 302
    basis.refresh_from_db()
    assert basis.is_active and basis.title == "Sikrede"


def test_secretariat_keeps_the_target_groups(world: World, setup: Setup) -> None:
    client = client_for(world.staff)
    response = client.post(
        reverse("offers:target_group_create"),
        {"name": "Børn med  autisme", "is_active": "on", "order": "0"},
    )
    assert response.status_code == 302
    assert TargetGroup.objects.filter(name="Børn med autisme").exists()
    response = client.post(
        reverse("offers:target_group_create"),
        {"name": "voksne med udviklingshæmning", "order": "0"},
    )
    assert_error_at(response, "name", "findes allerede")
    response = client.post(
        reverse("offers:target_group_edit", args=[setup.group.pk]),
        {"name": "Voksne med udviklingshæmning", "order": "3"},
    )
    assert response.status_code == 302
    setup.group.refresh_from_db()
    assert setup.group.is_active is False and setup.group.order == 3


def test_secretariat_keeps_the_agreement_periods(world: World, setup: Setup) -> None:
    client = client_for(world.staff)
    region = world.municipality.region
    data = {
        "region": region.pk,
        "name": "Rammeaftale 2031-2032",
        "start_date": "2031-01-01",
        "end_date": "2032-12-31",
        "notice_months_opening": "6",
        "notice_months_capacity": "6",
        "notice_months_closure": "12",
        "notice_months_redesignation": "3",
        "notice_months_operator": "12",
    }
    response = client.post(reverse("offers:agreement_period_create"), data)
    assert response.status_code == 302
    period = AgreementPeriod.objects.get(name="Rammeaftale 2031-2032")
    assert period.notice_months_redesignation == 3
    assert (
        "Rammeaftale 2031-2032" in client.get(reverse("offers:agreement_periods")).content.decode()
    )

    response = client.post(
        reverse("offers:agreement_period_create"),
        {**data, "name": "Rammeaftale 2032", "start_date": "2032-06-01", "end_date": "2032-01-01"},
    )
    assert_error_at(response, "end_date", "kan ikke slutte, før den begynder")
    response = client.post(
        reverse("offers:agreement_period_create"),
        {**data, "name": "Overlap", "start_date": "2032-06-01", "end_date": "2033-12-31"},
    )
    assert_error_at(response, "start_date", "overlapper")
    response = client.post(
        reverse("offers:agreement_period_create"),
        {**data, "notice_months_closure": "-1", "notice_months_capacity": "120"},
    )
    assert_error_at(response, "notice_months_closure", "negativt")
    assert_error_at(response, "notice_months_capacity", "Højst 60 måneder.")
    assert AgreementPeriod.objects.count() == 2


def test_staff_pages_render_for_the_secretariat(world: World, setup: Setup) -> None:
    client = client_for(world.staff)
    for url in SECRETARIAT_URLS.values():
        assert client.get(url(setup)).status_code == 200
    for url in OFFER_URLS.values():
        assert client.get(url(setup.hidden)).status_code == 200
