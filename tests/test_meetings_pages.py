"""The public and member pages of meetings, told from each persona's side: the list, the
meeting page, an item's permalink, attachment downloads, a member's own apology (afbud) and the
meetings on a body's page. A marker planted in a closed item must never reach an outsider."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingState,
    MinutesRevision,
)
from organizations.models import Person
from tests.conftest import World
from tests.factories import BodyFactory, MembershipFactory, PersonFactory, UserFactory
from tests.meeting_factories import (
    AgendaItemFactory,
    AttachmentFactory,
    AttendanceFactory,
    MeetingFactory,
)

MARKER = "HEMMELIG-9c1d"
OPEN_MINUTES = "Åbent referat: dagsordenen blev godkendt"
OPEN_CASE_TEXT = "Sagsfremstilling om det åbne punkt"
STATES = [state.value for state in MeetingState]
INSIDERS = ("staff", "member_a")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _soon(days: int = 10) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(days=days)).replace(microsecond=0)


def _person_of(user: Any) -> Person:
    return Person.objects.get(user=user)


def _meeting(world: World, state: str, *, starts_at: datetime.datetime | None = None) -> Meeting:
    """A meeting of body A with an open item, a closed item carrying the marker everywhere (and
    a sub-item and an attachment), member A invited and one apology with a substitute."""
    starts_at = starts_at or _soon()
    meeting = MeetingFactory(body=world.body_a, state=state, starts_at=starts_at)
    open_item = AgendaItemFactory(
        meeting=meeting,
        order=1,
        title="Godkendelse af dagsorden",
        case_text=f"<p>{OPEN_CASE_TEXT}</p>",
        minutes=f"<p>{OPEN_MINUTES}</p>",
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
    AgendaItemFactory(
        meeting=meeting, parent=closed, order=1, number="2.a", title=f"Underpunkt {MARKER}"
    )
    _attachment(closed, f"{MARKER}.pdf")
    _attachment(open_item, "Åbent bilag.pdf")
    AttendanceFactory(meeting=meeting, person=_person_of(world.member_a))
    substitute = PersonFactory(name="Stine Stedfortræder")
    AttendanceFactory(
        meeting=meeting,
        person=PersonFactory(name="Anders Afbud", email="anders@example.dk"),
        status=AttendanceStatus.APOLOGIES,
        substitute=substitute,
    )
    return meeting


def _attachment(item: AgendaItem, name: str) -> Attachment:
    attachment = AttachmentFactory(item=item, original_name=name, size=len(PDF_BYTES))
    attachment.file.save("bilag.pdf", ContentFile(PDF_BYTES), save=True)
    return attachment


def _closed_item(meeting: Meeting) -> AgendaItem:
    return meeting.items.get(order=2, parent=None)


# --- the meeting page ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_meeting_page_shows_each_persona_what_is_theirs(world, persona, state):
    name, _user, client = persona
    meeting = _meeting(world, state)

    response = client.get(reverse("meetings:detail", args=[meeting.pk]))

    if state == MeetingState.DRAFT and name != "staff":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert meeting.title in html
    assert "Godkendelse af dagsorden" in html
    assert OPEN_CASE_TEXT in html
    assert (MARKER in html) == (name in INSIDERS)
    if name not in INSIDERS:
        assert "2. Lukket punkt" in html
        assert "2.a. Lukket punkt" in html
    sees_minutes = name == "staff" or state == MeetingState.MINUTES_PUBLISHED
    assert (OPEN_MINUTES in html) == sees_minutes
    # Attendance: names only, never contact details.
    assert "Anders Afbud" in html
    assert "Stine Stedfortræder" in html
    assert "anders@example.dk" not in html


def test_unpublished_agenda_is_not_found_for_anyone_but_the_secretariat(world, persona):
    name, _user, client = persona
    meeting = _meeting(world, MeetingState.DRAFT)
    for url in (
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("meetings:item", args=[meeting.pk, meeting.items.get(order=1, parent=None).pk]),
    ):
        assert client.get(url).status_code == (200 if name == "staff" else 404)


def test_meeting_of_a_non_public_body_is_for_its_members_only(world, persona):
    name, _user, client = persona
    world.body_a.is_public = False
    world.body_a.save()
    meeting = _meeting(world, MeetingState.MINUTES_PUBLISHED)

    response = client.get(reverse("meetings:detail", args=[meeting.pk]))

    assert response.status_code == (200 if name in INSIDERS else 404)


def test_cancelled_meeting_says_so(world, anonymous_client):
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)
    Meeting.objects.filter(pk=meeting.pk).update(cancelled=True)

    response = anonymous_client.get(reverse("meetings:detail", args=[meeting.pk]))

    assert "Mødet er aflyst" in response.content.decode()


def test_corrected_minutes_carry_a_note_with_date_and_reason(world, anonymous_client):
    meeting = _meeting(world, MeetingState.MINUTES_PUBLISHED)
    MinutesRevision.objects.create(
        meeting=meeting,
        reason="Navn på deltager stavet forkert",
        revised_at=datetime.datetime(2026, 3, 5, 9, tzinfo=datetime.UTC),
        snapshot={"1": f"{MARKER} tidligere tekst"},
    )

    html = anonymous_client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()

    assert "Referatet er rettet 5. marts 2026: Navn på deltager stavet forkert" in html
    assert MARKER not in html


def test_minutes_draft_reads_as_agenda_published_outside_the_secretariat(
    world, anonymous_client, staff_client
):
    meeting = _meeting(world, MeetingState.MINUTES_DRAFT)
    url = reverse("meetings:detail", args=[meeting.pk])

    assert "Referat under udarbejdelse" not in anonymous_client.get(url).content.decode()
    assert "Referat under udarbejdelse" in staff_client.get(url).content.decode()


def test_attendance_is_shown_once_the_agenda_is_visible(world, staff_client):
    meeting = _meeting(world, MeetingState.DRAFT)

    html = staff_client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()

    assert "Anders Afbud" in html


# --- the item permalink --------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_item_permalink_of_a_closed_item(world, persona, state):
    name, _user, client = persona
    meeting = _meeting(world, state)
    closed = _closed_item(meeting)
    sub_item = closed.children.get()

    for item in (closed, sub_item):
        response = client.get(reverse("meetings:item", args=[meeting.pk, item.pk]))
        if state == MeetingState.DRAFT and name != "staff":
            assert response.status_code == 404
            continue
        assert response.status_code == 200
        html = response.content.decode()
        assert (MARKER in html) == (name in INSIDERS)
        if name not in INSIDERS:
            assert f"{item.number}. Lukket punkt" in html


@pytest.mark.parametrize("state", STATES)
def test_item_permalink_of_an_open_item(world, persona, state):
    name, _user, client = persona
    meeting = _meeting(world, state)
    item = meeting.items.get(order=1, parent=None)

    response = client.get(reverse("meetings:item", args=[meeting.pk, item.pk]))

    if state == MeetingState.DRAFT and name != "staff":
        assert response.status_code == 404
        return
    html = response.content.decode()
    assert OPEN_CASE_TEXT in html
    assert (OPEN_MINUTES in html) == (name == "staff" or state == MeetingState.MINUTES_PUBLISHED)
    assert MARKER not in html


def test_item_permalink_needs_the_right_meeting(world, staff_client):
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)
    other = MeetingFactory(body=world.body_a, state=MeetingState.AGENDA_PUBLISHED)

    url = reverse("meetings:item", args=[other.pk, meeting.items.first().pk])

    assert staff_client.get(url).status_code == 404


# --- the list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_list_shows_the_meetings_each_persona_may_see(world, persona, state):
    name, _user, client = persona
    meeting = _meeting(world, state)
    Meeting.objects.filter(pk=meeting.pk).update(title="Møde i Forretningsudvalget")

    html = client.get(reverse("meetings:index")).content.decode()

    visible = state != MeetingState.DRAFT or name == "staff"
    assert (reverse("meetings:detail", args=[meeting.pk]) in html) == visible
    assert MARKER not in html


def test_list_puts_upcoming_meetings_first_and_past_ones_newest_first(world, anonymous_client):
    state = MeetingState.MINUTES_PUBLISHED
    now = timezone.now()
    old = MeetingFactory(
        body=world.body_a, state=state, title="Gammelt", starts_at=now - datetime.timedelta(300)
    )
    recent = MeetingFactory(
        body=world.body_a, state=state, title="Nyligt", starts_at=now - datetime.timedelta(30)
    )
    later = MeetingFactory(
        body=world.body_b,
        state=MeetingState.AGENDA_PUBLISHED,
        title="Senere",
        starts_at=now + datetime.timedelta(60),
    )
    soon = MeetingFactory(
        body=world.body_a,
        state=MeetingState.AGENDA_PUBLISHED,
        title="Snart",
        starts_at=now + datetime.timedelta(5),
    )

    response = anonymous_client.get(reverse("meetings:index"))

    listing = response.context["listing"]
    assert [row.meeting for row in listing.upcoming] == [soon, later]
    assert [row.meeting for row in listing.past] == [recent, old]


def test_list_filters_by_body_year_and_state_in_bookmarkable_urls(world, anonymous_client):
    now = timezone.now()
    last_year = now.year - 1
    a_old = MeetingFactory(
        body=world.body_a,
        state=MeetingState.MINUTES_PUBLISHED,
        starts_at=now.replace(year=last_year, month=6, day=1),
    )
    a_new = MeetingFactory(
        body=world.body_a, state=MeetingState.AGENDA_PUBLISHED, starts_at=_soon(3)
    )
    b = MeetingFactory(body=world.body_b, state=MeetingState.MINUTES_DRAFT, starts_at=_soon(4))
    url = reverse("meetings:index")

    def shown(query: str) -> set[Meeting]:
        listing = anonymous_client.get(f"{url}?{query}").context["listing"]
        return {row.meeting for row in [*listing.upcoming, *listing.past]}

    assert shown("organ=fu") == {a_old, a_new}
    assert shown(f"aar={last_year}") == {a_old}
    assert shown("status=minutes_published") == {a_old}
    # A meeting whose minutes are being written is "agenda published" to the public.
    assert shown("status=agenda_published") == {a_new, b}
    assert shown(f"organ=fu&aar={now.year}") == {a_new}


def test_list_filter_offers_only_what_the_reader_may_see(world, anonymous_client, staff_client):
    hidden = BodyFactory(name="Lukket gruppe", slug="lukket", is_public=False)
    MeetingFactory(body=hidden, state=MeetingState.AGENDA_PUBLISHED)
    MeetingFactory(body=world.body_a, state=MeetingState.AGENDA_PUBLISHED)
    url = reverse("meetings:index")

    public = anonymous_client.get(url).content.decode()
    staff = staff_client.get(url).content.decode()

    assert "Lukket gruppe" not in public
    assert 'value="draft"' not in public
    assert 'value="minutes_draft"' not in public
    assert "Lukket gruppe" in staff
    assert 'value="draft"' in staff
    # A non-public body named in the URL is not a valid choice for the public: nothing leaks.
    response = anonymous_client.get(f"{url}?organ=lukket")
    assert response.status_code == 200
    assert "Lukket gruppe" not in response.content.decode()


def test_list_pages_past_meetings(world, anonymous_client):
    start = timezone.now() - datetime.timedelta(days=400)
    for day in range(25):
        MeetingFactory(
            body=world.body_a,
            state=MeetingState.MINUTES_PUBLISHED,
            starts_at=start + datetime.timedelta(days=day),
        )
    url = reverse("meetings:index")

    first = anonymous_client.get(f"{url}?organ=fu").context["listing"]
    second = anonymous_client.get(f"{url}?organ=fu&side=2").content.decode()

    assert len(first.past) == 20
    assert first.past_page.paginator.num_pages == 2
    assert 'aria-current="page"' in second
    assert "?organ=fu&amp;side=1" in second


# --- attachments ---------------------------------------------------------------------------------


def test_closed_items_attachment_is_downloaded_by_insiders_only(world, persona):
    name, _user, client = persona
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)
    attachment = _closed_item(meeting).attachments.get()

    response = client.get(reverse("meetings:attachment", args=[attachment.pk]))

    if name in INSIDERS:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
    else:
        assert response.status_code == 404
        assert MARKER not in response.content.decode()


def test_attachment_is_served_under_its_original_name(world, anonymous_client):
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)
    attachment = meeting.items.get(order=1, parent=None).attachments.get()

    response = anonymous_client.get(reverse("meetings:attachment", args=[attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%C3%85bent%20bilag.pdf" in response["Content-Disposition"]


def test_attachment_of_an_unpublished_agenda_is_not_found(world, member_a_client):
    meeting = _meeting(world, MeetingState.DRAFT)
    attachment = meeting.items.get(order=1, parent=None).attachments.get()

    response = member_a_client.get(reverse("meetings:attachment", args=[attachment.pk]))

    assert response.status_code == 404


def test_unknown_attachment_is_not_found(world, anonymous_client):
    assert anonymous_client.get(reverse("meetings:attachment", args=[999])).status_code == 404


# --- apologies -----------------------------------------------------------------------------------


def _own(world: World, meeting: Meeting) -> Attendance:
    return Attendance.objects.get(meeting=meeting, person__user=world.member_a)


def test_member_registers_and_withdraws_an_apology_with_one_click_htmx(world, member_a_client):
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)
    url = reverse("meetings:apology", args=[meeting.pk])
    page = member_a_client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert f'hx-post="{url}"' in page

    response = member_a_client.post(url, {"action": "register"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="deltagere"')
    assert "Dit afbud er registreret." in html
    assert 'hx-swap-oob="innerHTML"' in html
    attendance = _own(world, meeting)
    assert attendance.status == AttendanceStatus.APOLOGIES
    assert attendance.registered_by == world.member_a

    response = member_a_client.post(url, {"action": "withdraw"}, headers={"HX-Request": "true"})

    assert "Dit afbud er trukket tilbage" in response.content.decode()
    assert _own(world, meeting).status == AttendanceStatus.INVITED


def test_member_registers_an_apology_without_javascript(world, member_a_client):
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)

    response = member_a_client.post(
        reverse("meetings:apology", args=[meeting.pk]), {"action": "register"}, follow=True
    )

    assert response.redirect_chain[-1][0].endswith(
        reverse("meetings:detail", args=[meeting.pk]) + "#deltagere"
    )
    assert "Dit afbud er registreret." in response.content.decode()
    assert _own(world, meeting).status == AttendanceStatus.APOLOGIES


def test_member_names_a_substitute_from_the_body(world, member_a_client):
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)
    colleague = PersonFactory(name="Karen Kollega")
    MembershipFactory(person=colleague, body=world.body_a)
    outsider = PersonFactory(name="Ole Udenfor")

    page = member_a_client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Karen Kollega" in page
    assert "Ole Udenfor" not in page

    url = reverse("meetings:apology", args=[meeting.pk])
    refused = member_a_client.post(url, {"action": "register", "substitute": outsider.pk})
    assert refused.status_code == 302
    assert _own(world, meeting).status == AttendanceStatus.INVITED

    member_a_client.post(url, {"action": "register", "substitute": colleague.pk})
    attendance = _own(world, meeting)
    assert attendance.status == AttendanceStatus.APOLOGIES
    assert attendance.substitute == colleague


def test_member_cannot_register_an_apology_for_someone_else(world, member_a_client):
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)
    other = Attendance.objects.get(meeting=meeting, person__name="Anders Afbud")
    Attendance.objects.filter(pk=other.pk).update(status=AttendanceStatus.INVITED, substitute=None)

    # The request cannot name another person: a "person" field is ignored.
    member_a_client.post(
        reverse("meetings:apology", args=[meeting.pk]),
        {"action": "register", "person": other.person_id},
    )

    other.refresh_from_db()
    assert other.status == AttendanceStatus.INVITED
    assert _own(world, meeting).status == AttendanceStatus.APOLOGIES


def test_member_cannot_register_an_apology_for_a_meeting_they_are_not_invited_to(
    world, member_b_client
):
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)

    page = member_b_client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Meld afbud" not in page
    response = member_b_client.post(
        reverse("meetings:apology", args=[meeting.pk]),
        {"action": "register"},
        headers={"HX-Request": "true"},
    )

    assert "Du kan kun melde afbud for dig selv" in response.content.decode()
    assert not Attendance.objects.filter(meeting=meeting, person__user=world.member_b).exists()
    assert not Attendance.objects.filter(meeting=meeting, registered_by=world.member_b).exists()


def test_no_apology_once_the_meeting_has_begun(world, member_a_client):
    meeting = _meeting(
        world, MeetingState.AGENDA_PUBLISHED, starts_at=timezone.now() - datetime.timedelta(1)
    )

    response = member_a_client.post(
        reverse("meetings:apology", args=[meeting.pk]), {"action": "register"}, follow=True
    )

    assert "Du kan kun melde afbud" in response.content.decode()
    assert _own(world, meeting).status == AttendanceStatus.INVITED


def test_anonymous_visitor_is_sent_to_log_in(world, anonymous_client):
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)

    response = anonymous_client.post(
        reverse("meetings:apology", args=[meeting.pk]), {"action": "register"}
    )

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert _own(world, meeting).status == AttendanceStatus.INVITED


def test_no_apology_for_a_meeting_the_member_cannot_see(world):
    meeting = _meeting(world, MeetingState.DRAFT)
    client = Client()
    client.force_login(world.member_a)

    response = client.post(reverse("meetings:apology", args=[meeting.pk]), {"action": "register"})

    assert response.status_code == 404
    assert _own(world, meeting).status == AttendanceStatus.INVITED


# --- the body page -------------------------------------------------------------------------------


def test_body_page_lists_the_bodys_visible_meetings(world, anonymous_client, staff_client):
    upcoming = MeetingFactory(
        body=world.body_a, state=MeetingState.AGENDA_PUBLISHED, title="Kommende FU-møde"
    )
    past = MeetingFactory(
        body=world.body_a,
        state=MeetingState.MINUTES_PUBLISHED,
        title="Afholdt FU-møde",
        starts_at=timezone.now() - datetime.timedelta(days=40),
    )
    draft = MeetingFactory(body=world.body_a, state=MeetingState.DRAFT, title="Kladde-møde")
    url = reverse("organizations:body", args=[world.body_a.slug])

    public = anonymous_client.get(url).content.decode()
    staff = staff_client.get(url).content.decode()

    assert reverse("meetings:detail", args=[upcoming.pk]) in public
    assert reverse("meetings:detail", args=[past.pk]) in public
    assert reverse("meetings:detail", args=[draft.pk]) not in public
    assert reverse("meetings:detail", args=[draft.pk]) in staff
    assert f"{reverse('meetings:index')}?organ=fu" in public
    # The secretariat starts a new meeting from here.
    create_url = reverse("meetings:create", args=[world.body_a.slug])
    assert create_url in staff
    assert create_url not in public


def test_only_the_secretariat_gets_the_link_to_edit_the_agenda(world, persona):
    name, _user, client = persona
    meeting = _meeting(world, MeetingState.AGENDA_PUBLISHED)

    html = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()

    assert (reverse("meetings:agenda", args=[meeting.pk]) in html) == (name == "staff")


# --- queries -------------------------------------------------------------------------------------


def _build(world: World, factor: int) -> Meeting:
    """factor× meetings in the list and factor× items, attachments, attendees and follow-ups of
    earlier items (some closed) on one page."""
    other_user = UserFactory()
    earlier: list[AgendaItem] = []
    for i in range(3 * factor):
        past = MeetingFactory(
            body=[world.body_a, world.body_b][i % 2],
            state=MeetingState.MINUTES_PUBLISHED,
            starts_at=timezone.now() - datetime.timedelta(days=10 + i),
        )
        earlier.append(AgendaItemFactory(meeting=past, order=1, is_closed=i % 3 == 1))
        MeetingFactory(
            body=world.body_a, state=MeetingState.AGENDA_PUBLISHED, starts_at=_soon(5 + i)
        )
    MeetingFactory(body=BodyFactory(is_public=False), state=MeetingState.AGENDA_PUBLISHED)
    meeting = _meeting(world, MeetingState.MINUTES_PUBLISHED)
    MinutesRevision.objects.create(meeting=meeting, reason="Rettelse", revised_by=other_user)
    for i in range(4 * factor):
        item = AgendaItemFactory(
            meeting=meeting,
            order=10 + i,
            is_closed=i % 3 == 0,
            follows_up=earlier[i % len(earlier)],
        )
        AgendaItemFactory(meeting=meeting, parent=item, order=1)
        AttachmentFactory(item=item)
        person = PersonFactory()
        MembershipFactory(person=person, body=world.body_a)
        AttendanceFactory(
            meeting=meeting,
            person=person,
            status=[AttendanceStatus.INVITED, AttendanceStatus.APOLOGIES][i % 2],
        )
    return meeting


# Anonymous, list: years, bodies, the ?organ= body, count, page, upcoming. Meeting page: meeting,
# items, attachments, attendance, revisions. A logged-in user adds session and user; a member
# their memberships, and on the page their own apology's check, the substitutes and their
# memberships in the bodies of the earlier items followed up; the secretariat its authenticator.
EXPECTED_QUERIES = {
    ("anonymous", "list"): 6,
    ("anonymous", "detail"): 5,
    ("member_a", "list"): 9,
    ("member_a", "detail"): 11,
    ("staff", "list"): 9,
    ("staff", "detail"): 8,
}


@pytest.mark.parametrize("factor", [1, 10])
@pytest.mark.parametrize("page", ["list", "detail"])
@pytest.mark.parametrize("who", ["anonymous", "member_a", "staff"])
def test_pages_run_a_fixed_number_of_queries(world, django_assert_num_queries, factor, page, who):
    meeting = _build(world, factor)
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    url = {
        "list": reverse("meetings:index") + "?organ=fu",
        "detail": reverse("meetings:detail", args=[meeting.pk]),
    }[page]

    with django_assert_num_queries(EXPECTED_QUERIES[who, page]):
        response = client.get(url)

    assert response.status_code == 200
