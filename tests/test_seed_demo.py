"""The demo data: the organisation of the seeds, loaded idempotently."""

import io

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings.models import AgendaItem, Meeting
from organizations.models import Body, Membership, Municipality, Person, Region, Role
from rounds.models import Answer, EventKind, Respondent, RoundEvent, RoundState, WrittenRound
from rounds.services import default_deadline, round_resolve

FU_MEMBERS = {
    "Henning Hansen": ("formand", "Ikast-Brande Kommune"),
    "Leif Gjørtz Christensen": ("medlem", "Viborg Kommune"),
    "Henrik Beyer": ("medlem", "Herning Kommune"),
    "Henning Haahr": ("medlem", "Skanderborg Kommune"),
    "Jacob Stengaard Madsen": ("medlem", "Favrskov Kommune"),
    "Karin Holland": ("medlem", "Horsens Kommune"),
    "Kjeld Berthelsen": ("medlem", "Struer Kommune"),
    "Steinar E. Kristensen": ("medlem", "Aarhus Kommune"),
    "Anne Jastrup": ("medlem", "Region Midtjylland"),
    "Eva Glæsner": ("medlem", "KKR Midtjylland"),
    "Karsten Binderup": ("medlem", "Sekretariat for rammeaftaler"),
}


def test_regions_and_municipalities_have_official_codes(seeded: None) -> None:
    assert Municipality.objects.filter(region__code="1082").count() == 19
    assert Municipality.objects.filter(region__code="1081").count() == 11
    assert Municipality.objects.filter(region__code="1085").count() == 17
    assert Municipality.objects.get(code="756").name == "Ikast-Brande Kommune"
    assert Region.objects.get(code="1082").name == "Region Midtjylland"


def test_forretningsudvalget_composition_is_exactly_as_in_seed_001(seeded: None) -> None:
    fu = Body.objects.get(short_name="FU", region__code="1082")
    members = Membership.objects.filter(body=fu).select_related("person")
    found = {m.person.name: (m.role, m.affiliation_name) for m in members}
    assert found == FU_MEMBERS
    assert members.get(role=Role.CHAIR).person.name == "Henning Hansen"


def test_socialdirektoerkredsen_has_the_participants_of_seed_002(seeded: None) -> None:
    body = Body.objects.get(slug="socialdirektoerkredsen")
    names = set(Membership.objects.filter(body=body).values_list("person__name", flat=True))
    assert {"Jan Nielsen", "Jane Hvas", "Søren Kjær", "Hilde Elisabeth Thun Holst"} <= names
    assert len(names) == 15
    assert Body.objects.filter(slug="k17", region__code="1085").exists()


def test_demo_text_has_correct_danish_letters(seeded: None) -> None:
    blob = " ".join(
        " ".join(values) for values in Body.objects.values_list("name", "mandate", "meeting_rhythm")
    ) + " ".join(Person.objects.values_list("name", flat=True))
    for garbled in ("Mgdefrekvens", "Gjgrtz", "Glaesner", " arlige", " omrade", " mgder"):
        assert garbled not in blob
    assert "Gjørtz" in blob and "årligt" in blob and "Glæsner" in blob


def test_seeding_twice_writes_nothing(seeded: None) -> None:
    models = (Region, Municipality, Body, Person, Membership, Meeting, AgendaItem)
    counts = {m: m.objects.count() for m in (*models, WrittenRound, Respondent, RoundEvent)}
    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo", stdout=io.StringIO())
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert counts == {m: m.objects.count() for m in counts}


def test_dassos_has_an_approved_a_referred_and_an_open_written_round(seeded: None) -> None:
    rounds = {r.state: r for r in WrittenRound.objects.filter(body__slug="dassos")}
    assert set(rounds) == {RoundState.APPROVED, RoundState.REFERRED, RoundState.OPEN}
    asked = {"Region Midtjylland", *(FU_MEMBERS[n][1] for n in list(FU_MEMBERS)[:8])}

    approved = rounds[RoundState.APPROVED]
    assert approved.proposer_municipality is not None
    assert approved.proposer_municipality.name == "Herning Kommune"
    assert {r.represents for r in approved.respondents.all()} == asked
    assert {r.answer for r in approved.respondents.all()} == {Answer.NO_OBJECTION}
    assert approved.decided_on == timezone.localtime(approved.deadline).date()
    assert approved.follow_up_item is None

    referred = rounds[RoundState.REFERRED]
    assert referred.proposer_region is not None
    assert referred.proposer_region.name == "Region Midtjylland"
    [objector] = referred.respondents.filter(answer=Answer.OBJECTION)
    assert objector.represents == "Aarhus Kommune" and objector.comment
    item = referred.follow_up_item
    assert item is not None
    assert item.meeting.body.slug == "dassos" and item.meeting.starts_at.year == 2027
    assert item.title == f"Opfølgning på skriftlig høring: {referred.title}"

    open_round = rounds[RoundState.OPEN]
    assert open_round.sent_at is not None
    assert open_round.deadline == default_deadline(start=open_round.sent_at.date())
    assert open_round.respondents.exclude(answer="").count() == 4
    assert open_round.resolution == "" and open_round.decided_on is None
    for round_ in rounds.values():
        sent = round_.events.get(kind=EventKind.SENT)
        assert sent.detail == ", ".join(r.person.name for r in round_.respondents.all())
        answered = round_.events.filter(kind=EventKind.ANSWERED).count()
        assert answered == round_.respondents.exclude(answer="").count()


def test_the_demo_rounds_are_resolved_as_the_services_would_resolve_them(seeded: None) -> None:
    """Undo each demo resolution and let round_resolve do it at the same moment: the texts, the
    date, the history and the follow-up item come out the same."""
    resolution_kinds = [EventKind.APPROVED, EventKind.REFERRED, EventKind.FOLLOW_UP]
    item_fields = ("meeting_id", "order", "number", "title", "kind", "case_text", "recommendation")
    for state in (RoundState.APPROVED, RoundState.REFERRED):
        demo = WrittenRound.objects.get(body__slug="dassos", state=state)
        item = demo.follow_up_item
        resolved_at = demo.resolved_at
        expected: dict[str, object] = {
            "resolution": demo.resolution,
            "decided_on": demo.decided_on,
            "resolved_at": demo.resolved_at,
            "events": list(demo.events.values_list("kind", "detail")),
            "item": [getattr(item, name) for name in item_fields] if item else None,
        }
        demo.events.filter(kind__in=resolution_kinds).delete()
        WrittenRound.objects.filter(pk=demo.pk).update(
            state=RoundState.OPEN,
            resolution="",
            resolved_at=None,
            decided_on=None,
            follow_up_item=None,
        )
        if item is not None:
            item.delete()

        resolved = round_resolve(round_id=demo.pk, now=resolved_at)
        assert resolved is not None and resolved.state == state
        resolved.refresh_from_db()
        new_item = resolved.follow_up_item
        assert {
            "resolution": resolved.resolution,
            "decided_on": resolved.decided_on,
            "resolved_at": resolved.resolved_at,
            "events": list(resolved.events.values_list("kind", "detail")),
            "item": [getattr(new_item, name) for name in item_fields] if new_item else None,
        } == expected
