"""A written round's mails as the respondents, the body's members, its followers and the
secretariat receive them: the invitation reaches every respondent once; reminders reach those
who have not answered; the result reaches respondents, members and followers once each and never
carries an answer or a name; a confidential round's outcome never reaches the public.

The mails go over real SMTP to a server on 127.0.0.1 (aiosmtpd) started by the test.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from meetings.models import MeetingState
from organizations.notifications import ROUNDS, body_topic
from rounds import notifications
from rounds.models import Answer, RoundState, WrittenRound
from rounds.services import (
    round_answer,
    round_close_early,
    round_create,
    round_remind,
    round_send,
    round_withdraw,
    rounds_tick,
)
from tests.factories import PersonFactory
from tests.meeting_factories import MeetingFactory
from tests.round_factories import Panel, panel_for
from tests.test_notices_support import Sink, confirmed

# The SMTP server fixtures.
pytest_plugins = ["tests.test_notices_support"]

pytestmark = pytest.mark.django_db

TITLE = "Bostedet Solbakken: 2 pladser mere efter § 108"
PROPOSAL_TEXT = "Aarhus Kommune foreslår at udvide Bostedet Solbakken fra 12 til 14 pladser."
JUSTIFICATION_TEXT = "Ventelisten er vokset til 9 borgere."
DECISION_TEXT = "DASSOS godkender 2 ekstra pladser på Bostedet Solbakken fra 1. marts."
OBJECTION_MARKER = "INDSIGELSE-MARKØR-5521"
REMARK_MARKER = "BEMÆRKNING-MARKØR-7731"


@pytest.fixture
def panel(world: Any) -> Panel:
    return panel_for(world)


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def html_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


def everything(message: Any) -> str:
    return f"{message['Subject']}\n{text_of(message)}\n{html_of(message)}"


def address(person: Any) -> str:
    return str(person.email).lower()


def draft(world: Any, panel: Panel, **fields: Any) -> WrittenRound:
    values: dict[str, Any] = {
        "title": TITLE,
        "proposal": f"<p>{PROPOSAL_TEXT}</p><p>Udvidelsen sker i den eksisterende bygning.</p>",
        "justification": f"<p>{JUSTIFICATION_TEXT}</p>",
        "proposed_decision": f"<p>{DECISION_TEXT}</p>",
        "proposer_municipality": world.other_municipality,
        **fields,
    }
    return round_create(body=panel.body, by=world.staff, **values)


def send(world: Any, capture: Any, round_: WrittenRound) -> WrittenRound:
    with capture(execute=True):
        return round_send(round_=round_, by=world.staff)


def answer(round_: WrittenRound, user: Any, value: str, comment: str = "") -> None:
    target = round_.respondents.get(person=user.person)
    round_answer(respondent=target, by=user, answer=value, comment=comment)


def resolve(capture: Any, round_: WrittenRound) -> WrittenRound:
    with capture(execute=True):
        assert rounds_tick(now=round_.deadline + datetime.timedelta(minutes=1))["resolved"] == 1
    round_.refresh_from_db()
    return round_


def round_url(round_: WrittenRound) -> str:
    return f"{settings.SITE_URL}/hoeringer/{round_.pk}/"


def members_with_address(panel: Panel) -> set[str]:
    """The body's active members (every role), who get the body's rounds' results."""
    people = [
        panel.viborg.person,
        panel.aarhus.person,
        panel.region.person,
        panel.aarhus_member.person,
        panel.viborg_second.person,
        panel.substitute.person,
        panel.observer,
        panel.non_voting,
    ]
    return {address(p) for p in people}


# --- the invitation -----------------------------------------------------------------------------


def test_the_invitation_reaches_every_respondent_once_with_the_proposal_as_text(
    world: Any, panel: Panel, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    round_ = draft(world, panel)
    # Anyone may follow any topic key; the invitation is for the respondents.
    confirmed("nysgerrig@example.dk", notifications.round_topic(round_.pk, "respondents"))
    send(world, django_capture_on_commit_callbacks, round_)

    asked = {address(p) for p in panel.asked}
    assert smtp.recipients() == {**dict.fromkeys(asked, 1), "nysgerrig@example.dk": 1}
    deadline = date_format(timezone.localtime(round_.deadline), "l j. F Y \\k\\l. H.i")
    for to in asked:
        [message] = smtp.to(to)
        assert message["Subject"] == f"Skriftlig høring: {TITLE}"
        text, html = text_of(message), html_of(message)
        for body in (text, html):
            assert f"svare senest {deadline}" in body.replace("<strong>", "").replace(
                "</strong>", ""
            )
            assert PROPOSAL_TEXT in body
            assert JUSTIFICATION_TEXT in body
            assert DECISION_TEXT in body
            assert "Forslagsstiller: Aarhus Kommune" in body
            assert "Ingen bemærkninger" in body
            assert "Indsigelse / bemærkninger" in body
            assert "regnes det som »ingen bemærkninger«" in body
            assert round_url(round_) in body
        assert "Svar på høringen (kræver login): " + round_url(round_) in text
        assert "<p>" not in text
        assert f"<p>{PROPOSAL_TEXT}</p>" in html
        assert message["List-Unsubscribe"] is not None

    [curious] = smtp.to("nysgerrig@example.dk")
    assert "Denne meddelelse er til høringsparterne." in text_of(curious)
    for secret in (TITLE, PROPOSAL_TEXT, JUSTIFICATION_TEXT, "Solbakken"):
        assert secret not in everything(curious)


# --- reminders and withdrawal -------------------------------------------------------------------


def test_reminders_reach_only_those_who_have_not_answered(
    world: Any, panel: Panel, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    round_ = send(world, django_capture_on_commit_callbacks, draft(world, panel))
    answer(round_, panel.aarhus, Answer.NO_OBJECTION)
    smtp.clear()
    with django_capture_on_commit_callbacks(execute=True):
        round_remind(round_=round_, by=world.staff)
    pending = {address(panel.viborg.person), address(panel.region.person)}
    assert smtp.recipients() == dict.fromkeys(pending, 1)
    [message] = smtp.to(address(panel.region.person))
    deadline = date_format(timezone.localtime(round_.deadline), "l j. F Y \\k\\l. H.i")
    assert message["Subject"] == f"Påmindelse: skriftlig høring {TITLE} – svar senest {deadline}"
    assert "Vi mangler dit svar" in text_of(message)
    assert PROPOSAL_TEXT in text_of(message)
    assert round_url(round_) in text_of(message)


def test_withdrawal_tells_the_respondents_why(
    world: Any, panel: Panel, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    round_ = send(world, django_capture_on_commit_callbacks, draft(world, panel))
    smtp.clear()
    with django_capture_on_commit_callbacks(execute=True):
        round_withdraw(
            round_=round_, by=world.staff, reason="Aarhus & Viborg har fundet en løsning."
        )
    assert smtp.recipients() == dict.fromkeys({address(p) for p in panel.asked}, 1)
    [message] = smtp.to(address(panel.viborg.person))
    assert message["Subject"] == f"Skriftlig høring trukket tilbage: {TITLE}"
    assert "Aarhus &amp; Viborg har fundet en løsning." in html_of(message)
    assert "har fundet en løsning." in text_of(message)
    assert "Du skal ikke svare på den." in text_of(message)


# --- the result ---------------------------------------------------------------------------------


def test_the_result_reaches_respondents_members_and_followers_once_each_without_answers(
    world: Any, panel: Panel, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = MeetingFactory.create(
        body=panel.body, starts_at=timezone.now() + datetime.timedelta(days=30)
    )
    outside = PersonFactory.create(name="Ekstern Ekspert", email="ekspert@example.dk")
    round_ = draft(world, panel, respondents=[*panel.asked, outside])
    topic = body_topic(panel.body.pk, ROUNDS)
    confirmed("borger@example.dk", topic)
    confirmed(address(panel.aarhus.person), topic)  # a respondent who also follows the body
    confirmed(address(panel.viborg_second.person), topic)  # a member who also follows it
    confirmed("dagsordener@example.dk", body_topic(panel.body.pk, "agenda"))
    send(world, django_capture_on_commit_callbacks, round_)
    answer(round_, panel.aarhus, Answer.NO_OBJECTION, f"Fint. {REMARK_MARKER}")
    answer(
        round_, panel.region, Answer.OBJECTION, f"Regionen har ledige pladser. {OBJECTION_MARKER}"
    )
    smtp.clear()
    round_ = resolve(django_capture_on_commit_callbacks, round_)
    assert round_.state == RoundState.REFERRED

    expected = members_with_address(panel) | {"ekspert@example.dk", "borger@example.dk"}
    assert smtp.recipients() == dict.fromkeys(expected, 1)
    item = round_.follow_up_item
    assert item is not None
    item_url = f"{settings.SITE_URL}/moeder/{meeting.pk}/punkt/{item.pk}/"
    for message in smtp.parsed():
        assert (
            message["Subject"] == f"Resultat af skriftlig høring: {TITLE} – Henvist til næste møde"
        )
        content = everything(message)
        for secret in (OBJECTION_MARKER, REMARK_MARKER, "Regionen har ledige pladser"):
            assert secret not in content
        for name in (panel.region.person.name, panel.aarhus.person.name, outside.name):
            assert name not in content
        text = text_of(message)
        assert "forelægges Forretningsudvalget på næste møde til endelig beslutning" in text
        assert item_url in text
        assert PROPOSAL_TEXT in text
    [public] = smtp.to("borger@example.dk")
    assert f"Se høringen: {round_url(round_)}" in text_of(public)
    [member] = smtp.to(address(panel.observer))
    assert f"Se høringen med alle svar (kræver login): {round_url(round_)}" in text_of(member)


def test_an_approved_rounds_result_carries_the_decision_and_its_date(
    world: Any, panel: Panel, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    round_ = send(world, django_capture_on_commit_callbacks, draft(world, panel))
    confirmed("borger@example.dk", body_topic(panel.body.pk, ROUNDS))
    for user in (panel.aarhus, panel.region, panel.viborg):
        answer(round_, user, Answer.NO_OBJECTION)
    smtp.clear()
    with django_capture_on_commit_callbacks(execute=True):
        round_close_early(round_=round_, by=world.staff)
    [public] = smtp.to("borger@example.dk")
    assert public["Subject"] == f"Resultat af skriftlig høring: {TITLE} – Godkendt"
    text, html = text_of(public), html_of(public)
    today = date_format(timezone.localdate(), "j. F Y")
    assert f"er godkendt {today}" in text
    assert DECISION_TEXT in text and f"<p>{DECISION_TEXT}</p>" in html
    assert "før fristen" in text


def test_a_confidential_rounds_result_never_reaches_the_public(
    world: Any, panel: Panel, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    round_ = draft(world, panel, is_confidential=True)
    confirmed("borger@example.dk", body_topic(panel.body.pk, ROUNDS))
    # Anyone may ask to follow any topic key, even the round's own result topic.
    confirmed("nysgerrig@example.dk", notifications.round_topic(round_.pk, "result"))
    send(world, django_capture_on_commit_callbacks, round_)
    smtp.clear()
    resolve(django_capture_on_commit_callbacks, round_)

    recipients = smtp.recipients()
    assert "borger@example.dk" not in recipients
    assert {to for to in recipients if to != "nysgerrig@example.dk"} == members_with_address(panel)
    assert all(count == 1 for count in recipients.values())
    [member] = smtp.to(address(panel.viborg.person))
    assert DECISION_TEXT in text_of(member)
    for message in smtp.to("nysgerrig@example.dk"):
        assert "Denne meddelelse er til høringsparterne." in text_of(message)
        for secret in (TITLE, "Solbakken", PROPOSAL_TEXT, DECISION_TEXT):
            assert secret not in everything(message)


def test_the_subscribe_page_never_names_a_round_the_public_may_not_see(
    world: Any, panel: Panel, django_capture_on_commit_callbacks: Any
) -> None:
    hidden = draft(world, panel, is_confidential=True)
    url = f"/abonnement/?emne={notifications.round_topic(hidden.pk, 'result')}"
    page = Client().get(url)
    assert page.status_code == 200
    assert "Solbakken" not in page.text

    public = send(
        world, django_capture_on_commit_callbacks, draft(world, panel, title="Åbent forslag")
    )
    for user in (panel.aarhus, panel.region, panel.viborg):
        answer(public, user, Answer.NO_OBJECTION)
    round_close_early(round_=public, by=world.staff)
    page = Client().get(f"/abonnement/?emne={notifications.round_topic(public.pk, 'result')}")
    assert "Skriftlig høring: Åbent forslag" in page.text


# --- the secretariat ----------------------------------------------------------------------------


def test_the_secretariat_is_told_once_when_a_referred_round_has_no_meeting_to_go_to(
    world: Any, panel: Panel, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    MeetingFactory.create(
        body=panel.body,
        starts_at=timezone.now() + datetime.timedelta(days=10),
        state=MeetingState.AGENDA_PUBLISHED,
    )
    confirmed("nysgerrig@example.dk", notifications.SECRETARIAT_TOPIC)
    round_ = send(world, django_capture_on_commit_callbacks, draft(world, panel))
    answer(round_, panel.region, Answer.OBJECTION, OBJECTION_MARKER)
    smtp.clear()
    resolve(django_capture_on_commit_callbacks, round_)
    with django_capture_on_commit_callbacks(execute=True):
        rounds_tick(now=round_.deadline + datetime.timedelta(hours=1))

    [told] = smtp.to(world.staff.email)
    assert told["Subject"] == (
        f"Intet kommende møde i Forretningsudvalget til den skriftlige høring {TITLE}"
    )
    text = text_of(told)
    assert f"»Opfølgning på skriftlig høring: {TITLE}« tilføjes automatisk" in text
    assert round_url(round_) in text
    assert f"{settings.SITE_URL}/organisation/organer/{panel.body.slug}/" in text
    assert OBJECTION_MARKER not in everything(told)
    [curious] = smtp.to("nysgerrig@example.dk")
    assert TITLE not in everything(curious)
