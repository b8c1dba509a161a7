"""Mails about meetings: an agenda or minutes published reaches the body's followers and members
once each, as each of them may see the meeting; the secretariat is reminded of minutes not
published 3 and 7 days after a meeting, once each.

The mails go over real SMTP to a server on 127.0.0.1 (aiosmtpd) started by the test.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings import services, tasks
from meetings.models import AgendaItem, Meeting, MeetingState, MinutesReminder
from meetings.notifications import (
    AGENDA_PUBLISHED,
    MINUTES_REMINDER,
    REMINDER_TOPIC,
    minutes_reminders_send,
    render_agenda_published,
)
from notices.models import Notice, Subscription
from notices.registry import Recipient, default_recipients, topic_label
from organizations.models import Membership
from tests.factories import MembershipFactory, PersonFactory, UserFactory
from tests.meeting_factories import MeetingFactory
from tests.test_notices_support import Sink, confirmed

# The SMTP server fixtures.
pytest_plugins = ["tests.test_notices_support"]

pytestmark = pytest.mark.django_db

CPH = ZoneInfo("Europe/Copenhagen")
SECRET_TITLE = "Personsag HEMMELIG-TITEL-7731"
SECRET_TEXT = "HEMMELIG-TEKST-4410"
SECRET_SUB = "Underpunkt HEMMELIG-SUB-5520"


@pytest.fixture(autouse=True)
def no_pdfs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PDFs are not what these tests are about (and render on demand anyway)."""
    monkeypatch.setattr(services.render_meeting_documents, "delay", lambda *args: None)


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def html_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


def meeting_with_agenda(world: Any) -> Meeting:
    """A meeting of body A (FU) on Thursday 3 December 2026 with an open item and a closed one
    (with a sub-item), in draft."""
    starts = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=CPH)
    meeting = services.meeting_create(
        body=world.body_a,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        place="Regionshuset Viborg",
        by=world.staff,
    )
    services.agenda_item_add(meeting=meeting, by=world.staff, title="Budget 2027 for botilbud")
    closed = services.agenda_item_add(
        meeting=meeting,
        by=world.staff,
        title=SECRET_TITLE,
        case_text=f"<p>{SECRET_TEXT}</p>",
        recommendation=f"<p>{SECRET_TEXT}</p>",
        is_closed=True,
    )
    services.agenda_item_add(meeting=meeting, by=world.staff, title=SECRET_SUB, parent=closed)
    return meeting


def publish_agenda(world: Any, capture: Any, meeting: Meeting) -> Meeting:
    with capture(execute=True):
        return services.agenda_publish(meeting=meeting, by=world.staff)


def agenda_topic(world: Any) -> str:
    return f"body:{world.body_a.pk}:agenda"


def minutes_topic(world: Any) -> str:
    return f"body:{world.body_a.pk}:minutes"


def member_address(user: Any) -> str:
    return str(user.person.email).lower()


# --- agendas ----------------------------------------------------------------------------------


def test_a_follower_gets_one_mail_with_the_agenda_and_closed_items_only_as_lukket_punkt(
    world: Any, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed("borger@example.dk", agenda_topic(world))
    # A logged-in follower who is not a member of the body sees no more than anyone else.
    Subscription.objects.create(
        email=world.member_b.email,
        user=world.member_b,
        topic=agenda_topic(world),
        status=Subscription.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    Subscription.objects.create(email="venter@example.dk", topic=agenda_topic(world))
    confirmed("referater@example.dk", minutes_topic(world))
    confirmed("andet-organ@example.dk", f"body:{world.body_b.pk}:agenda")
    meeting = publish_agenda(world, django_capture_on_commit_callbacks, meeting_with_agenda(world))

    recipients = smtp.recipients()
    assert recipients["borger@example.dk"] == 1
    assert recipients[world.member_b.email] == 1
    for nobody in ("venter@example.dk", "referater@example.dk", "andet-organ@example.dk"):
        assert nobody not in recipients
    meeting_url = f"{settings.SITE_URL}/moeder/{meeting.pk}/"
    for address in ("borger@example.dk", world.member_b.email):
        [message] = smtp.to(address)
        assert message["Subject"] == "Dagsorden: Forretningsudvalget, møde 3. december 2026"
        text, html = text_of(message), html_of(message)
        for body in (text, html):
            assert "Forretningsudvalget" in body
            assert "torsdag den 3. december 2026" in body
            assert "Regionshuset Viborg" in body
            assert "Godkendelse af dagsorden" in body
            assert "Budget 2027 for botilbud" in body
            assert "Lukket punkt" in body
            assert meeting_url in body
            assert f"{meeting_url}pdf/agenda/" in body
            for secret in (SECRET_TITLE, SECRET_TEXT, SECRET_SUB, "HEMMELIG"):
                assert secret not in body
            assert "Som medlem" not in body
        assert "kl. 10.00–12.00" in text
        assert "2. Budget 2027 for botilbud" in text
        assert "3. Lukket punkt" in text
        assert "3.a. Lukket punkt" in text
        assert message["List-Unsubscribe"] is not None
        assert "HEMMELIG" not in str(message["Subject"])


def test_members_get_the_agenda_by_default_with_the_real_titles_unless_they_opted_out(
    world: Any, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    opted_out = UserFactory(email="travl@example.dk")
    MembershipFactory(person=PersonFactory(user=opted_out), body=world.body_a)
    Subscription.objects.create(
        email=member_address(opted_out),
        topic=agenda_topic(world),
        status=Subscription.Status.UNSUBSCRIBED,
    )
    # A member without a login still gets the mail, as an outsider sees the meeting.
    MembershipFactory(
        person=PersonFactory(email="uden-login@kommune.example.dk"), body=world.body_a
    )
    # Former members and people without an address do not.
    MembershipFactory(
        person=PersonFactory(email="tidligere@kommune.example.dk"),
        body=world.body_a,
        end_date=datetime.date(2025, 1, 1),
    )
    MembershipFactory(person=PersonFactory(email=""), body=world.body_a)
    meeting = publish_agenda(world, django_capture_on_commit_callbacks, meeting_with_agenda(world))

    assert smtp.recipients() == {
        member_address(world.member_a): 1,
        "uden-login@kommune.example.dk": 1,
    }
    [to_member] = smtp.to(member_address(world.member_a))
    text, html = text_of(to_member), html_of(to_member)
    login = f"{settings.SITE_URL}/konto/login/?next=%2Fmoeder%2F{meeting.pk}%2F"
    for body in (text, html):
        assert SECRET_TITLE in body
        assert SECRET_SUB in body
        assert SECRET_TEXT not in body  # titles only, never the case text
        assert "Som medlem kan du læse de lukkede punkter på" in body
    assert f"3. {SECRET_TITLE} (lukket punkt)" in text
    assert login in text
    assert "Dagsordener fra Forretningsudvalget" in text  # why they get it

    [to_no_login] = smtp.to("uden-login@kommune.example.dk")
    assert SECRET_TITLE not in text_of(to_no_login)
    assert "Lukket punkt" in text_of(to_no_login)


# --- minutes ----------------------------------------------------------------------------------


def test_minutes_and_their_correction_go_to_the_minutes_followers(
    world: Any, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed("referater@example.dk", minutes_topic(world))
    confirmed("dagsordener@example.dk", agenda_topic(world))
    meeting = publish_agenda(world, django_capture_on_commit_callbacks, meeting_with_agenda(world))
    services.minutes_start(meeting=meeting, by=world.staff)
    budget = AgendaItem.objects.get(meeting=meeting, title="Budget 2027 for botilbud")
    services.minutes_update_item(item=budget, by=world.staff, minutes="<p>Godkendt.</p>")
    smtp.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_publish(meeting=meeting, by=world.staff)
    assert smtp.recipients() == {"referater@example.dk": 1, member_address(world.member_a): 1}
    [message] = smtp.to("referater@example.dk")
    assert message["Subject"] == "Referat: Forretningsudvalget, møde 3. december 2026"
    text = text_of(message)
    assert "Referatet fra mødet i Forretningsudvalget torsdag den 3. december 2026" in text
    assert "Budget 2027 for botilbud" in text
    assert f"{settings.SITE_URL}/moeder/{meeting.pk}/pdf/minutes/" in text
    assert "HEMMELIG" not in text + html_of(message)
    smtp.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_correct(
            meeting=meeting,
            by=world.staff,
            reason="Beslutningen var gengivet forkert.",
            minutes={budget.pk: "<p>Godkendt med en ændring.</p>"},
        )
    [message] = smtp.to("referater@example.dk")
    assert message["Subject"] == "Rettet referat: Forretningsudvalget, møde 3. december 2026"
    text = text_of(message)
    assert "er rettet" in text
    assert "Begrundelse: Beslutningen var gengivet forkert." in text
    assert "Beslutningen var gengivet forkert." in html_of(message)
    assert "dagsordener@example.dk" not in smtp.recipients()
    assert Notice.objects.filter(topic=minutes_topic(world)).count() == 2


# --- reminders to the secretariat ---------------------------------------------------------------


def _ended(hours_ago: float, **fields: Any) -> Meeting:
    starts = timezone.now() - datetime.timedelta(hours=hours_ago + 2)
    return MeetingFactory(starts_at=starts, **fields)


def test_the_secretariat_is_reminded_once_at_three_and_once_at_seven_days(
    world: Any, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = _ended(3 * 24 + 1, body=world.body_a, state=MeetingState.MINUTES_DRAFT)
    _ended(3 * 24 + 1, body=world.body_a, state=MeetingState.MINUTES_PUBLISHED)
    _ended(3 * 24 + 1, body=world.body_a, state=MeetingState.AGENDA_PUBLISHED, cancelled=True)
    _ended(3 * 24 + 1, body=world.body_a, state=MeetingState.DRAFT)
    soon = _ended(2 * 24, body=world.body_a, state=MeetingState.AGENDA_PUBLISHED)  # not yet
    _ended(60 * 24, body=world.body_a, state=MeetingState.AGENDA_PUBLISHED)  # long ago
    # Anyone may follow any topic key; the reminder's details are for the secretariat.
    confirmed("nysgerrig@example.dk", REMINDER_TOPIC)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.minutes_reminders.delay()
        tasks.minutes_reminders.delay()  # the task runs twice
    assert smtp.recipients() == {world.staff.email: 1, "nysgerrig@example.dk": 1}
    [reminder] = smtp.to(world.staff.email)
    subject = str(reminder["Subject"])
    assert subject.startswith("Påmindelse: referatet fra Forretningsudvalget ")
    assert subject.endswith(" er ikke offentliggjort")
    text = text_of(reminder)
    assert "sluttede for mere end 3 dage siden" in text
    assert f"{settings.SITE_URL}/moeder/redigering/{meeting.pk}/referat/" in text
    [curious] = smtp.to("nysgerrig@example.dk")
    assert "Forretningsudvalget" not in text_of(curious) + html_of(curious)
    assert "til sekretariatet" in text_of(curious)
    smtp.clear()

    later = timezone.now() + datetime.timedelta(days=4)
    with django_capture_on_commit_callbacks(execute=True):
        assert minutes_reminders_send(now=later) == [(meeting.pk, 7), (soon.pk, 3)]
        assert minutes_reminders_send(now=later) == []
    assert smtp.recipients() == {world.staff.email: 2, "nysgerrig@example.dk": 2}
    texts = sorted(text_of(message) for message in smtp.to(world.staff.email))
    assert ["sluttede for mere end 3 dage siden" in t for t in texts].count(True) == 1
    assert ["sluttede for mere end 7 dage siden" in t for t in texts].count(True) == 1
    assert set(MinutesReminder.objects.values_list("meeting_id", "days")) == {
        (meeting.pk, 3),
        (meeting.pk, 7),
        (soon.pk, 3),
    }
    assert Notice.objects.filter(kind=MINUTES_REMINDER).count() == 3
    smtp.clear()

    # Published minutes bring nothing more; a meeting more than a month ago neither.
    Meeting.objects.filter(pk=soon.pk).update(
        state=MeetingState.MINUTES_PUBLISHED, minutes_published_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert minutes_reminders_send(now=later + datetime.timedelta(days=7)) == []
    assert smtp.parsed() == []


def test_a_meeting_found_late_gets_only_the_latest_reminder(
    world: Any, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = _ended(9 * 24, body=world.body_a, state=MeetingState.AGENDA_PUBLISHED)
    with django_capture_on_commit_callbacks(execute=True):
        assert minutes_reminders_send() == [(meeting.pk, 7)]
    assert smtp.recipients() == {world.staff.email: 1}


# --- topics and cost --------------------------------------------------------------------------


def test_body_topics_are_named_and_their_members_are_the_default_recipients(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    assert topic_label(agenda_topic(world)) == "Dagsordener fra Forretningsudvalget"
    assert topic_label(minutes_topic(world)) == "Referater fra Forretningsudvalget"
    assert topic_label("body:999999:agenda") == "body:999999:agenda"
    for _n in range(20):
        MembershipFactory(body=world.body_a, person=PersonFactory(user=UserFactory()))
    with django_assert_max_num_queries(1):
        recipients = list(default_recipients(agenda_topic(world)))
    assert len(recipients) == 21
    mine = next(r for r in recipients if r.user == world.member_a)
    assert mine.email == member_address(world.member_a)
    assert list(default_recipients("body:abc:agenda")) == []
    assert Membership.objects.filter(body=world.body_a).count() == 21


def test_rendering_for_many_outsiders_costs_no_queries_per_recipient(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = publish_agenda(world, django_capture_on_commit_callbacks, meeting_with_agenda(world))
    notice_id = Notice.objects.get(kind=AGENDA_PUBLISHED).pk
    logged_in = [UserFactory() for _ in range(10)]

    def queries_for(count: int) -> int:
        notice = Notice.objects.get(pk=notice_id)  # a fresh instance: nothing memoised yet
        with CaptureQueriesContext(connection) as captured:
            for n in range(count):
                user = logged_in[n % len(logged_in)] if n % 2 else None
                mail = render_agenda_published(
                    notice, Recipient(email=f"r{n}@example.dk", user=user or AnonymousUser())
                )
                assert "Lukket punkt" in mail.text
                assert "HEMMELIG" not in mail.text + mail.html
        return len(captured)

    assert queries_for(2) == queries_for(60)
    # A member is asked about once (their memberships), and reads the closed items.
    other = UserFactory()
    MembershipFactory(person=PersonFactory(user=other), body=world.body_a)
    notice = Notice.objects.get(pk=notice_id)
    render_agenda_published(notice, Recipient(email="a@example.dk"))
    with CaptureQueriesContext(connection) as captured:
        mail = render_agenda_published(notice, Recipient(email="m@example.dk", user=world.member_a))
    assert SECRET_TITLE in mail.text
    # Their memberships, and the agenda as members see it (once per kind of reader) …
    assert len(captured) <= 3
    with CaptureQueriesContext(connection) as captured:
        mail = render_agenda_published(notice, Recipient(email="n@example.dk", user=other))
    assert SECRET_TITLE in mail.text
    assert len(captured) <= 1  # … then only the next member's memberships.
    assert meeting.pk == notice.payload["meeting_id"]
