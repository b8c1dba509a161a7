"""Calendar feeds (iCal) and news feeds (RSS/Atom): parsed back and checked, for the public, for a
member's private address, and against leaks of drafts and closed items."""

from __future__ import annotations

import datetime
from typing import Any
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from meetings import services
from meetings.models import CalendarFeedToken, Meeting, MeetingState
from tests.conftest import World
from tests.factories import BodyFactory, MembershipFactory, PersonFactory
from tests.meeting_factories import CPH, AgendaItemFactory, MeetingFactory

MARKER = "HEMMELIG-9c2e"
ATOM = "{http://www.w3.org/2005/Atom}"


def _calendar(response: Any) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def _events(response: Any) -> dict[str, Any]:
    return {str(event["UID"]): event for event in _calendar(response).walk("VEVENT")}


def _uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}@127.0.0.1"


def _published(body: Any, **kwargs: Any) -> Meeting:
    return MeetingFactory(body=body, state=MeetingState.AGENDA_PUBLISHED, **kwargs)


@pytest.fixture
def secret_body(world: World) -> Any:
    """A body whose meetings are not public; member A sits in it."""
    body = BodyFactory(name="Lukket netværk", short_name="LN", slug="lukket", is_public=False)
    MembershipFactory(person=world.member_a.person, body=body)
    return body


# --- iCal --------------------------------------------------------------------------------------


def test_public_calendar_carries_a_published_meeting_in_full(world: World, settings: Any) -> None:
    meeting = _published(world.body_a, case_number="2026-123")
    response = Client().get(reverse("meetings:ical_all"))
    calendar = _calendar(response)
    assert str(calendar["X-WR-CALNAME"]).endswith("alle møder")
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Copenhagen"]
    event = _events(response)[_uid(meeting)]
    assert str(event["SUMMARY"]) == "FU: Møde i Forretningsudvalget"
    assert event.start == datetime.datetime(2026, 12, 3, 10, 0, tzinfo=CPH)
    assert event.start.tzinfo.key == "Europe/Copenhagen"
    assert event.end == datetime.datetime(2026, 12, 3, 12, 0, tzinfo=CPH)
    assert str(event["LOCATION"]) == "Regionshuset Viborg"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == meeting.sequence
    link = f"{settings.SITE_URL}/moeder/{meeting.pk}/"
    assert str(event["URL"]) == link
    assert link in str(event["DESCRIPTION"])
    assert "2026-123" in str(event["DESCRIPTION"])
    changed = meeting.updated_at.replace(microsecond=0)
    assert event["DTSTAMP"].dt == changed
    assert event["LAST-MODIFIED"].dt == changed


def test_uids_are_stable_and_the_feed_unchanged_between_fetches(world: World) -> None:
    meetings = [_published(world.body_a), _published(world.body_b)]
    url = reverse("meetings:ical_all")
    first, second = Client().get(url), Client().get(url)
    assert set(_events(first)) == set(_events(second)) == {_uid(m) for m in meetings}
    assert first.content == second.content


def test_a_calendar_program_that_has_this_version_gets_304(world: World) -> None:
    meeting = _published(world.body_a)
    url = reverse("meetings:ical_all")
    first = Client().get(url)
    etag = first["ETag"]
    unchanged = Client().get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged["ETag"] == etag

    meeting.place = "Aarhus Rådhus"
    meeting.save()
    changed = Client().get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "Aarhus Rådhus" in str(_events(changed)[_uid(meeting)]["LOCATION"])


def test_a_renamed_body_is_not_served_from_the_cached_calendar(world: World) -> None:
    meeting = _published(world.body_a)
    url = reverse("meetings:ical_all")
    assert str(_events(Client().get(url))[_uid(meeting)]["SUMMARY"]).startswith("FU:")
    world.body_a.short_name = "FUX"
    world.body_a.save()
    assert str(_events(Client().get(url))[_uid(meeting)]["SUMMARY"]).startswith("FUX:")


def test_a_change_bumps_the_sequence_and_a_cancellation_is_carried(world: World) -> None:
    meeting = _published(world.body_a)
    url = reverse("meetings:ical_all")
    before = _events(Client().get(url))[_uid(meeting)]["SEQUENCE"]

    services.meeting_update(
        meeting=meeting,
        by=world.staff,
        title=meeting.title,
        starts_at=meeting.starts_at + datetime.timedelta(hours=1),
        ends_at=meeting.ends_at + datetime.timedelta(hours=1),
        place="Aarhus Rådhus",
        case_number="",
        document_number="",
    )
    moved = _events(Client().get(url))[_uid(meeting)]
    assert moved["SEQUENCE"] == before + 1
    assert str(moved["LOCATION"]) == "Aarhus Rådhus"
    assert moved.start == datetime.datetime(2026, 12, 3, 11, 0, tzinfo=CPH)

    services.meeting_cancel(meeting=meeting, by=world.staff)
    cancelled = _events(Client().get(url))[_uid(meeting)]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["SEQUENCE"] == before + 2
    assert str(cancelled["SUMMARY"]).startswith("Aflyst:")


def test_anonymous_calendar_has_no_drafts_and_no_non_public_bodies(
    world: World, secret_body: Any
) -> None:
    draft = MeetingFactory(body=world.body_a, state=MeetingState.DRAFT)
    secret = _published(secret_body)
    public = _published(world.body_a)
    uids = set(_events(Client().get(reverse("meetings:ical_all"))))
    assert uids == {_uid(public)}
    assert _uid(draft) not in uids and _uid(secret) not in uids


def test_body_calendar_has_only_that_body(world: World, secret_body: Any) -> None:
    mine = _published(world.body_a)
    _published(world.body_b)
    response = Client().get(reverse("meetings:ical_body", args=[world.body_a.slug]))
    assert set(_events(response)) == {_uid(mine)}
    assert "Forretningsudvalget" in str(_calendar(response)["X-WR-CALNAME"])
    # A non-public body does not exist for the public.
    assert Client().get(reverse("meetings:ical_body", args=[secret_body.slug])).status_code == 404
    assert Client().get(reverse("meetings:ical_body", args=["findes-ikke"])).status_code == 404


def test_private_calendar_has_the_members_own_meetings_also_of_a_non_public_body(
    world: World, secret_body: Any
) -> None:
    own_public = _published(world.body_a)
    own_secret = _published(secret_body)
    _published(world.body_b)  # not a body member A sits in
    MeetingFactory(body=secret_body, state=MeetingState.DRAFT)  # drafts never
    token = CalendarFeedToken.objects.create(user=world.member_a, token="a" * 43)

    response = Client().get(reverse("meetings:ical_private", args=[token.token]))
    assert set(_events(response)) == {_uid(own_public), _uid(own_secret)}
    assert response["Cache-Control"].startswith("private")


def test_private_calendar_refuses_a_wrong_token(world: World) -> None:
    CalendarFeedToken.objects.create(user=world.member_a, token="a" * 43)
    response = Client().get(reverse("meetings:ical_private", args=["b" * 43]))
    assert response.status_code == 404


def test_private_calendar_of_an_inactive_user_is_gone(world: World) -> None:
    CalendarFeedToken.objects.create(user=world.member_a, token="a" * 43)
    world.member_a.is_active = False
    world.member_a.save()
    assert Client().get(reverse("meetings:ical_private", args=["a" * 43])).status_code == 404


def test_private_calendar_of_a_secretary_carries_no_drafts(world: World) -> None:
    MembershipFactory(person=PersonFactory(user=world.staff), body=world.body_a)
    draft = MeetingFactory(body=world.body_a, state=MeetingState.DRAFT)
    public = _published(world.body_a)
    CalendarFeedToken.objects.create(user=world.staff, token="s" * 43)
    uids = set(_events(Client().get(reverse("meetings:ical_private", args=["s" * 43]))))
    assert uids == {_uid(public)}
    assert _uid(draft) not in uids


def test_no_item_text_reaches_any_calendar(world: World, secret_body: Any) -> None:
    for body in (world.body_a, secret_body):
        meeting = _published(body)
        AgendaItemFactory(
            meeting=meeting, title=f"{MARKER} titel", case_text=MARKER, is_closed=True
        )
        AgendaItemFactory(meeting=meeting, title="Åbent punkt", minutes=MARKER)
    token = CalendarFeedToken.objects.create(user=world.member_a, token="a" * 43)
    urls = [
        reverse("meetings:ical_all"),
        reverse("meetings:ical_body", args=[world.body_a.slug]),
        reverse("meetings:ical_private", args=[token.token]),
    ]
    for url in urls:
        response = Client().get(url)
        assert response.status_code == 200
        assert MARKER not in response.content.decode()


def _make_meetings(body: Any, count: int) -> None:
    start = datetime.datetime(2027, 1, 5, 10, 0, tzinfo=CPH)
    for n in range(count):
        meeting = MeetingFactory(
            body=body,
            state=MeetingState.MINUTES_PUBLISHED,
            starts_at=start + datetime.timedelta(days=n),
        )
        AgendaItemFactory(meeting=meeting, title=f"Åbent punkt {n}")
        closed = AgendaItemFactory(meeting=meeting, title=f"{MARKER} {n}", is_closed=True)
        AgendaItemFactory(meeting=meeting, parent=closed, order=1, number="x", title=MARKER)


@pytest.mark.parametrize("count", [1, 10])
def test_the_public_calendar_is_one_query(
    world: World, django_assert_num_queries: Any, count: int
) -> None:
    _make_meetings(world.body_a, count)
    client = Client()
    with django_assert_num_queries(1):
        response = client.get(reverse("meetings:ical_all"))
    assert len(_events(response)) == count


@pytest.mark.parametrize("count", [1, 10])
def test_the_private_calendar_runs_a_fixed_number_of_queries(
    world: World, secret_body: Any, django_assert_num_queries: Any, count: int
) -> None:
    _make_meetings(secret_body, count)
    CalendarFeedToken.objects.create(user=world.member_a, token="a" * 43)
    client = Client()
    # The key with its user, the user's bodies, the meetings.
    with django_assert_num_queries(3):
        response = client.get(reverse("meetings:ical_private", args=["a" * 43]))
    assert len(_events(response)) == count


# --- the calendar page and the private key -------------------------------------------------------


def test_calendar_page_lists_the_addresses(world: World, anonymous_client: Client) -> None:
    response = anonymous_client.get(reverse("meetings:calendar"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "http://127.0.0.1:8000/moeder/kalender.ics" in page
    assert f"http://127.0.0.1:8000/moeder/kalender/{world.body_a.slug}.ics" in page
    assert "http://127.0.0.1:8000/moeder/nyheder.rss" in page
    assert "Din private kalenderadresse" not in page
    assert not CalendarFeedToken.objects.exists()


def test_a_member_gets_a_private_address_and_can_replace_it(
    world: World, member_a_client: Client
) -> None:
    page = member_a_client.get(reverse("meetings:calendar")).content.decode()
    old = CalendarFeedToken.objects.get(user=world.member_a).token
    assert len(old) >= 43
    old_url = reverse("meetings:ical_private", args=[old])
    assert old_url in page
    # Showing the page again keeps the same key.
    member_a_client.get(reverse("meetings:calendar"))
    assert CalendarFeedToken.objects.get(user=world.member_a).token == old
    assert Client().get(old_url).status_code == 200

    response = member_a_client.post(reverse("meetings:calendar_token_reset"))
    assert response.status_code == 302
    new = CalendarFeedToken.objects.get(user=world.member_a).token
    assert new != old
    assert Client().get(old_url).status_code == 404
    assert Client().get(reverse("meetings:ical_private", args=[new])).status_code == 200


def test_replacing_the_key_needs_a_login_and_a_post(
    world: World, anonymous_client: Client, member_a_client: Client
) -> None:
    response = anonymous_client.post(reverse("meetings:calendar_token_reset"))
    assert response.status_code == 302 and "/konto/" in response["Location"]
    assert member_a_client.get(reverse("meetings:calendar_token_reset")).status_code == 405


# --- RSS and Atom --------------------------------------------------------------------------------


def _rss_items(response: Any) -> list[ElementTree.Element]:
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own response
    return root.findall("./channel/item")


def _published_minutes(body: Any, **kwargs: Any) -> Meeting:
    return MeetingFactory(body=body, state=MeetingState.MINUTES_PUBLISHED, **kwargs)


def test_rss_has_one_entry_per_publication_newest_first(world: World, settings: Any) -> None:
    meeting = _published_minutes(world.body_a)
    meeting.minutes_corrected_at = meeting.minutes_published_at + datetime.timedelta(days=1)
    meeting.save()
    AgendaItemFactory(meeting=meeting, order=1, number="1", title="Godkendelse af dagsorden")
    items = _rss_items(Client().get(reverse("meetings:feed_rss")))
    titles = [item.findtext("title") for item in items]
    assert titles == [
        "Rettet referat: FU 3. december 2026",
        "Referat: FU 3. december 2026",
        "Dagsorden: FU 3. december 2026",
    ]
    link = f"{settings.SITE_URL}/moeder/{meeting.pk}/"
    assert {item.findtext("link") for item in items} == {link}
    assert len({item.findtext("guid") for item in items}) == 3
    assert "1. Godkendelse af dagsorden" in (items[0].findtext("description") or "")


def test_news_carry_only_what_the_public_may_see(world: World, secret_body: Any) -> None:
    MeetingFactory(body=world.body_a, state=MeetingState.DRAFT, title=f"Kladde {MARKER}")
    _published_minutes(secret_body, title=f"Lukket organ {MARKER}")
    minutes_draft = MeetingFactory(body=world.body_b, state=MeetingState.MINUTES_DRAFT)
    # A stray time on unpublished minutes must not make an entry.
    minutes_draft.minutes_published_at = timezone.now()
    minutes_draft.save()
    meeting = _published(world.body_a)
    closed = AgendaItemFactory(
        meeting=meeting, order=1, number="1", title=f"{MARKER} titel", is_closed=True
    )
    AgendaItemFactory(meeting=meeting, parent=closed, order=1, number="1.a", title=MARKER)
    AgendaItemFactory(meeting=meeting, order=2, number="2", title="Eventuelt")

    for name in ("meetings:feed_rss", "meetings:feed_atom"):
        body = Client().get(reverse(name)).content.decode()
        assert MARKER not in body
        assert "1. Lukket punkt" in body and "1.a. Lukket punkt" in body
        assert "2. Eventuelt" in body
    titles = [i.findtext("title") for i in _rss_items(Client().get(reverse("meetings:feed_rss")))]
    assert titles == ["Dagsorden: FU 3. december 2026", "Dagsorden: TG 3. december 2026"]


def test_atom_parses_and_has_the_entries(world: World) -> None:
    meeting = _published_minutes(world.body_a)
    response = Client().get(reverse("meetings:feed_atom"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own response
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Referat: FU 3. december 2026",
        "Dagsorden: FU 3. december 2026",
    ]
    assert entries[0].find(f"{ATOM}link").get("href").endswith(f"/moeder/{meeting.pk}/")
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "http://127.0.0.1:8000/moeder/nyheder.atom"


def test_body_news_have_only_that_body_and_no_feed_for_a_non_public_body(
    world: World, secret_body: Any
) -> None:
    _published(world.body_a)
    _published(world.body_b)
    items = _rss_items(Client().get(reverse("meetings:feed_body_rss", args=[world.body_b.slug])))
    assert [i.findtext("title") for i in items] == ["Dagsorden: TG 3. december 2026"]
    response = Client().get(reverse("meetings:feed_body_rss", args=[secret_body.slug]))
    assert response.status_code == 404


def test_news_are_limited_to_the_newest_fifty(world: World) -> None:
    start = datetime.datetime(2026, 1, 5, 10, 0, tzinfo=CPH)
    for n in range(30):
        _published_minutes(world.body_a, starts_at=start + datetime.timedelta(days=n))
    items = _rss_items(Client().get(reverse("meetings:feed_rss")))
    assert len(items) == 50
    # The newest: the last meeting's minutes.
    assert items[0].findtext("title") == "Referat: FU 3. februar 2026"


@pytest.mark.parametrize("name", ["meetings:feed_rss", "meetings:feed_atom"])
@pytest.mark.parametrize("count", [1, 10])
def test_news_run_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any, count: int, name: str
) -> None:
    _make_meetings(world.body_a, count)
    client = Client()
    # The meetings, the readable titles, every item's number.
    with django_assert_num_queries(3):
        response = client.get(reverse(name))
    assert response.status_code == 200
    assert MARKER not in response.content.decode()
