"""The secretariat runs a meeting in the browser: creates it, builds and reorders the agenda,
attaches files, keeps the attendance, publishes the agenda after seeing what the public will
see, writes and publishes the minutes, corrects them with a reason, or cancels the meeting.

Every staff page is tested from the outsider's side too: members, editors and anonymous
visitors never get in, whatever the method.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings import services
from meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingState,
    MinutesRevision,
)
from tests.conftest import World
from tests.factories import PersonFactory

CPH = ZoneInfo("Europe/Copenhagen")
HTMX = {"HTTP_HX_REQUEST": "true"}

# --- helpers -------------------------------------------------------------------------------------


def field_group(html: str, field_id: str) -> str:
    """The DKFDS form-group that holds the input with `field_id`."""
    for group in re.findall(r'<div class="form-group[^"]*">.*?</div>', html, flags=re.S):
        if f'id="{field_id}"' in group:
            return group
    raise AssertionError(f"no form-group holds #{field_id}")


def assert_error_at(response: Any, field_id: str, message: str) -> None:
    """The Danish message is shown at the field, in DKFDS error-state markup."""
    group = field_group(response.content.decode(), field_id)
    assert 'class="form-group form-error"' in group
    assert f'id="{field_id}_error"' in group
    assert message in group
    tag = re.search(rf'<(input|select|textarea)[^>]*id="{field_id}"[^>]*>', group)
    assert tag is not None and 'aria-invalid="true"' in tag.group(0)


def new_meeting(world: World, **kwargs: Any) -> Meeting:
    starts_at = kwargs.pop("starts_at", datetime.datetime(2026, 12, 3, 10, tzinfo=CPH))
    return services.meeting_create(
        body=kwargs.pop("body", world.body_a),
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        by=world.staff,
        **kwargs,
    )


def add_item(world: World, meeting: Meeting, title: str, **kwargs: Any) -> AgendaItem:
    return services.agenda_item_add(meeting=meeting, title=title, by=world.staff, **kwargs)


def numbered(meeting: Meeting) -> list[str]:
    items = AgendaItem.objects.filter(meeting=meeting).order_by("parent_id", "order")
    ordered = sorted(
        items, key=lambda i: [int(p) if p.isdigit() else p for p in i.number.split(".")]
    )
    return [f"{item.number} {item.title}" for item in ordered]


def item_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Kompetenceafklaring",
        "kind": "beslutning",
        "presenter": "Formand for FU",
        "case_text": "<p>Sagen</p>",
        "recommendation": "<ul><li>at tage orienteringen til efterretning</li></ul>",
    }
    data.update(overrides)
    return data


def pdf_bytes(text: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=f"<p>{text}</p>").write_pdf()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def meeting(world: World) -> Meeting:
    return new_meeting(world)


# --- creating and editing a meeting --------------------------------------------------------------


def test_staff_creates_a_meeting_with_standing_items_and_invitations(world, staff_client):
    url = reverse("meetings:create", args=[world.body_a.slug])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert 'value="Forretningsudvalget"' in page.content.decode()  # the title defaults to the body

    response = staff_client.post(
        url,
        {
            "title": "",
            "date": "2026-12-03",
            "start_time": "10:00",
            "end_time": "12:30",
            "place": "Regionshuset Viborg",
            "case_number": "2011-43820",
            "document_number": "2011-383833",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("meetings:agenda", args=[meeting.pk])
    assert meeting.title == "Forretningsudvalget"
    assert meeting.starts_at == datetime.datetime(2026, 12, 3, 10, tzinfo=CPH)
    assert meeting.ends_at == datetime.datetime(2026, 12, 3, 12, 30, tzinfo=CPH)
    assert (meeting.case_number, meeting.document_number) == ("2011-43820", "2011-383833")
    assert numbered(meeting) == ["1 Godkendelse af dagsorden"]
    assert Attendance.objects.filter(meeting=meeting, person__user=world.member_a).exists()

    editor = staff_client.get(response.url)
    assert "Godkendelse af dagsorden" in editor.content.decode()


def test_a_second_meeting_approves_the_minutes_of_the_first(world, staff_client, meeting):
    url = reverse("meetings:create", args=[world.body_a.slug])
    data = {"date": "2027-01-14", "start_time": "09:00", "end_time": "11:00"}
    staff_client.post(url, data)
    second = Meeting.objects.latest("starts_at")
    assert numbered(second) == [
        "1 Godkendelse af dagsorden",
        "2 Godkendelse af referat fra møde 3. december 2026",
    ]


def test_meeting_that_ends_before_it_begins_is_refused_at_the_field(world, staff_client):
    url = reverse("meetings:create", args=[world.body_a.slug])
    response = staff_client.post(
        url, {"date": "2026-12-03", "start_time": "12:00", "end_time": "10:00"}
    )
    assert response.status_code == 200
    assert_error_at(response, "id_end_time", "Mødet kan ikke slutte, før det begynder.")
    assert not Meeting.objects.exists()


def test_missing_date_is_named_in_danish(world, staff_client):
    url = reverse("meetings:create", args=[world.body_a.slug])
    response = staff_client.post(url, {"start_time": "10:00", "end_time": "12:00"})
    assert_error_at(response, "id_date", "Skriv mødets dato.")


def test_staff_edits_the_meeting(world, staff_client, meeting):
    url = reverse("meetings:edit", args=[meeting.pk])
    page = staff_client.get(url)
    assert 'value="2026-12-03"' in page.content.decode()
    assert 'value="10:00"' in page.content.decode()
    response = staff_client.post(
        url,
        {
            "title": "Ekstraordinært møde",
            "date": "2026-12-04",
            "start_time": "13:00",
            "end_time": "15:00",
            "place": "Online",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Ekstraordinært møde"
    assert meeting.starts_at == datetime.datetime(2026, 12, 4, 13, tzinfo=CPH)
    assert meeting.place == "Online"


def test_staff_cancels_after_confirmation(world, staff_client, meeting):
    url = reverse("meetings:cancel", args=[meeting.pk])
    page = staff_client.get(url)
    assert "Skal" in page.content.decode() and "aflyses" in page.content.decode()
    meeting.refresh_from_db()
    assert not meeting.cancelled  # the GET only asks

    response = staff_client.post(url)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.cancelled

    again = staff_client.post(url)
    assert "Mødet er allerede aflyst." in again.content.decode()


# --- the agenda ----------------------------------------------------------------------------------


def test_staff_adds_items_and_a_sub_item(world, staff_client, meeting):
    add_url = reverse("meetings:item_add", args=[meeting.pk])
    staff_client.post(add_url, item_data(title="Kompetenceafklaring"))
    response = staff_client.post(add_url, item_data(title="Takster 2027", kind="orientering"))
    parent = AgendaItem.objects.get(meeting=meeting, title="Takster 2027")
    assert response.status_code == 302
    assert response.url.endswith(f"#punkt-{parent.pk}")

    form = staff_client.get(add_url, {"parent": parent.pk})
    assert "Tilføj underpunkt til 3. Takster 2027" in form.content.decode()
    staff_client.post(add_url, item_data(title="Budget", parent=parent.pk))

    assert numbered(meeting) == [
        "1 Godkendelse af dagsorden",
        "2 Kompetenceafklaring",
        "3 Takster 2027",
        "3.a Budget",
    ]
    item = AgendaItem.objects.get(meeting=meeting, title="Kompetenceafklaring")
    assert item.recommendation == "<ul><li>at tage orienteringen til efterretning</li></ul>"


def test_item_text_is_sanitised_and_title_required(world, staff_client, meeting):
    add_url = reverse("meetings:item_add", args=[meeting.pk])
    response = staff_client.post(add_url, item_data(title=""))
    assert_error_at(response, "id_title", "Skriv punktets titel.")
    staff_client.post(
        add_url, item_data(case_text='<p onclick="x()">Tekst<script>ondt()</script></p>')
    )
    item = AgendaItem.objects.get(meeting=meeting, title="Kompetenceafklaring")
    assert item.case_text == "<p>Tekst</p>"


def test_a_sub_item_cannot_hang_under_another_meetings_item(world, staff_client, meeting):
    other = new_meeting(world, body=world.body_b)
    foreign = add_item(world, other, "Fremmed")
    add_url = reverse("meetings:item_add", args=[meeting.pk])
    response = staff_client.post(add_url, item_data(parent=foreign.pk))
    assert response.status_code == 200
    assert "Underpunktet kan kun tilføjes til et punkt på dette mødes dagsorden." in (
        response.content.decode()
    )
    assert not AgendaItem.objects.filter(meeting=meeting, title="Kompetenceafklaring").exists()


def test_staff_edits_an_item(world, staff_client, meeting):
    item = add_item(world, meeting, "Gammel titel")
    url = reverse("meetings:item_edit", args=[item.pk])
    assert 'value="Gammel titel"' in staff_client.get(url).content.decode()
    staff_client.post(url, item_data(title="Ny titel", is_closed="on"))
    item.refresh_from_db()
    assert (item.title, item.is_closed) == ("Ny titel", True)


def test_moving_with_htmx_swaps_the_renumbered_list(world, staff_client, meeting):
    first = add_item(world, meeting, "Første")
    second = add_item(world, meeting, "Anden")
    add_item(world, meeting, "Under anden", parent=second)
    response = staff_client.post(
        reverse("meetings:item_move", args=[second.pk]), {"direction": "up"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="agenda-items">')  # the partial, not a page
    assert "<html" not in html
    assert html.index("2. Anden") < html.index("2.a. Under anden") < html.index("3. Første")
    assert numbered(meeting) == [
        "1 Godkendelse af dagsorden",
        "2 Anden",
        "2.a Under anden",
        "3 Første",
    ]
    first.refresh_from_db()
    assert first.number == "3"


def test_moving_without_javascript_redirects_back_to_the_item(world, staff_client, meeting):
    add_item(world, meeting, "Første")
    second = add_item(world, meeting, "Anden")
    response = staff_client.post(
        reverse("meetings:item_move", args=[second.pk]), {"direction": "up"}
    )
    assert response.status_code == 302
    assert response.url == reverse("meetings:agenda", args=[meeting.pk]) + f"#punkt-{second.pk}"
    assert numbered(meeting) == ["1 Godkendelse af dagsorden", "2 Anden", "3 Første"]

    staff_client.post(reverse("meetings:item_move", args=[second.pk]), {"direction": "down"})
    assert numbered(meeting) == ["1 Godkendelse af dagsorden", "2 Første", "3 Anden"]


def test_moving_to_a_position_as_after_a_drag(world, staff_client, meeting):
    add_item(world, meeting, "Første")
    last = add_item(world, meeting, "Sidste")
    staff_client.post(reverse("meetings:item_move", args=[last.pk]), {"position": "1"}, **HTMX)
    assert numbered(meeting) == ["1 Sidste", "2 Godkendelse af dagsorden", "3 Første"]


def test_editor_shows_move_and_delete_buttons_with_htmx_and_plain_fallback(
    world, staff_client, meeting
):
    item = add_item(world, meeting, "Første")
    html = staff_client.get(reverse("meetings:agenda", args=[meeting.pk])).content.decode()
    move_url = reverse("meetings:item_move", args=[item.pk])
    assert f'action="{move_url}"' in html and f'hx-post="{move_url}"' in html
    assert 'hx-target="#agenda-items"' in html
    delete_url = reverse("meetings:item_delete", args=[item.pk])
    assert f'href="{delete_url}"' in html and f'hx-post="{delete_url}"' in html
    assert reverse("meetings:item_add", args=[meeting.pk]) + f"?parent={item.pk}" in html


def test_staff_deletes_an_item_after_confirmation_or_with_htmx(world, staff_client, meeting):
    first = add_item(world, meeting, "Første")
    second = add_item(world, meeting, "Anden")
    confirm = staff_client.get(reverse("meetings:item_delete", args=[first.pk]))
    assert "Skal punktet »2. Første« slettes fra dagsordenen?" in confirm.content.decode()
    assert AgendaItem.objects.filter(pk=first.pk).exists()

    response = staff_client.post(reverse("meetings:item_delete", args=[first.pk]), **HTMX)
    assert response.status_code == 200
    assert "2. Anden" in response.content.decode()
    assert numbered(meeting) == ["1 Godkendelse af dagsorden", "2 Anden"]

    response = staff_client.post(reverse("meetings:item_delete", args=[second.pk]))
    assert response.status_code == 302
    assert numbered(meeting) == ["1 Godkendelse af dagsorden"]


def test_the_agenda_cannot_change_after_the_minutes_are_published(world, staff_client, meeting):
    item = add_item(world, meeting, "Første")
    services.agenda_publish(meeting=meeting, by=world.staff)
    services.minutes_start(meeting=meeting, by=world.staff)
    services.minutes_publish(meeting=meeting, by=world.staff)
    response = staff_client.post(
        reverse("meetings:item_move", args=[item.pk]), {"direction": "up"}, **HTMX
    )
    assert "Referatet er offentliggjort; dagsordenen kan ikke længere ændres." in (
        response.content.decode()
    )
    assert numbered(meeting) == ["1 Godkendelse af dagsorden", "2 Første"]


# --- attachments ---------------------------------------------------------------------------------


def test_staff_uploads_a_pdf(world, staff_client, meeting, media):
    item = add_item(world, meeting, "Bilag")
    upload = SimpleUploadedFile("Kompetenceafklaring.pdf", pdf_bytes("Kompetenceafklaring"))
    response = staff_client.post(
        reverse("meetings:attachment_upload", args=[item.pk]), {"file": upload}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.item == item
    assert attachment.content_type == "application/pdf"
    assert len(stored_files(media)) == 1

    editor = staff_client.get(reverse("meetings:agenda", args=[meeting.pk])).content.decode()
    assert "Kompetenceafklaring.pdf" in editor

    response = staff_client.post(
        reverse("meetings:attachment_delete", args=[attachment.pk]), **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bilaget »Kompetenceafklaring.pdf« er fjernet." in html
    assert 'href="' + reverse("meetings:attachment", args=[attachment.pk]) not in html
    assert not Attachment.objects.exists()


def test_renamed_executable_is_refused_in_danish_and_nothing_stored(
    world, staff_client, meeting, media
):
    item = add_item(world, meeting, "Bilag")
    upload = SimpleUploadedFile("referat.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/pdf")
    response = staff_client.post(
        reverse("meetings:attachment_upload", args=[item.pk]), {"file": upload}
    )
    assert response.status_code == 200
    assert_error_at(response, "id_file", "Filen »referat.pdf« kan ikke vedhæftes")
    assert "kun PDF, Word (docx), Excel (xlsx), PNG og JPEG er tilladt" in response.content.decode()
    assert stored_files(media) == []
    assert not Attachment.objects.exists()


def test_upload_without_a_file_is_refused_at_the_field(world, staff_client, meeting):
    item = add_item(world, meeting, "Bilag")
    response = staff_client.post(reverse("meetings:attachment_upload", args=[item.pk]), {})
    assert_error_at(response, "id_file", "Vælg en fil at vedhæfte.")


# --- attendance ----------------------------------------------------------------------------------


def test_staff_keeps_the_attendance(world, staff_client, meeting):
    url = reverse("meetings:attendance", args=[meeting.pk])
    member = Attendance.objects.get(meeting=meeting, person__user=world.member_a).person
    substitute = PersonFactory(name="Sanne Stedfortræder")
    guest = PersonFactory(name="Gitte Gæst")

    response = staff_client.post(
        url, {"action": "apologies", "person": member.pk, "substitute": substitute.pk}
    )
    assert response.status_code == 302
    row = Attendance.objects.get(meeting=meeting, person=member)
    assert (row.status, row.substitute) == (AttendanceStatus.APOLOGIES, substitute)

    staff_client.post(url, {"action": "present", "person": member.pk})
    row.refresh_from_db()
    assert (row.status, row.substitute) == (AttendanceStatus.PRESENT, None)

    staff_client.post(url, {"action": "invited", "person": member.pk})
    row.refresh_from_db()
    assert row.status == AttendanceStatus.INVITED

    staff_client.post(url, {"action": "guest", "person": guest.pk})
    assert Attendance.objects.get(meeting=meeting, person=guest).is_guest

    editor = staff_client.get(reverse("meetings:agenda", args=[meeting.pk])).content.decode()
    assert "Gitte Gæst" in editor and "Sanne Stedfortræder" in editor


def test_substitute_cannot_be_the_person_themself(world, staff_client, meeting):
    member = Attendance.objects.get(meeting=meeting, person__user=world.member_a).person
    response = staff_client.post(
        reverse("meetings:attendance", args=[meeting.pk]),
        {"action": "apologies", "person": member.pk, "substitute": member.pk},
    )
    assert_error_at(
        response,
        "id_afbud_substitute",
        "En stedfortræder skal være en anden end den, der melder afbud.",
    )


def test_a_guest_already_invited_is_refused(world, staff_client, meeting):
    member = Attendance.objects.get(meeting=meeting, person__user=world.member_a).person
    response = staff_client.post(
        reverse("meetings:attendance", args=[meeting.pk]),
        {"action": "guest", "person": member.pk},
    )
    assert response.status_code == 200
    assert "er allerede indkaldt til mødet." in response.content.decode()


# --- publishing, minutes, corrections ------------------------------------------------------------


@pytest.fixture
def agenda(world: World, meeting: Meeting) -> Meeting:
    add_item(world, meeting, "Åbent punkt", case_text="<p>Alle må læse dette.</p>")
    add_item(
        world,
        meeting,
        "Anbringelse af navngivet borger",
        case_text="<p>Fortrolige oplysninger om borgeren.</p>",
        is_closed=True,
    )
    return meeting


def test_publish_confirmation_shows_exactly_what_the_public_will_see(world, staff_client, agenda):
    url = reverse("meetings:publish_agenda", args=[agenda.pk])
    html = staff_client.get(url).content.decode()
    assert "Åbent punkt" in html and "Alle må læse dette." in html
    assert "3. Lukket punkt" in html
    assert "Anbringelse af navngivet borger" not in html
    assert "Fortrolige oplysninger" not in html
    agenda.refresh_from_db()
    assert agenda.state == MeetingState.DRAFT  # the GET only shows

    response = staff_client.post(url)
    assert response.status_code == 302
    agenda.refresh_from_db()
    assert agenda.state == MeetingState.AGENDA_PUBLISHED
    assert agenda.agenda_published_at is not None


def test_publishing_twice_says_so_in_danish(world, staff_client, agenda):
    url = reverse("meetings:publish_agenda", args=[agenda.pk])
    staff_client.post(url)
    response = staff_client.post(url)
    assert "Dagsordenen er allerede offentliggjort." in response.content.decode()


def test_staff_writes_publishes_and_corrects_the_minutes(world, staff_client, agenda):
    services.agenda_publish(meeting=agenda, by=world.staff)
    items = {item.title: item for item in AgendaItem.objects.filter(meeting=agenda)}
    open_item, closed_item = items["Åbent punkt"], items["Anbringelse af navngivet borger"]
    approval = items["Godkendelse af dagsorden"]
    url = reverse("meetings:minutes", args=[agenda.pk])

    page = staff_client.get(url)
    assert page.status_code == 200
    agenda.refresh_from_db()
    assert agenda.state == MeetingState.AGENDA_PUBLISHED  # a GET begins nothing

    # Saving one item saves the form with every item's text; nothing is lost.
    response = staff_client.post(
        url,
        {
            f"minutes_{approval.pk}": "<p>Godkendt.</p>",
            f"minutes_{open_item.pk}": "<p>Taget til efterretning.</p>",
            f"minutes_{closed_item.pk}": "<p>Borgerens sag blev drøftet.</p>",
            "saved_item": str(open_item.pk),
        },
    )
    assert response.status_code == 302
    assert response.url.endswith(f"#punkt-{open_item.pk}")
    agenda.refresh_from_db()
    assert agenda.state == MeetingState.MINUTES_DRAFT
    response = staff_client.post(
        url,
        {
            f"minutes_{approval.pk}": "<p>Godkendt uden bemærkninger.</p>",
            f"minutes_{open_item.pk}": "<p>Taget til efterretning.</p>",
            f"minutes_{closed_item.pk}": "<p>Borgerens sag blev drøftet.</p>",
        },
    )
    open_item.refresh_from_db()
    approval.refresh_from_db()
    assert open_item.minutes == "<p>Taget til efterretning.</p>"
    assert approval.minutes == "<p>Godkendt uden bemærkninger.</p>"

    publish_url = reverse("meetings:publish_minutes", args=[agenda.pk])
    html = staff_client.get(publish_url).content.decode()
    assert "Taget til efterretning." in html
    assert "Lukket punkt" in html
    assert "Borgerens sag" not in html and "Anbringelse af navngivet borger" not in html
    staff_client.post(publish_url)
    agenda.refresh_from_db()
    assert agenda.state == MeetingState.MINUTES_PUBLISHED

    # Published minutes are corrected, with a reason, never edited silently.
    assert staff_client.get(url).url == reverse("meetings:correct_minutes", args=[agenda.pk])
    correct_url = reverse("meetings:correct_minutes", args=[agenda.pk])
    data = {
        f"minutes_{approval.pk}": "<p>Godkendt uden bemærkninger.</p>",
        f"minutes_{open_item.pk}": "<p>Taget til efterretning med en rettelse.</p>",
        f"minutes_{closed_item.pk}": "<p>Borgerens sag blev drøftet.</p>",
    }
    response = staff_client.post(correct_url, {**data, "reason": ""})
    assert_error_at(response, "id_reason", "Skriv, hvorfor referatet rettes.")
    assert not MinutesRevision.objects.exists()

    response = staff_client.post(correct_url, {**data, "reason": "Forkert dato i punkt 2."})
    assert response.status_code == 302
    revision = MinutesRevision.objects.get()
    assert revision.reason == "Forkert dato i punkt 2."
    assert revision.revised_by == world.staff
    open_item.refresh_from_db()
    assert open_item.minutes == "<p>Taget til efterretning med en rettelse.</p>"
    assert "Forkert dato i punkt 2." in staff_client.get(correct_url).content.decode()


def test_a_correction_that_changes_nothing_is_refused(world, staff_client, agenda):
    services.agenda_publish(meeting=agenda, by=world.staff)
    services.minutes_start(meeting=agenda, by=world.staff)
    services.minutes_publish(meeting=agenda, by=world.staff)
    items = AgendaItem.objects.filter(meeting=agenda)
    data = {f"minutes_{item.pk}": item.minutes for item in items}
    response = staff_client.post(
        reverse("meetings:correct_minutes", args=[agenda.pk]), {**data, "reason": "Intet"}
    )
    assert "Rettelsen ændrer ikke referatet." in response.content.decode()


def test_minutes_cannot_be_written_before_the_agenda_is_published(world, staff_client, agenda):
    html = staff_client.get(reverse("meetings:minutes", args=[agenda.pk])).content.decode()
    assert "Dagsordenen skal offentliggøres, før referatet kan påbegyndes." in html
    assert "<textarea" not in html


# --- the dashboard -------------------------------------------------------------------------------


def test_dashboard_lists_meetings_in_the_works(world, staff_client):
    draft = new_meeting(world, title="Kladdemøde")
    awaiting = new_meeting(
        world, title="Venter på referat", starts_at=datetime.datetime(2026, 10, 1, 10, tzinfo=CPH)
    )
    services.agenda_publish(meeting=awaiting, by=world.staff)
    done = new_meeting(
        world, title="Færdigt møde", starts_at=datetime.datetime(2026, 9, 1, 10, tzinfo=CPH)
    )
    services.agenda_publish(meeting=done, by=world.staff)
    services.minutes_start(meeting=done, by=world.staff)
    services.minutes_publish(meeting=done, by=world.staff)
    cancelled = new_meeting(
        world, title="Aflyst møde", starts_at=datetime.datetime(2026, 8, 1, 10, tzinfo=CPH)
    )
    services.meeting_cancel(meeting=cancelled, by=world.staff)

    html = staff_client.get(reverse("meetings:staff_index")).content.decode()
    assert draft.title in html and awaiting.title in html
    assert done.title not in html and cancelled.title not in html
    assert reverse("meetings:create", args=[world.body_a.slug]) in html


# --- query counts --------------------------------------------------------------------------------


def _editor_queries(client: Client, meeting: Meeting) -> int:
    url = reverse("meetings:agenda", args=[meeting.pk])
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_agenda_editor_runs_a_fixed_number_of_queries(world, staff_client):
    small = new_meeting(world)
    add_item(world, small, "Eneste")
    large = new_meeting(world, starts_at=datetime.datetime(2027, 1, 14, 10, tzinfo=CPH))
    for number in range(10):
        item = add_item(world, large, f"Punkt {number}")
        add_item(world, large, f"Underpunkt {number}", parent=item, is_closed=True)
        Attachment.objects.create(
            item=item,
            file="meetings/attachments/2026/ikke-gemt.pdf",
            original_name=f"bilag-{number}.pdf",
            content_type="application/pdf",
            size=1234,
            sha256="0" * 64,
        )
        services.attendance_add_guest(
            meeting=large, person=PersonFactory(name=f"Gæst {number}"), by=world.staff
        )
    # The new item form's select of earlier items to follow up is one of them.
    assert _editor_queries(staff_client, small) == _editor_queries(staff_client, large) == 9


# --- the outsider's side: every staff URL --------------------------------------------------------

StaffUrl = Callable[[Meeting, AgendaItem, Attachment], str]

STAFF_URLS: list[tuple[str, StaffUrl]] = [
    ("staff_index", lambda m, i, a: reverse("meetings:staff_index")),
    ("create", lambda m, i, a: reverse("meetings:create", args=[m.body.slug])),
    ("edit", lambda m, i, a: reverse("meetings:edit", args=[m.pk])),
    ("cancel", lambda m, i, a: reverse("meetings:cancel", args=[m.pk])),
    ("agenda", lambda m, i, a: reverse("meetings:agenda", args=[m.pk])),
    ("item_add", lambda m, i, a: reverse("meetings:item_add", args=[m.pk])),
    ("item_edit", lambda m, i, a: reverse("meetings:item_edit", args=[i.pk])),
    ("item_move", lambda m, i, a: reverse("meetings:item_move", args=[i.pk])),
    ("item_delete", lambda m, i, a: reverse("meetings:item_delete", args=[i.pk])),
    ("attachment_upload", lambda m, i, a: reverse("meetings:attachment_upload", args=[i.pk])),
    ("attachment_delete", lambda m, i, a: reverse("meetings:attachment_delete", args=[a.pk])),
    ("attendance", lambda m, i, a: reverse("meetings:attendance", args=[m.pk])),
    ("publish_agenda", lambda m, i, a: reverse("meetings:publish_agenda", args=[m.pk])),
    ("minutes", lambda m, i, a: reverse("meetings:minutes", args=[m.pk])),
    ("publish_minutes", lambda m, i, a: reverse("meetings:publish_minutes", args=[m.pk])),
    ("correct_minutes", lambda m, i, a: reverse("meetings:correct_minutes", args=[m.pk])),
]


@pytest.fixture
def target(world: World, meeting: Meeting) -> tuple[Meeting, AgendaItem, Attachment]:
    item = add_item(world, meeting, "Mål")
    attachment = Attachment.objects.create(
        item=item,
        file="meetings/attachments/2026/ikke-gemt.pdf",
        original_name="bilag.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )
    return meeting, item, attachment


@pytest.mark.parametrize("outsider", ["member_a", "member_b", "editor"])
@pytest.mark.parametrize(("name", "make_url"), STAFF_URLS, ids=[n for n, _ in STAFF_URLS])
def test_outsiders_get_403_on_every_staff_page(world, target, outsider, name, make_url):
    client = Client()
    client.force_login(getattr(world, outsider))
    url = make_url(*target)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    meeting, item, attachment = target
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.DRAFT and not meeting.cancelled
    assert AgendaItem.objects.filter(pk=item.pk).exists()
    assert Attachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.parametrize(("name", "make_url"), STAFF_URLS, ids=[n for n, _ in STAFF_URLS])
def test_anonymous_visitors_are_sent_to_login(world, target, anonymous_client, name, make_url):
    url = make_url(*target)
    login = reverse("account_login")
    for response in (anonymous_client.get(url), anonymous_client.post(url)):
        assert response.status_code == 302
        assert response.url.startswith(f"{login}?next=")
