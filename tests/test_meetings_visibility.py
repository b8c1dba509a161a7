"""Who sees what of a meeting: every state against every persona, and the closed item's text
never reaching anyone outside the body, whichever way it is asked for."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from meetings.models import Meeting, MeetingState
from meetings.visibility import (
    FullItem,
    RedactedItem,
    attachment_visible,
    items_readable_by,
    meeting_visibility,
    meetings_visible_to,
    minutes_readable_by,
    visible_agenda,
    visible_item,
)
from tests.factories import BodyFactory, MembershipFactory, PersonFactory, UserFactory
from tests.meeting_factories import AgendaItemFactory, AttachmentFactory, MeetingFactory

MARKER = "HEMMELIG-7f3a"
OPEN_MINUTES = "Åbent referat: godkendt"

# (can_see_meeting, can_see_agenda, can_see_minutes, can_see_closed_items)
NOTHING = (False, False, False, False)
EVERYTHING = (True, True, True, True)
EXPECTED: dict[str, dict[str, tuple[bool, bool, bool, bool]]] = {
    MeetingState.DRAFT: {
        "staff": EVERYTHING,
        "member_a": NOTHING,
        "member_b": NOTHING,
        "editor": NOTHING,
        "anonymous": NOTHING,
    },
    MeetingState.AGENDA_PUBLISHED: {
        "staff": EVERYTHING,
        "member_a": (True, True, False, True),
        "member_b": (True, True, False, False),
        "editor": (True, True, False, False),
        "anonymous": (True, True, False, False),
    },
    MeetingState.MINUTES_DRAFT: {
        "staff": EVERYTHING,
        "member_a": (True, True, False, True),
        "member_b": (True, True, False, False),
        "editor": (True, True, False, False),
        "anonymous": (True, True, False, False),
    },
    MeetingState.MINUTES_PUBLISHED: {
        "staff": EVERYTHING,
        "member_a": EVERYTHING,
        "member_b": (True, True, True, False),
        "editor": (True, True, True, False),
        "anonymous": (True, True, True, False),
    },
}
STATES = list(EXPECTED)


def _meeting_with_closed_item(body, state: str) -> Meeting:
    meeting = MeetingFactory(body=body, state=state)
    AgendaItemFactory(
        meeting=meeting, order=1, title="Godkendelse af dagsorden", minutes=OPEN_MINUTES
    )
    closed = AgendaItemFactory(
        meeting=meeting,
        order=2,
        title=f"Overtagelse af botilbud {MARKER}",
        case_text=f"<p>Sagsfremstilling {MARKER}</p>",
        presenter=f"Direktør {MARKER}",
        recommendation=f"<ul><li>at {MARKER}</li></ul>",
        minutes=f"<p>Beslutning {MARKER}</p>",
        is_closed=True,
    )
    # A sub-item of a closed item is closed too, even without its own flag.
    AgendaItemFactory(
        meeting=meeting,
        parent=closed,
        order=1,
        number="2.a",
        title=f"Underpunkt {MARKER}",
        case_text=f"<p>{MARKER}</p>",
    )
    AttachmentFactory(item=closed, original_name=f"{MARKER}.pdf")
    return meeting


def _leaks(view: object) -> bool:
    texts = [str(view), repr(view), *map(str, dataclasses.asdict(view).values())]
    return any(MARKER in text for text in texts)


@pytest.mark.parametrize("state", STATES)
def test_visibility_matrix(world, persona, state):
    name, user, _client = persona
    meeting = _meeting_with_closed_item(world.body_a, state)
    access = meeting_visibility(user, meeting)
    assert (
        access.can_see_meeting,
        access.can_see_agenda,
        access.can_see_minutes,
        access.can_see_closed_items,
    ) == EXPECTED[state][name]
    assert access.can_edit == (name == "staff")
    assert (meeting in meetings_visible_to(user)) == access.can_see_meeting


@pytest.mark.parametrize("state", STATES)
def test_closed_item_text_reaches_only_members_and_the_secretariat(world, persona, state):
    name, user, _client = persona
    meeting = _meeting_with_closed_item(world.body_a, state)
    access = meeting_visibility(user, meeting)
    views = visible_agenda(user, meeting, access)
    if not access.can_see_agenda:
        assert views == []
        return
    assert [view.number for view in views] == ["1", "2", "2.a"]
    closed_views = views[1:]
    if name in ("staff", "member_a"):
        assert all(isinstance(view, FullItem) for view in closed_views)
        assert MARKER in closed_views[0].title
        assert closed_views[0].attachments[0].original_name == f"{MARKER}.pdf"
        assert closed_views[1].is_closed
    else:
        for view in closed_views:
            assert isinstance(view, RedactedItem)
            assert view.title == "Lukket punkt"
            assert view.is_redacted and view.is_closed
            assert not _leaks(view)
            for attribute in ("case_text", "minutes", "presenter", "recommendation", "attachments"):
                assert not hasattr(view, attribute)
        assert str(closed_views[0]) == "2. Lukket punkt"


@pytest.mark.parametrize("state", STATES)
def test_draft_minutes_are_for_the_secretariat_only(world, persona, state):
    name, user, _client = persona
    meeting = _meeting_with_closed_item(world.body_a, state)
    access = meeting_visibility(user, meeting)
    views = visible_agenda(user, meeting, access)
    if not views:
        return
    first = views[0]
    assert isinstance(first, FullItem)
    sees_minutes = name == "staff" or state == MeetingState.MINUTES_PUBLISHED
    assert (OPEN_MINUTES in first.minutes) == sees_minutes
    if name == "member_a":
        closed = views[1]
        assert isinstance(closed, FullItem)
        assert (MARKER in closed.minutes) == (state == MeetingState.MINUTES_PUBLISHED)


def test_visible_item_refuses_an_unpublished_agenda(world):
    meeting = _meeting_with_closed_item(world.body_a, MeetingState.DRAFT)
    item = meeting.items.get(order=1, parent=None)
    with pytest.raises(PermissionDenied):
        visible_item(world.member_a, item)
    assert isinstance(visible_item(world.staff, item), FullItem)


def test_visible_item_refuses_an_access_answer_for_another_meeting(world):
    meeting = _meeting_with_closed_item(world.body_a, MeetingState.AGENDA_PUBLISHED)
    other = MeetingFactory(body=world.body_a, state=MeetingState.AGENDA_PUBLISHED)
    with pytest.raises(ValueError):
        visible_item(AnonymousUser(), meeting.items.first(), meeting_visibility(None, other))


def test_outsider_gets_a_redacted_sub_item_of_a_closed_item(world):
    meeting = _meeting_with_closed_item(world.body_a, MeetingState.MINUTES_PUBLISHED)
    sub_item = meeting.items.get(number="2.a")
    assert isinstance(visible_item(world.member_b, sub_item), RedactedItem)
    assert isinstance(visible_item(world.member_a, sub_item), FullItem)


def test_attachment_of_closed_item_downloadable_by_members_only(world, persona):
    name, user, _client = persona
    meeting = _meeting_with_closed_item(world.body_a, MeetingState.AGENDA_PUBLISHED)
    attachment = meeting.items.get(order=2, parent=None).attachments.get()
    assert attachment_visible(user, attachment) == (name in ("staff", "member_a"))


def test_former_member_reads_closed_items_of_meetings_held_while_a_member(world):
    user = UserFactory()
    MembershipFactory(
        person=PersonFactory(user=user),
        body=world.body_a,
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2021, 12, 31),
    )
    old = _meeting_with_closed_item(world.body_a, MeetingState.MINUTES_PUBLISHED)
    Meeting.objects.filter(pk=old.pk).update(
        starts_at=datetime.datetime(2021, 6, 1, 8, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2021, 6, 1, 10, tzinfo=datetime.UTC),
    )
    old.refresh_from_db()
    new = _meeting_with_closed_item(world.body_a, MeetingState.MINUTES_PUBLISHED)
    assert meeting_visibility(user, old).can_see_closed_items
    assert not meeting_visibility(user, new).can_see_closed_items
    readable = items_readable_by(user).filter(is_closed=True)
    assert list(readable.values_list("meeting_id", flat=True)) == [old.pk]


def test_meetings_of_a_non_public_body_are_for_its_members(world):
    hidden = BodyFactory(is_public=False)
    MembershipFactory(person=world.member_a.person, body=hidden)
    meeting = MeetingFactory(body=hidden, state=MeetingState.MINUTES_PUBLISHED)
    assert meeting_visibility(world.member_a, meeting).can_see_meeting
    assert not meeting_visibility(world.member_b, meeting).can_see_meeting
    assert not meeting_visibility(AnonymousUser(), meeting).can_see_meeting
    assert list(meetings_visible_to(world.member_a)) == [meeting]
    assert list(meetings_visible_to(AnonymousUser())) == []


@pytest.mark.parametrize("state", STATES)
def test_search_querysets_follow_the_same_rules(world, persona, state):
    name, user, _client = persona
    meeting = _meeting_with_closed_item(world.body_a, state)
    access = meeting_visibility(user, meeting)
    readable = set(items_readable_by(user).values_list("number", flat=True))
    with_minutes = set(minutes_readable_by(user).values_list("number", flat=True))
    expected = set()
    if access.can_see_agenda:
        expected = {"1", "2", "2.a"} if access.can_see_closed_items else {"1"}
    assert readable == expected
    assert with_minutes == (expected if access.can_see_minutes else set())
    for item in minutes_readable_by(user):
        if MARKER in item.minutes:
            assert name in ("staff", "member_a")


def test_the_agenda_costs_a_fixed_number_of_queries(world, django_assert_num_queries):
    meeting = _meeting_with_closed_item(world.body_a, MeetingState.MINUTES_PUBLISHED)
    for order in range(3, 13):
        AttachmentFactory(item=AgendaItemFactory(meeting=meeting, order=order))
    meeting = Meeting.objects.select_related("body").get(pk=meeting.pk)
    access = meeting_visibility(AnonymousUser(), meeting)
    with django_assert_num_queries(2):
        views = visible_agenda(AnonymousUser(), meeting, access)
    assert len(views) == 13
