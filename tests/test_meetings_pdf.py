"""The meeting PDFs: rendered once per published version in the DKFDS typeface, the public version
without the closed item, the full version for the body's members, a correction never answered
with the old text, and the bilagspakke with every attachment the reader may read."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from meetings import services
from meetings.documents import document_render
from meetings.models import (
    AgendaItem,
    Audience,
    DocumentKind,
    Meeting,
    MeetingDocument,
)
from tests.factories import PersonFactory

CPH = ZoneInfo("Europe/Copenhagen")
MARKER = "HEMMELIG-9c1e"
ATTACHMENT_MARKER = "BILAGSHEMMELIGHED-44b0"
CASE_NUMBER = "2026-43820"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf_of_text(text: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=f"<p>{text}</p><p style='break-before: page'>2</p>").write_pdf()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def read(document: MeetingDocument) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def base_fonts(data: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        resources = page["/Resources"]["/Font"]
        for key in resources:
            fonts.add(str(resources[key].get_object()["/BaseFont"]))
    return fonts


def outline_titles(reader: PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(entries: list) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                titles.append(entry.title)

    walk(reader.outline)
    return titles


def meeting_with_closed_item(world, *, attachments: bool = False) -> Meeting:
    """An FU meeting on 3 December 2026 with an open item and a closed one, the agenda published."""
    starts = datetime.datetime(2026, 12, 3, 10, tzinfo=CPH)
    meeting = services.meeting_create(
        body=world.body_a,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        place="Regionshuset Viborg",
        case_number=CASE_NUMBER,
        document_number="2026-383833",
        by=world.staff,
    )
    open_item = services.agenda_item_add(
        meeting=meeting,
        by=world.staff,
        title="Kompetenceafklaring",
        case_text="<p>Møderne skal kvalificeres.</p>",
        presenter="Formand for FU, Jan Nielsen",
        recommendation="<ul><li>at tage orienteringen til efterretning</li></ul>",
    )
    closed = services.agenda_item_add(
        meeting=meeting,
        by=world.staff,
        title=f"Overtagelse af botilbud {MARKER}",
        case_text=f"<p>Sagsfremstilling {MARKER}</p>",
        is_closed=True,
    )
    if attachments:
        for item, text in ((open_item, "Åbent bilag om kapacitet"), (closed, ATTACHMENT_MARKER)):
            upload = SimpleUploadedFile(f"{text[:12]}.pdf", pdf_of_text(text))
            services.attachment_add(item=item, by=world.staff, upload=upload)
    services.agenda_publish(meeting=meeting, by=world.staff)
    meeting.refresh_from_db()
    return meeting


def publish_minutes(world, meeting: Meeting, closed_minutes: str) -> Meeting:
    services.minutes_start(meeting=meeting, by=world.staff)
    for item in AgendaItem.objects.filter(meeting=meeting):
        text = closed_minutes if item.is_closed else f"<p>Godkendt ({item.number})</p>"
        services.minutes_update_item(item=item, by=world.staff, minutes=text)
    services.minutes_publish(meeting=meeting, by=world.staff)
    meeting.refresh_from_db()
    return meeting


def test_public_pdfs_leave_the_closed_item_out_and_full_ones_keep_it(world):
    meeting = meeting_with_closed_item(world)
    absent = PersonFactory(name="Jane Hvas")
    services.attendance_add_guest(meeting=meeting, person=absent, by=world.staff)
    services.attendance_register_apology(meeting=meeting, person=absent, by=world.staff)
    meeting = publish_minutes(world, meeting, f"<p>Beslutning {MARKER}</p>")

    documents = {
        (kind, audience): document_render(meeting.pk, kind, audience)
        for kind in (DocumentKind.AGENDA, DocumentKind.MINUTES)
        for audience in (Audience.PUBLIC, Audience.FULL)
    }
    for (kind, audience), document in documents.items():
        data = read(document)
        text = pdf_text(data)
        assert data.startswith(b"%PDF-")
        assert document.sequence == meeting.sequence and document.page_count >= 1
        assert document.size == len(data)
        # Header: the body, the date and the sagsnr.; footer: "Side X af Y"; the contents.
        assert world.body_a.name in text and "3. december 2026" in text
        assert f"Sagsnr. {CASE_NUMBER}" in text
        assert f"Side 1 af {document.page_count}" in text
        assert "Indhold" in text and "Kompetenceafklaring" in text
        # The DKFDS typeface, not the fallback.
        fonts = {name.split("+")[-1].replace("-", "") for name in base_fonts(data)}
        assert any(name.startswith("IBMPlexSans") for name in fonts)
        assert not any("DejaVu" in name for name in fonts), fonts
        reader = PdfReader(io.BytesIO(data))
        assert reader.metadata is not None
        label = "Dagsorden" if kind == DocumentKind.AGENDA else "Referat"
        assert reader.metadata.title == f"{label} – {world.body_a.name} 3. december 2026"
        assert reader.trailer["/Root"]["/Lang"] == "da"
        if audience == Audience.PUBLIC:
            assert MARKER not in text
            assert "3. Lukket punkt" in text
        else:
            assert MARKER in text
    minutes_text = pdf_text(read(documents[DocumentKind.MINUTES, Audience.PUBLIC]))
    assert "Afbud" in minutes_text and "Jane Hvas" in minutes_text
    assert "Godkendt (2)" in minutes_text
    assert f"Beslutning {MARKER}" in pdf_text(read(documents[DocumentKind.MINUTES, Audience.FULL]))

    # Rendering again for the same version hands back the stored document.
    again = document_render(meeting.pk, DocumentKind.AGENDA, Audience.PUBLIC)
    assert again == documents[DocumentKind.AGENDA, Audience.PUBLIC]
    assert MeetingDocument.objects.filter(meeting=meeting, kind=DocumentKind.AGENDA).count() == 2


def test_each_reader_downloads_the_version_they_may_read(
    world, anonymous_client, member_a_client, member_b_client, staff_client
):
    starts = datetime.datetime(2026, 12, 3, 10, tzinfo=CPH)
    draft = services.meeting_create(
        body=world.body_a,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        by=world.staff,
    )
    for client in (anonymous_client, member_a_client, staff_client):
        response = client.get(reverse("meetings:pdf", args=[draft.pk, "agenda"]))
        assert response.status_code == 404  # a draft has no PDF, not even for the secretariat

    meeting = meeting_with_closed_item(world)
    url = reverse("meetings:pdf", args=[meeting.pk, "agenda"])
    assert url == f"/moeder/{meeting.pk}/pdf/agenda/"
    expected = {
        anonymous_client: False,
        member_b_client: False,
        member_a_client: True,
        staff_client: True,
    }
    for client, sees_closed_item in expected.items():
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'inline; filename="dagsorden-fu-2026-12-03.pdf"'
        assert "private" in response["Cache-Control"]
        text = pdf_text(b"".join(response.streaming_content))
        assert (MARKER in text) is sees_closed_item
        assert ("3. Lukket punkt" in text) is not sees_closed_item
    assert MeetingDocument.objects.filter(meeting=meeting).count() == 2  # public and full

    # The minutes are not published yet: no PDF of them, for anyone.
    minutes_url = reverse("meetings:pdf", args=[meeting.pk, "minutes"])
    services.minutes_start(meeting=meeting, by=world.staff)
    for client in (anonymous_client, member_a_client, staff_client):
        assert client.get(minutes_url).status_code == 404
    assert anonymous_client.get(f"/moeder/{meeting.pk}/pdf/andet/").status_code == 404


def test_a_correction_is_served_at_once_and_the_old_text_never_again(
    world, member_a_client, anonymous_client, django_capture_on_commit_callbacks
):
    meeting = meeting_with_closed_item(world)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = publish_minutes(world, meeting, "<p>Lukket beslutning</p>")
    # Publishing rendered the documents of the new version in the task.
    rendered = set(
        MeetingDocument.objects.filter(meeting=meeting).values_list("kind", "audience", "sequence")
    )
    assert rendered == {
        (kind, audience, meeting.sequence)
        for kind in DocumentKind.values
        for audience in Audience.values
    }
    url = reverse("meetings:pdf", args=[meeting.pk, "minutes"])
    assert "Godkendt (2)" in pdf_text(b"".join(member_a_client.get(url).streaming_content))

    item = AgendaItem.objects.get(meeting=meeting, number="2")
    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_correct(
            meeting=meeting,
            by=world.staff,
            reason="Forkert beslutning i punkt 2",
            minutes={item.pk: "<p>Udsat til næste møde</p>"},
        )
    meeting.refresh_from_db()
    assert set(
        MeetingDocument.objects.filter(meeting=meeting).values_list("sequence", flat=True)
    ) == {meeting.sequence}  # the old version's documents are gone
    for client in (member_a_client, anonymous_client):
        text = pdf_text(b"".join(client.get(url).streaming_content))
        assert "Udsat til næste møde" in text and "Godkendt (2)" not in text
        assert "Rettet" in text and "Forkert beslutning i punkt 2" in text

    # A second correction whose task has not run yet: the download renders the new version.
    services.minutes_correct(
        meeting=meeting,
        by=world.staff,
        reason="Stavefejl",
        minutes={item.pk: "<p>Udsat til mødet i januar</p>"},
    )
    text = pdf_text(b"".join(anonymous_client.get(url).streaming_content))
    assert "Udsat til mødet i januar" in text and "Udsat til næste møde" not in text


def test_bilagspakke_merges_the_readable_attachments_with_bookmarks(world):
    meeting = meeting_with_closed_item(world, attachments=True)
    full = document_render(meeting.pk, DocumentKind.BUNDLE, Audience.FULL)
    public = document_render(meeting.pk, DocumentKind.BUNDLE, Audience.PUBLIC)
    agenda_full = MeetingDocument.objects.get(
        meeting=meeting, kind=DocumentKind.AGENDA, audience=Audience.FULL
    )
    agenda_public = MeetingDocument.objects.get(
        meeting=meeting, kind=DocumentKind.AGENDA, audience=Audience.PUBLIC
    )
    # Each attachment has two pages.
    assert full.page_count == agenda_full.page_count + 4
    assert public.page_count == agenda_public.page_count + 2

    full_reader = PdfReader(io.BytesIO(read(full)))
    titles = outline_titles(full_reader)
    assert titles[0] == "Dagsorden"
    assert "2. Kompetenceafklaring" in titles
    assert f"3. Overtagelse af botilbud {MARKER}" in titles
    assert sum(title.startswith("Bilag: ") for title in titles) == 2
    assert full_reader.metadata is not None and full_reader.metadata.title.startswith("Bilagspakke")
    full_text = pdf_text(read(full))
    assert "Åbent bilag om kapacitet" in full_text and ATTACHMENT_MARKER in full_text

    public_reader = PdfReader(io.BytesIO(read(public)))
    public_titles = outline_titles(public_reader)
    assert "3. Lukket punkt" in public_titles
    assert not any(MARKER in title for title in public_titles)
    assert sum(title.startswith("Bilag: ") for title in public_titles) == 1
    public_text = pdf_text(read(public))
    assert "Åbent bilag om kapacitet" in public_text
    assert ATTACHMENT_MARKER not in public_text and MARKER not in public_text
