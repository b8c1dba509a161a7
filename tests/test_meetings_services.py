"""The secretariat's work on a meeting, told through the services: creating it with its standing
items, building and reordering the agenda, publishing, apologies, minutes and corrections, and
attachments checked by content."""

from __future__ import annotations

import datetime
import io
import shutil
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from meetings import attachments as attachment_module
from meetings import services
from meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    ExtractionStatus,
    Meeting,
    MeetingState,
    MinutesRevision,
)
from meetings.visibility import meeting_visibility, minutes_revision_notes
from organizations.models import Body
from tests.factories import MembershipFactory, PersonFactory

CPH = ZoneInfo("Europe/Copenhagen")


def at(year: int, month: int, day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=CPH)


def new_meeting(world, day: datetime.datetime, body=None) -> Meeting:
    return services.meeting_create(
        body=body or world.body_a,
        starts_at=day,
        ends_at=day + datetime.timedelta(hours=2),
        place="Byrådssalen i Støvring",
        case_number="2011-43820",
        document_number="2011-383833",
        by=world.staff,
    )


def numbers(meeting: Meeting) -> list[tuple[str, str]]:
    items = services.agenda_renumber(meeting=meeting)
    return [(item.number, item.title) for item in items]


def messages(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


# --- creating a meeting --------------------------------------------------------------------------


def test_first_meeting_of_a_body_has_only_the_agenda_approval(world):
    meeting = new_meeting(world, at(2011, 10, 6))
    assert numbers(meeting) == [("1", "Godkendelse af dagsorden")]
    assert meeting.state == MeetingState.DRAFT
    assert meeting.title == world.body_a.name


def test_new_meeting_approves_the_minutes_of_the_previous_one(world):
    october = new_meeting(world, at(2011, 10, 6))
    cancelled = new_meeting(world, at(2011, 11, 10))
    services.meeting_cancel(meeting=cancelled, by=world.staff)
    december = new_meeting(world, at(2011, 12, 14))
    assert numbers(december) == [
        ("1", "Godkendelse af dagsorden"),
        ("2", "Godkendelse af referat fra møde 6. oktober 2011"),
    ]
    approval = december.items.get(number="2")
    assert approval.follows_up_meeting == october
    assert approval.is_standing


def test_the_body_members_on_the_meeting_date_are_invited(world):
    former = PersonFactory(name="Tidligere medlem")
    MembershipFactory(
        person=former,
        body=world.body_a,
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2023, 12, 31),
    )
    meeting = new_meeting(world, at(2026, 12, 3))
    invited = set(meeting.attendances.values_list("person__user", flat=True))
    assert invited == {world.member_a.pk}
    assert set(meeting.attendances.values_list("status", flat=True)) == {AttendanceStatus.INVITED}


def test_only_the_secretariat_creates_meetings(world):
    with pytest.raises(PermissionDenied):
        services.meeting_create(
            body=world.body_a,
            starts_at=at(2026, 12, 3),
            ends_at=at(2026, 12, 3, 12),
            by=world.member_a,
        )
    assert not Meeting.objects.exists()


def test_a_meeting_cannot_end_before_it_starts(world):
    with pytest.raises(ValidationError) as error:
        services.meeting_create(
            body=world.body_a,
            starts_at=at(2026, 12, 3, 12),
            ends_at=at(2026, 12, 3, 10),
            by=world.staff,
        )
    assert "Mødet kan ikke slutte, før det begynder." in messages(error)


# --- the agenda ----------------------------------------------------------------------------------


def test_items_and_sub_items_are_numbered_and_reordered(world):
    meeting = new_meeting(world, at(2026, 12, 3))
    add = lambda title, **kw: services.agenda_item_add(  # noqa: E731
        meeting=meeting, title=title, by=world.staff, **kw
    )
    competence = add("Kompetenceafklaring")
    dialogue = add("Dialogmøder")
    das = add("Dagsorden til DAS")
    steering = add("Styringsaftalen", parent=das)
    rules = add("Udkast til spilleregler", parent=das)
    assert numbers(meeting) == [
        ("1", "Godkendelse af dagsorden"),
        ("2", "Kompetenceafklaring"),
        ("3", "Dialogmøder"),
        ("4", "Dagsorden til DAS"),
        ("4.a", "Styringsaftalen"),
        ("4.b", "Udkast til spilleregler"),
    ]

    services.agenda_item_move(item=das, direction="up", by=world.staff)
    assert numbers(meeting)[2:5] == [
        ("3", "Dagsorden til DAS"),
        ("3.a", "Styringsaftalen"),
        ("3.b", "Udkast til spilleregler"),
    ]
    services.agenda_item_move(item=rules, direction="up", by=world.staff)
    services.agenda_item_move(item=rules, direction="up", by=world.staff)  # already first: stays
    assert [n for n, _ in numbers(meeting)][2:5] == ["3", "3.a", "3.b"]
    assert AgendaItem.objects.get(pk=rules.pk).number == "3.a"
    assert AgendaItem.objects.get(pk=steering.pk).number == "3.b"

    services.agenda_item_move(item=dialogue, position=1, by=world.staff)
    assert numbers(meeting)[:3] == [
        ("1", "Dialogmøder"),
        ("2", "Godkendelse af dagsorden"),
        ("3", "Kompetenceafklaring"),
    ]
    services.agenda_item_move(item=dialogue, position=99, by=world.staff)
    assert numbers(meeting)[-1] == ("4", "Dialogmøder")

    services.agenda_item_remove(item=competence, by=world.staff)
    assert numbers(meeting) == [
        ("1", "Godkendelse af dagsorden"),
        ("2", "Dagsorden til DAS"),
        ("2.a", "Udkast til spilleregler"),
        ("2.b", "Styringsaftalen"),
        ("3", "Dialogmøder"),
    ]


def test_a_sub_item_cannot_have_sub_items(world):
    meeting = new_meeting(world, at(2026, 12, 3))
    parent = services.agenda_item_add(meeting=meeting, title="Punkt", by=world.staff)
    child = services.agenda_item_add(meeting=meeting, title="Under", parent=parent, by=world.staff)
    with pytest.raises(ValidationError) as error:
        services.agenda_item_add(meeting=meeting, title="Underunder", parent=child, by=world.staff)
    assert "kun ét niveau" in messages(error)


def test_rich_text_is_sanitised_on_the_way_in(world):
    meeting = new_meeting(world, at(2026, 12, 3))
    item = services.agenda_item_add(
        meeting=meeting,
        title="Punkt",
        case_text='<p onclick="x()">Tekst<script>alert(1)</script></p><a href="https://a.dk">a</a>',
        recommendation="<ul><li>at <strong>godkende</strong></li></ul><img src=x onerror=y>",
        by=world.staff,
    )
    assert item.case_text == ('<p>Tekst</p><a href="https://a.dk" rel="noopener noreferrer">a</a>')
    assert item.recommendation == "<ul><li>at <strong>godkende</strong></li></ul>"


# --- publishing and the minutes ------------------------------------------------------------------


def test_the_whole_cycle_with_sequence_bumped_on_published_changes(world):
    meeting = new_meeting(world, at(2026, 12, 3))
    item = services.agenda_item_add(meeting=meeting, title="Kompetenceafklaring", by=world.staff)
    assert meeting.sequence == 0  # drafts are nobody else's business

    meeting = services.agenda_publish(meeting=meeting, by=world.staff)
    assert meeting.state == MeetingState.AGENDA_PUBLISHED and meeting.agenda_published_at
    assert meeting.sequence == 1
    services.agenda_item_update(
        item=item,
        title="Kompetenceafklaring (rettet)",
        kind="droeftelse",
        case_text="",
        presenter="Jan Nielsen",
        recommendation="",
        is_closed=False,
        by=world.staff,
    )
    meeting.refresh_from_db()
    assert meeting.sequence == 2

    services.minutes_start(meeting=meeting, by=world.staff)
    services.minutes_update_item(item=item, minutes="<p>Tiltrådt</p>", by=world.staff)
    meeting = services.minutes_publish(meeting=meeting, by=world.staff)
    assert meeting.state == MeetingState.MINUTES_PUBLISHED and meeting.minutes_published_at
    assert meeting.sequence == 3


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        (MeetingState.DRAFT, "minutes_start", "Dagsordenen skal offentliggøres, før referatet"),
        (MeetingState.DRAFT, "minutes_publish", "Referatet skal være påbegyndt"),
        (MeetingState.AGENDA_PUBLISHED, "agenda_publish", "Dagsordenen er allerede offentliggjort"),
        (MeetingState.AGENDA_PUBLISHED, "minutes_publish", "Referatet skal være påbegyndt"),
        (MeetingState.MINUTES_DRAFT, "minutes_start", "Referatet er allerede påbegyndt"),
        (MeetingState.MINUTES_PUBLISHED, "minutes_publish", "Referatet er allerede offentliggjort"),
        (MeetingState.MINUTES_PUBLISHED, "meeting_cancel", "kan ikke aflyses"),
    ],
)
def test_invalid_transitions_are_refused_in_danish(world, state, action, message):
    meeting = new_meeting(world, at(2026, 12, 3))
    steps = ["agenda_publish", "minutes_start", "minutes_publish"]
    for step in steps[: list(MeetingState).index(state)]:
        getattr(services, step)(meeting=meeting, by=world.staff)
    with pytest.raises(ValidationError) as error:
        getattr(services, action)(meeting=meeting, by=world.staff)
    assert message in messages(error)
    meeting.refresh_from_db()
    assert meeting.state == state


def test_minutes_are_written_only_in_the_draft(world):
    meeting = new_meeting(world, at(2026, 12, 3))
    item = meeting.items.get()
    with pytest.raises(ValidationError) as error:
        services.minutes_update_item(item=item, minutes="Godkendt", by=world.staff)
    assert "ikke påbegyndt" in messages(error)
    services.agenda_publish(meeting=meeting, by=world.staff)
    services.minutes_start(meeting=meeting, by=world.staff)
    services.minutes_update_item(item=item, minutes="Godkendt", by=world.staff)
    services.minutes_publish(meeting=meeting, by=world.staff)
    with pytest.raises(ValidationError) as error:
        services.minutes_update_item(item=item, minutes="Ændret i stilhed", by=world.staff)
    assert "rettelse med begrundelse" in messages(error)
    with pytest.raises(ValidationError):
        services.agenda_item_add(meeting=meeting, title="For sent", by=world.staff)


def test_correcting_published_minutes_keeps_a_revision_with_who_and_why(world):
    meeting = new_meeting(world, at(2026, 12, 3))
    item = meeting.items.get()
    services.agenda_publish(meeting=meeting, by=world.staff)
    services.minutes_start(meeting=meeting, by=world.staff)
    services.minutes_update_item(item=item, minutes="<p>Godkendt</p>", by=world.staff)
    meeting = services.minutes_publish(meeting=meeting, by=world.staff)
    sequence = meeting.sequence

    with pytest.raises(ValidationError) as error:
        services.minutes_correct(
            meeting=meeting, reason="  ", minutes={item.pk: "<p>x</p>"}, by=world.staff
        )
    assert "hvorfor" in messages(error)
    with pytest.raises(ValidationError) as error:
        services.minutes_correct(
            meeting=meeting, reason="Ingen", minutes={item.pk: "<p>Godkendt</p>"}, by=world.staff
        )
    assert "ændrer ikke" in messages(error)
    assert not MinutesRevision.objects.exists()

    revision = services.minutes_correct(
        meeting=meeting,
        reason="Stavefejl i beslutningen",
        minutes={item.pk: "<p>Godkendt med bemærkninger</p>"},
        by=world.staff,
    )
    meeting.refresh_from_db()
    item.refresh_from_db()
    assert item.minutes == "<p>Godkendt med bemærkninger</p>"
    assert revision.revised_by == world.staff
    assert revision.snapshot[str(item.pk)]["minutes"] == "<p>Godkendt</p>"
    assert meeting.sequence == sequence + 1
    assert meeting.minutes_corrected_at == revision.revised_at
    notes = minutes_revision_notes(None, meeting)
    assert [note.reason for note in notes] == ["Stavefejl i beslutningen"]


def test_minutes_of_a_draft_cannot_be_corrected_only_edited(world):
    meeting = new_meeting(world, at(2026, 12, 3))
    with pytest.raises(ValidationError) as error:
        services.minutes_correct(
            meeting=meeting, reason="Fejl", minutes={meeting.items.get().pk: "x"}, by=world.staff
        )
    assert "Kun et offentliggjort referat" in messages(error)


# --- apologies -----------------------------------------------------------------------------------


def test_member_registers_own_apology(world):
    meeting = new_meeting(world, at(2099, 12, 3))
    person = world.member_a.person
    attendance = services.attendance_register_apology(
        meeting=meeting, person=person, by=world.member_a
    )
    assert attendance.status == AttendanceStatus.APOLOGIES
    assert attendance.registered_by == world.member_a
    services.attendance_withdraw_apology(meeting=meeting, person=person, by=world.member_a)
    assert Attendance.objects.get(pk=attendance.pk).status == AttendanceStatus.INVITED


def test_member_cannot_register_apologies_for_others_or_uninvited(world):
    meeting = new_meeting(world, at(2099, 12, 3))
    colleague = PersonFactory(name="Kollega")
    MembershipFactory(person=colleague, body=world.body_a)
    meeting_with_colleague = new_meeting(world, at(2099, 12, 10))
    with pytest.raises(PermissionDenied):
        services.attendance_register_apology(
            meeting=meeting_with_colleague, person=colleague, by=world.member_a
        )
    with pytest.raises(PermissionDenied):  # member B is not invited to body A's meeting
        services.attendance_register_apology(
            meeting=meeting, person=world.member_b.person, by=world.member_b
        )
    assert not Attendance.objects.filter(status=AttendanceStatus.APOLOGIES).exists()


def test_member_cannot_send_apologies_after_the_meeting_began(world):
    meeting = new_meeting(world, at(2020, 12, 3))
    with pytest.raises(PermissionDenied):
        services.attendance_register_apology(
            meeting=meeting, person=world.member_a.person, by=world.member_a
        )


def test_secretariat_registers_apology_with_substitute_and_presence(world):
    meeting = new_meeting(world, at(2026, 12, 3))
    person = world.member_a.person
    substitute = PersonFactory(name="Stedfortræder")
    with pytest.raises(ValidationError):
        services.attendance_register_apology(
            meeting=meeting, person=person, substitute=person, by=world.staff
        )
    attendance = services.attendance_register_apology(
        meeting=meeting, person=person, substitute=substitute, by=world.staff
    )
    assert attendance.substitute == substitute
    guest = services.attendance_set_present(meeting=meeting, person=substitute, by=world.staff)
    assert guest.is_guest and guest.status == AttendanceStatus.PRESENT


# --- attachments ---------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def docx_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


def pdf_bytes(text: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=f"<p>{text}</p>").write_pdf()


@pytest.fixture
def item(world) -> AgendaItem:
    meeting = new_meeting(world, at(2026, 12, 3))
    return services.agenda_item_add(meeting=meeting, title="Bilag", by=world.staff)


def test_renamed_executable_is_refused_and_nothing_stored(world, media, item):
    upload = SimpleUploadedFile("referat.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/pdf")
    with pytest.raises(ValidationError) as error:
        services.attachment_add(item=item, upload=upload, by=world.staff)
    assert "»referat.pdf«" in messages(error)
    assert stored_files(media) == []
    assert Attachment.objects.count() == 0


def test_zip_that_is_not_an_office_document_is_refused(world, media, item):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    upload = SimpleUploadedFile("regneark.xlsx", buffer.getvalue())
    with pytest.raises(ValidationError):
        services.attachment_add(item=item, upload=upload, by=world.staff)
    assert stored_files(media) == [] and Attachment.objects.count() == 0


def test_oversized_file_is_refused_and_nothing_stored(world, media, item, settings):
    settings.MEETINGS_ATTACHMENT_MAX_BYTES = 1000
    upload = SimpleUploadedFile("stor.pdf", b"%PDF-1.7\n" + b"0" * 2000)
    with pytest.raises(ValidationError) as error:
        services.attachment_add(item=item, upload=upload, by=world.staff)
    assert "»stor.pdf«" in messages(error) and "højst" in messages(error)
    assert stored_files(media) == [] and Attachment.objects.count() == 0


def test_pdf_text_is_extracted_after_upload(world, media, item, django_capture_on_commit_callbacks):
    content = pdf_bytes("Kompetenceafklaring i Socialdirektørkredsen")
    with django_capture_on_commit_callbacks(execute=True):
        attachment = services.attachment_add(
            item=item, upload=SimpleUploadedFile("bilag 1.PDF", content), by=world.staff
        )
    attachment.refresh_from_db()
    assert attachment.content_type == "application/pdf"
    assert attachment.original_name == "bilag 1.PDF"
    assert attachment.size == len(content)
    assert attachment.file.name.startswith("meetings/attachments/")
    assert attachment.file.name.endswith(".pdf")
    assert attachment.extraction_status == ExtractionStatus.DONE
    assert "Kompetenceafklaring i Socialdirektørkredsen" in attachment.extracted_text
    assert attachment.extractor == ("pdftotext" if shutil.which("pdftotext") else "pypdf")
    assert len(stored_files(media)) == 1


def test_docx_text_is_extracted(world, media, item):
    attachment = services.attachment_add(
        item=item,
        upload=SimpleUploadedFile("notat.docx", docx_bytes("Spilleregler")),
        by=world.staff,
    )
    assert attachment.content_type.endswith("wordprocessingml.document")
    attachment_module.extract_text(attachment.pk)
    attachment.refresh_from_db()
    assert attachment.extracted_text == "Spilleregler"


def _pdf_attachment(world, item, content: bytes) -> Attachment:
    return services.attachment_add(
        item=item, upload=SimpleUploadedFile("a.pdf", content), by=world.staff
    )


def test_extraction_without_pdftotext_falls_back_to_pypdf(world, media, item, monkeypatch):
    attachment = _pdf_attachment(world, item, pdf_bytes("Kompetenceafklaring i kredsen"))
    monkeypatch.setattr(attachment_module.shutil, "which", lambda name: None)
    attachment_module.extract_text(attachment.pk)
    attachment.refresh_from_db()
    assert attachment.extraction_status == ExtractionStatus.DONE
    assert attachment.extractor == "pypdf"
    assert "Kompetenceafklaring i kredsen" in attachment.extracted_text
    assert "pdftotext er ikke installeret" in attachment.extraction_error


def test_extraction_falls_back_to_pypdf_when_pdftotext_fails(world, media, item, monkeypatch):
    attachment = _pdf_attachment(world, item, pdf_bytes("Spilleregler for rammeaftalen"))
    monkeypatch.setattr(attachment_module.shutil, "which", lambda name: "/bin/false")
    attachment_module.extract_text(attachment.pk)
    attachment.refresh_from_db()
    assert (attachment.extraction_status, attachment.extractor) == (ExtractionStatus.DONE, "pypdf")
    assert "Spilleregler for rammeaftalen" in attachment.extracted_text
    assert "pdftotext fejlede (1)" in attachment.extraction_error


def test_pypdf_reads_no_more_than_the_page_limit(world, media, item, monkeypatch, settings):
    settings.MEETINGS_EXTRACTION_MAX_PAGES = 1
    two_pages = "Første side</p><p style='break-before: page'>Anden side"
    attachment = _pdf_attachment(world, item, pdf_bytes(two_pages))
    monkeypatch.setattr(attachment_module.shutil, "which", lambda name: None)
    attachment_module.extract_text(attachment.pk)
    attachment.refresh_from_db()
    assert "Første side" in attachment.extracted_text
    assert "Anden side" not in attachment.extracted_text


def test_extraction_failing_with_every_extractor_is_marked_failed(world, media, item, monkeypatch):
    attachment = _pdf_attachment(world, item, b"%PDF-1.7\nikke en rigtig pdf\n")
    monkeypatch.setattr(attachment_module.shutil, "which", lambda name: None)
    attachment_module.extract_text(attachment.pk)
    attachment.refresh_from_db()
    assert attachment.extraction_status == ExtractionStatus.FAILED
    assert attachment.extractor == "" and attachment.extracted_text == ""
    assert "pdftotext er ikke installeret" in attachment.extraction_error
    assert "pypdf fejlede" in attachment.extraction_error


# --- demo data -----------------------------------------------------------------------------------


def test_demo_has_the_meeting_of_seed_002(db):
    call_command("seed_demo", stdout=io.StringIO())
    meeting = Meeting.objects.get(body__slug="socialdirektoerkredsen")
    assert meeting.state == MeetingState.MINUTES_PUBLISHED
    assert (meeting.case_number, meeting.document_number) == ("2011-43820", "2011-383833")
    top = meeting.items.filter(parent=None).order_by("order")
    assert [item.number for item in top] == ["1", "2", "3", "4", "5", "6", "7"]
    assert top[2].presenter == "Formand for FU, Jan Nielsen"
    assert "<li>at FU indkalder regionen" in top[2].recommendation
    apologies = meeting.attendances.filter(status=AttendanceStatus.APOLOGIES)
    assert sorted(apologies.values_list("person__name", flat=True)) == ["Jane Hvas", "Søren Kjær"]
    assert meeting.attendances.filter(status=AttendanceStatus.PRESENT).count() == 13
    states = set(Meeting.objects.values_list("state", flat=True))
    assert states == set(MeetingState)
    closed = AgendaItem.objects.get(is_closed=True)
    assert not meeting_visibility(None, closed.meeting).can_see_closed_items

    counts = (Meeting.objects.count(), AgendaItem.objects.count(), Attendance.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == (
        Meeting.objects.count(),
        AgendaItem.objects.count(),
        Attendance.objects.count(),
    )
    assert Body.objects.filter(slug="forretningsudvalget").get().meetings.count() == 2
