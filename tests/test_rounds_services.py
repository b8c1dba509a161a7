"""A written round (skriftlig høring) as the secretariat and the members live it: created with
the default respondents and deadline, sent once, answered (by a member or their substitute)
until the deadline, reminded once, and resolved by the periodic task — approved on silence,
referred to the next meeting on one objection — or closed early, or withdrawn.

Time: the tick and the resolution take `now`, so a test can run "after the deadline" without
waiting; an answer after the deadline is tested on a round whose deadline is moved back.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail as django_mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import AgendaItem, MeetingState
from notices.models import Notice
from organizations.models import Person
from rounds import notifications, services
from rounds.models import Answer, EventKind, Respondent, RoundState, WrittenRound
from rounds.services import (
    default_deadline,
    default_respondents,
    round_answer,
    round_close_early,
    round_create,
    round_remind,
    round_resolve,
    round_send,
    round_withdraw,
    rounds_tick,
)
from rounds.signals import round_closed
from tests.factories import PersonFactory
from tests.meeting_factories import MeetingFactory
from tests.round_factories import Panel, panel_for

pytestmark = pytest.mark.django_db

TITLE = "Bostedet Solbakken: 2 pladser mere efter § 108"
PROPOSAL = "<p>Aarhus Kommune foreslår at udvide Bostedet Solbakken fra 12 til 14 pladser.</p>"
FOLLOW_UP_TITLE = f"Opfølgning på skriftlig høring: {TITLE}"


@pytest.fixture
def panel(world: Any) -> Panel:
    return panel_for(world)


@pytest.fixture
def closed_signals() -> Iterator[list[tuple[int, str]]]:
    """(round id, state) of every round_closed signal sent during the test."""
    seen: list[tuple[int, str]] = []

    def record(sender: Any, **kwargs: Any) -> None:
        seen.append((kwargs["round"].pk, kwargs["state"]))

    round_closed.connect(record, dispatch_uid="test-rounds-recorder")
    try:
        yield seen
    finally:
        round_closed.disconnect(dispatch_uid="test-rounds-recorder")


def new_round(world: Any, panel: Panel, **fields: Any) -> WrittenRound:
    values: dict[str, Any] = {
        "title": TITLE,
        "proposal": PROPOSAL,
        "justification": "<p>Ventelisten er vokset til 9 borgere.</p>",
        "proposer_municipality": world.other_municipality,
        **fields,
    }
    return round_create(body=panel.body, by=world.staff, **values)


def sent_round(world: Any, panel: Panel, **fields: Any) -> WrittenRound:
    return round_send(round_=new_round(world, panel, **fields), by=world.staff)


def respondent(round_: WrittenRound, user: Any) -> Respondent:
    return round_.respondents.get(person=user.person)


def answer(round_: WrittenRound, user: Any, value: str, comment: str = "") -> Respondent:
    return round_answer(respondent=respondent(round_, user), by=user, answer=value, comment=comment)


def after(round_: WrittenRound, **delta: float) -> datetime.datetime:
    return round_.deadline + datetime.timedelta(minutes=1, **delta)


def kinds(round_: WrittenRound) -> list[str]:
    return list(round_.events.order_by("at", "pk").values_list("kind", flat=True))


def notices(kind: str) -> int:
    return Notice.objects.filter(kind=kind).count()


def move_deadline_back(round_: WrittenRound) -> WrittenRound:
    WrittenRound.objects.filter(pk=round_.pk).update(
        deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    round_.refresh_from_db()
    return round_


# --- who is asked, and the deadline ------------------------------------------------------------


def test_default_respondents_are_one_voting_member_per_organisation(panel: Panel) -> None:
    chosen = default_respondents(body=panel.body)
    # Sorted by whom they represent; Aarhus's chair before its member; no substitutes,
    # observers, members without voting right or former members.
    assert [m.person for m in chosen] == [
        panel.aarhus.person,
        panel.region.person,
        panel.viborg.person,
    ]
    assert [m.affiliation_name for m in chosen] == [
        "Aarhus Kommune",
        "Region Midtjylland",
        "Viborg Kommune",
    ]


def test_a_new_round_asks_the_default_respondents_by_the_default_deadline(
    world: Any, panel: Panel
) -> None:
    round_ = new_round(world, panel)
    assert round_.state == RoundState.DRAFT
    assert round_.deadline == default_deadline()
    found = {(r.person, r.represents, r.municipality) for r in round_.respondents.all()}
    assert found == {
        (panel.aarhus.person, "Aarhus Kommune", world.other_municipality),
        (panel.region.person, "Region Midtjylland", None),
        (panel.viborg.person, "Viborg Kommune", world.municipality),
    }
    assert kinds(round_) == [EventKind.CREATED]


def test_only_the_secretariat_creates_and_sends_rounds(world: Any, panel: Panel) -> None:
    for user in (world.member_a, world.editor, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            round_create(body=panel.body, by=user, title=TITLE, proposal=PROPOSAL)
    round_ = new_round(world, panel)
    with pytest.raises(PermissionDenied):
        round_send(round_=round_, by=world.member_a)
    assert WrittenRound.objects.get().state == RoundState.DRAFT


# --- sending ---------------------------------------------------------------------------------


def test_sending_refuses_respondents_without_an_address_and_names_them(
    world: Any, panel: Panel
) -> None:
    silent = PersonFactory.create(name="Uden Adresse", email="", user=None)
    round_ = new_round(world, panel, respondents=[*panel.asked, silent])
    with pytest.raises(ValidationError) as refused:
        round_send(round_=round_, by=world.staff)
    assert "Uden Adresse" in str(refused.value)
    assert "ingen e-mailadresse" in str(refused.value)
    round_.refresh_from_db()
    assert round_.state == RoundState.DRAFT and round_.sent_at is None
    assert notices(notifications.SENT) == 0


def test_sending_invites_every_respondent_exactly_once(
    world: Any, panel: Panel, django_capture_on_commit_callbacks: Any
) -> None:
    round_ = new_round(world, panel)
    with django_capture_on_commit_callbacks(execute=True):
        round_send(round_=round_, by=world.staff)
    with pytest.raises(ValidationError):
        round_send(round_=round_, by=world.staff)  # a second click sends nothing
    round_.refresh_from_db()
    assert round_.state == RoundState.OPEN
    assert round_.sent_by == world.staff and round_.sent_at is not None
    assert kinds(round_) == [EventKind.CREATED, EventKind.SENT]
    assert notices(notifications.SENT) == 1
    addresses = sorted(to for message in django_mail.outbox for to in message.to)
    assert addresses == sorted(str(p.email).lower() for p in panel.asked)
    assert len(addresses) == len(set(addresses)) == 3


# --- answering ---------------------------------------------------------------------------------


def test_a_respondent_answers_and_may_change_the_answer_until_the_deadline(
    world: Any, panel: Panel
) -> None:
    round_ = sent_round(world, panel)
    mine = answer(round_, panel.aarhus, Answer.NO_OBJECTION)
    assert mine.answer == Answer.NO_OBJECTION and mine.answered_by == panel.aarhus
    assert mine.answered_as_substitute is False
    mine = answer(round_, panel.aarhus, Answer.OBJECTION, "  Vi mangler en takstberegning.  ")
    assert (mine.answer, mine.comment) == (Answer.OBJECTION, "Vi mangler en takstberegning.")
    assert kinds(round_)[-2:] == [EventKind.ANSWERED, EventKind.ANSWER_CHANGED]
    changed = round_.events.get(kind=EventKind.ANSWER_CHANGED)
    assert changed.respondent == mine and changed.by == panel.aarhus
    assert changed.detail == "Indsigelse / bemærkninger: Vi mangler en takstberegning."


def test_an_objection_needs_a_comment(world: Any, panel: Panel) -> None:
    round_ = sent_round(world, panel)
    for comment in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            answer(round_, panel.aarhus, Answer.OBJECTION, comment)
        assert "comment" in refused.value.message_dict
    assert respondent(round_, panel.aarhus).answer == ""
    assert not round_.events.filter(kind=EventKind.ANSWERED).exists()


def test_a_late_answer_is_refused_with_a_danish_message(world: Any, panel: Panel) -> None:
    round_ = move_deadline_back(sent_round(world, panel))
    with pytest.raises(ValidationError) as refused:
        answer(round_, panel.aarhus, Answer.NO_OBJECTION)
    message = refused.value.messages[0]
    assert message.startswith("Fristen for at svare var ")
    assert "Dit svar er ikke registreret; kontakt sekretariatet" in message
    assert str(timezone.localtime(round_.deadline).year) in message
    assert refused.value.error_list[0].code == "too_late"
    assert respondent(round_, panel.aarhus).answer == ""
    assert not round_.events.filter(kind=EventKind.ANSWERED).exists()


def test_someone_who_is_not_asked_cannot_answer(world: Any, panel: Panel) -> None:
    round_ = sent_round(world, panel)
    target = respondent(round_, panel.aarhus)
    # A member of another body, a member of this body who is not asked (Aarhus's second member
    # answering for Aarhus's chair), and a substitute for another municipality.
    for outsider in (world.member_b, panel.aarhus_member, panel.substitute, world.staff):
        with pytest.raises(PermissionDenied):
            round_answer(respondent=target, by=outsider, answer=Answer.NO_OBJECTION)
    with pytest.raises(PermissionDenied):
        round_answer(respondent=target, by=AnonymousUser(), answer=Answer.NO_OBJECTION)
    target.refresh_from_db()
    assert target.answer == "" and target.answered_at is None
    assert kinds(round_) == [EventKind.CREATED, EventKind.SENT]


def test_a_substitute_answers_for_the_member_of_the_same_municipality(
    world: Any, panel: Panel
) -> None:
    round_ = sent_round(world, panel)
    viborg = respondent(round_, panel.viborg)
    done = round_answer(respondent=viborg, by=panel.substitute, answer=Answer.NO_OBJECTION)
    assert done.answered_by == panel.substitute
    assert done.answered_as_substitute is True
    event = round_.events.get(kind=EventKind.ANSWERED)
    assert (event.by, event.respondent) == (panel.substitute, viborg)


# --- reminders ---------------------------------------------------------------------------------


def test_the_automatic_reminder_goes_once_and_only_to_those_who_have_not_answered(
    world: Any, panel: Panel, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ROUNDS_REMINDER_HOURS = 48
    round_ = sent_round(world, panel)
    answer(round_, panel.aarhus, Answer.NO_OBJECTION)
    django_mail.outbox.clear()
    early = round_.deadline - datetime.timedelta(hours=49)
    assert rounds_tick(now=early)["reminded"] == 0
    due = round_.deadline - datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert rounds_tick(now=due)["reminded"] == 1
        assert rounds_tick(now=due)["reminded"] == 0  # the tick runs again
    assert kinds(round_).count(EventKind.REMINDED) == 1
    assert notices(notifications.REMINDER) == 1
    reminded = sorted(to for message in django_mail.outbox for to in message.to)
    assert reminded == sorted(
        str(p.email).lower() for p in (panel.viborg.person, panel.region.person)
    )
    round_.refresh_from_db()
    assert round_.auto_reminder_sent_at is not None
    event = round_.events.get(kind=EventKind.REMINDED)
    assert event.detail.startswith("Automatisk påmindelse til: ")
    assert panel.aarhus.person.name not in event.detail


def test_the_secretariat_may_remind_by_hand_and_nobody_else(world: Any, panel: Panel) -> None:
    round_ = sent_round(world, panel)
    with pytest.raises(PermissionDenied):
        round_remind(round_=round_, by=world.member_a)
    assert round_remind(round_=round_, by=world.staff) is True
    assert round_remind(round_=round_, by=world.staff) is True  # by hand: any number of times
    assert notices(notifications.REMINDER) == 2
    for user in panel.asked:
        answer(round_, user.user, Answer.NO_OBJECTION)
    assert round_remind(round_=round_, by=world.staff) is False  # nobody left to remind
    assert notices(notifications.REMINDER) == 2


# --- approval --------------------------------------------------------------------------------


def test_silence_is_approval_decided_on_the_deadlines_date_even_when_the_tick_is_late(
    world: Any, panel: Panel, closed_signals: list[tuple[int, str]]
) -> None:
    round_ = sent_round(world, panel, proposed_decision="<p>DASSOS godkender 2 ekstra pladser.</p>")
    assert rounds_tick(now=round_.deadline - datetime.timedelta(minutes=1))["resolved"] == 0
    late = after(round_, days=3)  # the workers were down for three days
    assert rounds_tick(now=late)["resolved"] == 1
    assert rounds_tick(now=late)["resolved"] == 0
    assert round_resolve(round_id=round_.pk, now=late) is None
    round_.refresh_from_db()
    assert round_.state == RoundState.APPROVED
    assert round_.decided_on == timezone.localtime(round_.deadline).date()
    assert round_.resolved_at == late
    assert round_.resolution.startswith("<p>DASSOS godkender 2 ekstra pladser.</p>")
    assert "Godkendt i skriftlig høring med svarfrist" in round_.resolution
    assert "der kom ingen indsigelser" in round_.resolution
    assert kinds(round_).count(EventKind.APPROVED) == 1
    assert closed_signals == [(round_.pk, RoundState.APPROVED)]
    assert notices(notifications.RESULT_KIND) == 1
    assert round_.follow_up_item is None


def test_explicit_answers_allow_closing_early_only_when_everyone_has_no_objection(
    world: Any, panel: Panel, closed_signals: list[tuple[int, str]]
) -> None:
    round_ = sent_round(world, panel)
    answer(round_, panel.aarhus, Answer.NO_OBJECTION)
    answer(round_, panel.region, Answer.OBJECTION, "Vi vil gerne høre mere.")
    with pytest.raises(ValidationError) as refused:
        round_close_early(round_=round_, by=world.staff)
    message = refused.value.messages[0]
    assert "Mangler: " in message
    assert panel.viborg.person.name in message  # has not answered
    assert panel.region.person.name in message  # objected
    assert panel.aarhus.person.name not in message
    with pytest.raises(PermissionDenied):
        round_close_early(round_=round_, by=world.member_a)
    answer(round_, panel.region, Answer.NO_OBJECTION)
    answer(round_, panel.viborg, Answer.NO_OBJECTION)
    round_close_early(round_=round_, by=world.staff)
    round_.refresh_from_db()
    assert round_.state == RoundState.APPROVED
    assert round_.decided_on == timezone.localdate()
    assert "før fristen, da alle høringsparter havde svaret »ingen bemærkninger«" in (
        round_.resolution
    )
    assert "med svarfrist" not in round_.resolution
    assert rounds_tick(now=after(round_))["resolved"] == 0
    assert closed_signals == [(round_.pk, RoundState.APPROVED)]
    assert notices(notifications.RESULT_KIND) == 1
    with pytest.raises(ValidationError):
        round_close_early(round_=round_, by=world.staff)


# --- referral ----------------------------------------------------------------------------------


def test_one_objection_refers_the_round_to_the_next_draft_meeting_once(
    world: Any, panel: Panel, closed_signals: list[tuple[int, str]]
) -> None:
    now = timezone.now()
    MeetingFactory.create(body=panel.body, starts_at=now - datetime.timedelta(days=3))  # held
    MeetingFactory.create(
        body=panel.body, starts_at=now + datetime.timedelta(days=5), cancelled=True
    )
    MeetingFactory.create(
        body=panel.body,
        starts_at=now + datetime.timedelta(days=10),
        state=MeetingState.AGENDA_PUBLISHED,
    )
    MeetingFactory.create(body=world.body_b, starts_at=now + datetime.timedelta(days=20))
    later = MeetingFactory.create(body=panel.body, starts_at=now + datetime.timedelta(days=30))
    last = MeetingFactory.create(body=panel.body, starts_at=now + datetime.timedelta(days=60))
    round_ = sent_round(world, panel, proposed_decision="<p>At udvide med 2 pladser.</p>")
    answer(round_, panel.aarhus, Answer.NO_OBJECTION)
    answer(round_, panel.region, Answer.OBJECTION, "Regionen har ledige pladser i Silkeborg.")

    assert rounds_tick(now=after(round_))["resolved"] == 1
    round_.refresh_from_db()
    assert round_.state == RoundState.REFERRED
    assert round_.decided_on == timezone.localtime(round_.deadline).date()
    assert "Region Midtjylland" in round_.resolution
    assert "på næste møde til endelig beslutning" in round_.resolution
    item = round_.follow_up_item
    assert item is not None and item.meeting == later
    assert item.title == FOLLOW_UP_TITLE
    assert item.recommendation == "<p>At udvide med 2 pladser.</p>"
    assert item.is_closed is False
    assert round_.get_absolute_url() in item.case_text
    assert "Region Midtjylland" in item.case_text
    assert "Regionen har ledige pladser" not in item.case_text  # the page has the answers

    # Resolution and the tick run again: nothing more.
    assert round_resolve(round_id=round_.pk, now=after(round_, days=1)) is None
    assert services.round_follow_up_ensure(round_id=round_.pk) is True
    assert rounds_tick(now=after(round_, days=1)) == {
        "resolved": 0,
        "reminded": 0,
        "followed_up": 0,
    }
    assert AgendaItem.objects.filter(title=FOLLOW_UP_TITLE).count() == 1
    assert not last.items.exists()
    assert kinds(round_).count(EventKind.REFERRED) == 1
    assert kinds(round_).count(EventKind.FOLLOW_UP) == 1
    assert closed_signals == [(round_.pk, RoundState.REFERRED)]
    assert notices(notifications.RESULT_KIND) == 1
    assert notices(notifications.NO_MEETING) == 0


def test_a_follow_up_item_the_secretariat_removed_is_not_added_again(
    world: Any, panel: Panel
) -> None:
    meeting = MeetingFactory.create(
        body=panel.body, starts_at=timezone.now() + datetime.timedelta(days=30)
    )
    round_ = sent_round(world, panel)
    answer(round_, panel.region, Answer.OBJECTION, "Ikke enig.")
    rounds_tick(now=after(round_))
    round_.refresh_from_db()
    assert round_.follow_up_item is not None
    meeting_services.agenda_item_remove(item=round_.follow_up_item, by=world.staff)
    round_.refresh_from_db()
    assert round_.follow_up_item is None
    assert rounds_tick(now=after(round_, days=1))["followed_up"] == 0
    assert services.round_follow_up_ensure(round_id=round_.pk) is False
    assert not meeting.items.filter(title=FOLLOW_UP_TITLE).exists()
    assert kinds(round_).count(EventKind.FOLLOW_UP) == 1


def test_a_confidential_rounds_follow_up_item_is_closed(world: Any, panel: Panel) -> None:
    MeetingFactory.create(body=panel.body, starts_at=timezone.now() + datetime.timedelta(days=30))
    round_ = sent_round(world, panel, is_confidential=True)
    answer(round_, panel.region, Answer.OBJECTION, "Ikke enig.")
    rounds_tick(now=after(round_))
    round_.refresh_from_db()
    assert round_.follow_up_item is not None and round_.follow_up_item.is_closed is True


def test_without_a_next_meeting_the_secretariat_is_told_once_and_the_item_follows_later(
    world: Any, panel: Panel, django_capture_on_commit_callbacks: Any
) -> None:
    MeetingFactory.create(
        body=panel.body,
        starts_at=timezone.now() + datetime.timedelta(days=10),
        state=MeetingState.AGENDA_PUBLISHED,
    )
    round_ = sent_round(world, panel)
    answer(round_, panel.region, Answer.OBJECTION, "Ikke enig.")
    django_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert rounds_tick(now=after(round_))["resolved"] == 1
        assert rounds_tick(now=after(round_, seconds=30))["followed_up"] == 0
    round_.refresh_from_db()
    assert round_.state == RoundState.REFERRED and round_.follow_up_item is None
    assert kinds(round_).count(EventKind.NO_MEETING) == 1
    assert notices(notifications.NO_MEETING) == 1
    to_secretariat = [m for m in django_mail.outbox if world.staff.email in m.to]
    assert len(to_secretariat) == 1
    assert TITLE in to_secretariat[0].subject

    starts = timezone.now() + datetime.timedelta(days=40)
    meeting = meeting_services.meeting_create(
        body=panel.body,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        by=world.staff,
    )
    assert rounds_tick(now=after(round_, days=2))["followed_up"] == 1
    assert rounds_tick(now=after(round_, days=2))["followed_up"] == 0
    round_.refresh_from_db()
    assert round_.follow_up_item is not None
    assert round_.follow_up_item.meeting == meeting
    assert meeting.items.filter(title=FOLLOW_UP_TITLE).count() == 1
    assert kinds(round_).count(EventKind.NO_MEETING) == 1
    assert notices(notifications.NO_MEETING) == 1


# --- withdrawal and the hand-off to other apps -------------------------------------------------


def test_withdrawing_tells_the_respondents_only_when_the_round_was_open(
    world: Any, panel: Panel, closed_signals: list[tuple[int, str]]
) -> None:
    draft = new_round(world, panel)
    with pytest.raises(ValidationError):
        round_withdraw(round_=draft, by=world.staff, reason="  ")
    round_withdraw(round_=draft, by=world.staff, reason="Forslaget er trukket af Aarhus.")
    assert notices(notifications.WITHDRAWN) == 0

    open_round = sent_round(world, panel, title="Et andet forslag")
    with pytest.raises(PermissionDenied):
        round_withdraw(round_=open_round, by=world.member_a, reason="Nej")
    round_withdraw(round_=open_round, by=world.staff, reason="Kommunerne har fundet en løsning.")
    assert notices(notifications.WITHDRAWN) == 1
    open_round.refresh_from_db()
    assert open_round.state == RoundState.WITHDRAWN
    assert open_round.resolution == "<p>Kommunerne har fundet en løsning.</p>"
    assert kinds(open_round)[-1] == EventKind.WITHDRAWN
    with pytest.raises(ValidationError):
        round_withdraw(round_=open_round, by=world.staff, reason="Igen")
    assert rounds_tick(now=after(open_round))["resolved"] == 0
    assert closed_signals == [
        (draft.pk, RoundState.WITHDRAWN),
        (open_round.pk, RoundState.WITHDRAWN),
    ]


def test_a_failing_receiver_leaves_its_round_open_and_the_others_go_on(
    world: Any, panel: Panel
) -> None:
    failing = sent_round(world, panel)
    other = sent_round(world, panel, title="Et andet forslag")

    def fail(sender: Any, **kwargs: Any) -> None:
        if kwargs["round"].pk == failing.pk:
            raise RuntimeError("kapaciteten kunne ikke opdateres")

    round_closed.connect(fail, dispatch_uid="test-rounds-failing")
    try:
        with pytest.raises(RuntimeError):
            round_resolve(round_id=failing.pk, now=after(failing))
        assert rounds_tick(now=after(failing))["resolved"] == 1
    finally:
        round_closed.disconnect(dispatch_uid="test-rounds-failing")
    failing.refresh_from_db()
    other.refresh_from_db()
    assert failing.state == RoundState.OPEN
    assert (failing.resolved_at, failing.decided_on, failing.resolution) == (None, None, "")
    assert EventKind.APPROVED not in kinds(failing)
    assert other.state == RoundState.APPROVED
    assert notices(notifications.RESULT_KIND) == 1  # the other round's only

    assert rounds_tick(now=after(failing, hours=1))["resolved"] == 1
    failing.refresh_from_db()
    assert failing.state == RoundState.APPROVED
    assert failing.decided_on == timezone.localtime(failing.deadline).date()


def test_the_respondents_chosen_by_hand_replace_the_defaults(world: Any, panel: Panel) -> None:
    round_ = new_round(world, panel)
    extra: Person = PersonFactory.create(name="Ekstern Ekspert")
    kept = services.round_set_respondents(
        round_=round_, by=world.staff, people=[panel.aarhus.person, extra]
    )
    assert {r.person for r in kept} == {panel.aarhus.person, extra}
    assert {r.represents for r in kept} == {"Aarhus Kommune", str(extra.municipality)}
    assert kinds(round_)[-1] == EventKind.RESPONDENTS
    with pytest.raises(ValidationError):
        services.round_set_respondents(round_=round_, by=world.staff, people=[])
