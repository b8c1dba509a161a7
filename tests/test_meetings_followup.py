"""Follow-ups (opfølgning): the secretariat links an agenda item to an item of one of the body's
earlier meetings, and readers of the later item see that link — but only as they may see the
earlier item. A marker planted in a closed earlier item must never reach an outsider."""

from __future__ import annotations

import datetime
import html
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings import services
from meetings.forms import AgendaItemForm
from meetings.models import AgendaItem, Meeting, MeetingState
from meetings.selectors import FOLLOW_UP_MEETINGS
from meetings.visibility import FullItem, RedactedItem, meeting_visibility, visible_agenda
from tests.conftest import World
from tests.factories import BodyFactory, MembershipFactory, PersonFactory, UserFactory
from tests.meeting_factories import AgendaItemFactory, MeetingFactory

CPH = ZoneInfo("Europe/Copenhagen")
MARKER = "HEMMELIG-f01a"
FOLLOW_UP = "Opfølgning på:"


def at(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, 10, tzinfo=CPH)


def meeting_of(world: World, starts_at: datetime.datetime, *, body: Any = None) -> Meeting:
    return services.meeting_create(
        body=body or world.body_a,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        by=world.staff,
    )


def published(world: World, starts_at: datetime.datetime, **kwargs: Any) -> Meeting:
    """A meeting of body A with an open item and a closed item carrying the marker, its agenda
    published."""
    meeting = meeting_of(world, starts_at, **kwargs)
    services.agenda_item_add(meeting=meeting, by=world.staff, title="Kompetenceafklaring")
    services.agenda_item_add(
        meeting=meeting,
        by=world.staff,
        title=f"Overtagelse af botilbud {MARKER}",
        case_text=f"<p>{MARKER}</p>",
        is_closed=True,
    )
    return services.agenda_publish(meeting=meeting, by=world.staff)


def item(meeting: Meeting, title_start: str) -> AgendaItem:
    return meeting.items.get(title__startswith=title_start)


def page(client: Client, meeting: Meeting, item: AgendaItem | None = None) -> str:
    if item is None:
        url = reverse("meetings:detail", args=[meeting.pk])
    else:
        url = reverse("meetings:item", args=[meeting.pk, item.pk])
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the secretariat links an item ---------------------------------------------------------------


def test_staff_links_an_item_to_an_earlier_item_via_the_form(world, staff_client):
    october = published(world, at(2026, 10, 6))
    december = meeting_of(world, at(2026, 12, 3))
    earlier = item(october, "Kompetenceafklaring")

    form_html = html.unescape(
        staff_client.get(reverse("meetings:item_add", args=[december.pk])).content.decode()
    )
    assert 'name="follows_up"' in form_html
    assert f"6. oktober 2026 – {earlier.number}. Kompetenceafklaring" in form_html

    response = staff_client.post(
        reverse("meetings:item_add", args=[december.pk]),
        {
            "title": "Opfølgning på kompetenceafklaringen",
            "kind": "beslutning",
            "follows_up": earlier.pk,
        },
    )

    assert response.status_code == 302
    added = item(december, "Opfølgning på kompetenceafklaringen")
    assert added.follows_up == earlier
    edit_html = staff_client.get(reverse("meetings:item_edit", args=[added.pk])).content.decode()
    assert f'<option value="{earlier.pk}" selected>' in edit_html


def test_staff_removes_the_link_by_choosing_none(world, staff_client):
    october = published(world, at(2026, 10, 6))
    december = meeting_of(world, at(2026, 12, 3))
    linked = services.agenda_item_add(
        meeting=december,
        by=world.staff,
        title="Opfølgning",
        follows_up=item(october, "Kompetenceafklaring"),
    )

    response = staff_client.post(
        reverse("meetings:item_edit", args=[linked.pk]),
        {"title": "Opfølgning", "kind": "beslutning", "follows_up": ""},
    )

    assert response.status_code == 302
    linked.refresh_from_db()
    assert linked.follows_up is None


def test_only_earlier_published_meetings_of_the_same_body_are_offered(world):
    older = published(world, at(2026, 6, 2))
    october = published(world, at(2026, 10, 6))
    draft = meeting_of(world, at(2026, 11, 3))
    services.agenda_item_add(meeting=draft, by=world.staff, title="Kladdepunkt")
    other_body = published(world, at(2026, 10, 7), body=world.body_b)
    december = meeting_of(world, at(2026, 12, 3))
    later = published(world, at(2027, 2, 2))

    field = AgendaItemForm(meeting=december).fields["follows_up"]
    offered = [label for value, label in field.choices if value]

    assert offered[0] == "6. oktober 2026 – 1. Godkendelse af dagsorden"
    assert [label.split(" – ")[0] for label in offered] == ["6. oktober 2026"] * 4 + [
        "2. juni 2026"
    ] * 3
    assert any(MARKER in label and label.endswith("(lukket punkt)") for label in offered)
    offered_pks = {value for value, _label in field.choices if value}
    assert offered_pks == {
        str(pk)
        for pk in AgendaItem.objects.filter(meeting__in=[older, october]).values_list(
            "pk", flat=True
        )
    }
    for meeting in (other_body, later, draft):
        assert not offered_pks & {str(pk) for pk in meeting.items.values_list("pk", flat=True)}


def test_the_choices_cost_one_query_and_stop_at_the_last_meetings(world, django_assert_num_queries):
    for month in range(1, 13):
        MeetingFactory(
            body=world.body_a, state=MeetingState.MINUTES_PUBLISHED, starts_at=at(2025, month, 2)
        )
    for meeting in Meeting.objects.all():
        AgendaItemFactory(meeting=meeting, order=1, title=f"Punkt {meeting.starts_at:%m}")
    december = MeetingFactory(body=world.body_a, starts_at=at(2026, 12, 3))

    with django_assert_num_queries(1):
        field = AgendaItemForm(meeting=december).fields["follows_up"]

    offered = [label for value, label in field.choices if value]
    assert len(offered) == FOLLOW_UP_MEETINGS
    assert offered[0].startswith("2. december 2025") and offered[-1].startswith("2. marts 2025")


def test_an_item_not_on_the_list_is_refused_at_the_field(world, staff_client):
    other_body = published(world, at(2026, 10, 7), body=world.body_b)
    december = meeting_of(world, at(2026, 12, 3))

    response = staff_client.post(
        reverse("meetings:item_add", args=[december.pk]),
        {
            "title": "Opfølgning",
            "kind": "beslutning",
            "follows_up": item(other_body, "Kompetenceafklaring").pk,
        },
    )

    assert response.status_code == 200
    assert "Vælg et punkt fra et af organets tidligere møder på listen." in html.unescape(
        response.content.decode()
    )
    assert not december.items.filter(title="Opfølgning").exists()


# --- the service's rules -------------------------------------------------------------------------


def test_a_follow_up_of_an_item_in_a_draft_meeting_is_refused(world):
    draft = meeting_of(world, at(2026, 10, 6))
    draft_item = services.agenda_item_add(meeting=draft, by=world.staff, title="Kladdepunkt")
    december = meeting_of(world, at(2026, 12, 3))

    with pytest.raises(ValidationError) as error:
        services.agenda_item_add(
            meeting=december, by=world.staff, title="Opfølgning", follows_up=draft_item
        )

    assert "follows_up" in error.value.error_dict
    assert "dagsorden er offentliggjort" in " ".join(error.value.messages)


def test_a_follow_up_of_another_bodys_or_a_later_item_is_refused(world):
    other_body = published(world, at(2026, 10, 7), body=world.body_b)
    december = meeting_of(world, at(2026, 12, 3))
    later = published(world, at(2027, 2, 2))
    own = services.agenda_item_add(meeting=december, by=world.staff, title="Eget punkt")

    for earlier in (item(other_body, "Kompetenceafklaring"), item(later, "Kompetenceafklaring")):
        with pytest.raises(ValidationError) as error:
            services.agenda_item_update(
                item=own,
                by=world.staff,
                title="Eget punkt",
                kind="beslutning",
                case_text="",
                presenter="",
                recommendation="",
                is_closed=False,
                follows_up=earlier,
            )
        assert "follows_up" in error.value.error_dict
    own.refresh_from_db()
    assert own.follows_up is None


# --- what readers see ----------------------------------------------------------------------------


@pytest.fixture
def linked(world: World) -> tuple[Meeting, AgendaItem, AgendaItem]:
    """December's agenda (published) with an item following up October's open item and one
    following up October's closed item."""
    october = published(world, at(2026, 10, 6))
    december = meeting_of(world, at(2026, 12, 3))
    services.agenda_item_add(
        meeting=december,
        by=world.staff,
        title="Opfølgning på kompetenceafklaringen",
        follows_up=item(october, "Kompetenceafklaring"),
    )
    services.agenda_item_add(
        meeting=december,
        by=world.staff,
        title="Opfølgning på botilbuddet",
        follows_up=item(october, "Overtagelse"),
    )
    services.agenda_publish(meeting=december, by=world.staff)
    return december, item(october, "Kompetenceafklaring"), item(october, "Overtagelse")


def test_the_public_page_and_permalink_link_to_the_earlier_item(world, anonymous_client, linked):
    december, open_earlier, _closed_earlier = linked
    permalink = reverse("meetings:item", args=[open_earlier.meeting_id, open_earlier.pk])
    follower = item(december, "Opfølgning på kompetenceafklaringen")

    for text in (page(anonymous_client, december), page(anonymous_client, december, follower)):
        assert FOLLOW_UP in text
        assert f'<a href="{permalink}">{open_earlier.number}. Kompetenceafklaring</a>' in text
        assert "6. oktober 2026" in text


def test_an_outsider_sees_only_lukket_punkt_for_a_closed_earlier_item(world, persona, linked):
    name, _user, client = persona
    december, _open_earlier, closed_earlier = linked
    follower = item(december, "Opfølgning på botilbuddet")
    permalink = reverse("meetings:item", args=[closed_earlier.meeting_id, closed_earlier.pk])

    for text in (page(client, december), page(client, december, follower)):
        if name in ("staff", "member_a"):
            assert f'<a href="{permalink}">{closed_earlier.number}. Overtagelse' in text
            assert MARKER in text
        else:
            assert f'<a href="{permalink}">{closed_earlier.number}. Lukket punkt</a>' in text
            assert MARKER not in text


def test_a_closed_follow_up_shows_outsiders_nothing_of_either_item(world, linked):
    december, open_earlier, _closed = linked
    closed_follower = AgendaItemFactory(
        meeting=december, order=9, is_closed=True, follows_up=open_earlier
    )
    access = meeting_visibility(AnonymousUser(), december)

    views = {view.pk: view for view in visible_agenda(AnonymousUser(), december, access)}

    assert isinstance(views[closed_follower.pk], RedactedItem)
    assert not hasattr(views[closed_follower.pk], "follows_up")


def test_no_link_when_the_earlier_agenda_is_not_the_readers_to_see(world):
    """A former member of a closed body still reads the meeting of their time, but not one from
    before they joined: the follow-up link to it is left out."""
    body = BodyFactory(is_public=False)
    former = UserFactory()
    MembershipFactory(
        person=PersonFactory(user=former),
        body=body,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )
    before = MeetingFactory(
        body=body, state=MeetingState.MINUTES_PUBLISHED, starts_at=at(2024, 6, 4)
    )
    during = MeetingFactory(
        body=body, state=MeetingState.MINUTES_PUBLISHED, starts_at=at(2025, 6, 3)
    )
    AgendaItemFactory(
        meeting=during,
        order=1,
        title="Opfølgning",
        follows_up=AgendaItemFactory(meeting=before, order=1, title=f"Tidligere {MARKER}"),
    )

    text = page(client_for(former), during)
    assert FOLLOW_UP not in text and MARKER not in text
    assert client_for(former).get(reverse("meetings:detail", args=[before.pk])).status_code == 404
    staff_text = page(client_for(world.staff), during)
    assert FOLLOW_UP in staff_text and MARKER in staff_text


def test_no_link_to_an_item_of_a_meeting_back_in_draft(world, anonymous_client):
    draft = MeetingFactory(body=world.body_a, state=MeetingState.DRAFT, starts_at=at(2026, 10, 6))
    december = MeetingFactory(
        body=world.body_a, state=MeetingState.AGENDA_PUBLISHED, starts_at=at(2026, 12, 3)
    )
    follower = AgendaItemFactory(
        meeting=december,
        order=1,
        follows_up=AgendaItemFactory(meeting=draft, order=1, title=f"Kladde {MARKER}"),
    )

    for text in (page(anonymous_client, december), page(anonymous_client, december, follower)):
        assert FOLLOW_UP not in text and MARKER not in text


def test_the_follow_up_is_part_of_the_full_item(world, linked):
    december, open_earlier, _closed = linked
    views = visible_agenda(world.member_b, december)
    follower = next(view for view in views if view.title.startswith("Opfølgning på kompetence"))

    assert isinstance(follower, FullItem) and follower.follows_up is not None
    assert (follower.follows_up.pk, follower.follows_up.title) == (
        open_earlier.pk,
        "Kompetenceafklaring",
    )
    assert not follower.follows_up.is_redacted


def test_the_permalink_costs_one_query_more_with_a_follow_up(world, linked):
    december, _open, _closed = linked
    plain = services.agenda_item_add(meeting=december, by=world.staff, title="Uden opfølgning")
    follower = item(december, "Opfølgning på botilbuddet")
    client = client_for(world.member_b)
    client.get(reverse("meetings:detail", args=[december.pk]))  # warm the session

    counts = []
    for target in (plain, follower):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("meetings:item", args=[december.pk, target.pk]))
        assert response.status_code == 200
        counts.append(len(queries))
    # A member's memberships in the earlier item's body are looked up once.
    assert counts[1] == counts[0] + 1
