"""Stored PDFs of a meeting: the agenda (dagsorden), the minutes (referat) and the bilagspakke (the
agenda followed by every PDF attachment, with bookmarks).

Each document is rendered once per published version of the meeting (`Meeting.sequence`) and
audience, stored as a `MeetingDocument` and served from storage after that. The public version is
what an anonymous visitor sees — closed items only as their number and "Lukket punkt", without
their attachments; the full version is what the body's members see. Both are built from
`meetings.visibility`, never from the raw items.

A worker renders the documents when the agenda or minutes are published or corrected
(`tasks.render_meeting_documents`); a download that comes first renders on demand. Documents are
Danish records, rendered in Danish whatever the language of the request that set them off.
"""

from __future__ import annotations

import io
import logging
import tempfile
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import slugify

from core.pdf import FONT_FAMILY, render_pdf
from meetings.models import (
    Attendance,
    AttendanceStatus,
    Audience,
    DocumentKind,
    Meeting,
    MeetingDocument,
    MeetingState,
)
from meetings.visibility import (
    ItemView,
    MeetingAccess,
    meeting_visibility,
    minutes_revision_notes,
    visible_agenda,
)

if TYPE_CHECKING:
    from pypdf import PdfWriter

__all__ = [
    "audience_access",
    "document_filename",
    "document_for",
    "document_render",
    "documents_prune",
    "documents_render_current",
]

logger = logging.getLogger(__name__)

PDF_CONTENT_TYPE = "application/pdf"
TEMPLATES = {
    DocumentKind.AGENDA: "meetings/pdf/agenda.html",
    DocumentKind.MINUTES: "meetings/pdf/minutes.html",
}
# The Danish words of the downloaded file names: "dagsorden-fu-2026-12-03.pdf".
FILE_WORDS = {
    DocumentKind.AGENDA: "dagsorden",
    DocumentKind.MINUTES: "referat",
    DocumentKind.BUNDLE: "bilagspakke",
}
# A bilagspakke is spooled to disk above this size rather than held in memory.
_SPOOL_BYTES = 8 * 1024 * 1024


# --- what exists, and for whom --------------------------------------------------------------------


def kind_is_published(meeting: Meeting, kind: str) -> bool:
    """Documents exist for published versions only: a draft changes without a new sequence."""
    if kind == DocumentKind.MINUTES:
        return meeting.minutes_are_published
    return meeting.agenda_is_published


def audience_access(meeting: Meeting, audience: str) -> MeetingAccess:
    """What the readers of one version may see. The public version is rendered exactly as an
    anonymous visitor sees the meeting. The full version is rendered as a member of the body sees
    it: `meeting_visibility`'s answer for a member, spelt out because a worker has no member at
    hand — the agenda once published, the minutes once published, and the closed items."""
    if audience == Audience.PUBLIC:
        return meeting_visibility(AnonymousUser(), meeting)
    if audience != Audience.FULL:
        raise ValueError(f"Unknown audience {audience!r}.")
    published = meeting.state != MeetingState.DRAFT
    return MeetingAccess(
        meeting_id=meeting.pk,
        can_see_meeting=published,
        can_see_agenda=published and meeting.agenda_is_published,
        can_see_minutes=published and meeting.minutes_are_published,
        can_see_closed_items=published,
        can_edit=False,
    )


def _renderable(meeting: Meeting, kind: str, access: MeetingAccess) -> bool:
    if not kind_is_published(meeting, kind):
        return False
    if kind == DocumentKind.MINUTES:
        return access.can_see_minutes
    return access.can_see_agenda


# --- rendering ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceGroup:
    label: str
    rows: list[Attendance]


def _attendance_groups(meeting: Meeting) -> list[AttendanceGroup]:
    """Participants (deltagere) and apologies (afbud), as in the minutes of seed 002. While no
    one is marked present, the invited are listed as the participants."""
    rows = list(
        Attendance.objects.filter(meeting=meeting)
        .select_related(
            "person__municipality",
            "person__region",
            "person__organization",
            "substitute",
        )
        .order_by("person__name")
    )
    present = [row for row in rows if row.status == AttendanceStatus.PRESENT]
    invited = [row for row in rows if row.status == AttendanceStatus.INVITED]
    apologies = [row for row in rows if row.status == AttendanceStatus.APOLOGIES]
    groups = []
    if present:
        groups.append(AttendanceGroup("Deltagere", present))
    elif invited:
        groups.append(AttendanceGroup("Indkaldte", invited))
    if apologies:
        groups.append(AttendanceGroup("Afbud", apologies))
    return groups


def _local(value: Any, fmt: str) -> str:
    return date_format(timezone.localtime(value), fmt) if value else ""


def _document_title(meeting: Meeting, kind: str) -> str:
    label = {
        DocumentKind.AGENDA: "Dagsorden",
        DocumentKind.MINUTES: "Referat",
        DocumentKind.BUNDLE: "Bilagspakke",
    }[DocumentKind(kind)]
    return f"{label} – {meeting.body.name} {date_format(meeting.local_date, 'j. F Y')}"


def _render_html_pdf(meeting: Meeting, kind: str, audience: str, access: MeetingAccess) -> bytes:
    # `access` decides what is shown; the user is only asked when no access is given.
    items = visible_agenda(AnonymousUser(), meeting, access)
    context: dict[str, Any] = {
        "meeting": meeting,
        "body": meeting.body,
        "kind": kind,
        "document_title": _document_title(meeting, kind),
        "font_family": FONT_FAMILY,
        "items": items,
        "with_minutes": kind == DocumentKind.MINUTES,
        "is_public_version": audience == Audience.PUBLIC,
        "has_closed_items": any(item.is_closed for item in items),
        "date": date_format(meeting.local_date, "l j. F Y"),
        "time": f"{_local(meeting.starts_at, 'H.i')}–{_local(meeting.ends_at, 'H.i')}",
        "agenda_published": _local(meeting.agenda_published_at, "j. F Y"),
        "minutes_published": _local(meeting.minutes_published_at, "j. F Y"),
        "sequence": meeting.sequence,
        "site_name": settings.SITE_NAME,
    }
    if kind == DocumentKind.MINUTES:
        context["attendance"] = _attendance_groups(meeting)
        context["revisions"] = minutes_revision_notes(AnonymousUser(), meeting, access)
    html = render_to_string(TEMPLATES[DocumentKind(kind)], context)
    return render_pdf(html, base_url=f"{settings.SITE_URL}/")


def _item_label(item: ItemView) -> str:
    return f"{item.number}. {item.title}"


def _attachments(item: ItemView) -> list[Any]:
    if item.is_redacted:
        return []  # a RedactedItem has no attachments to leak
    return [a for a in getattr(item, "attachments", ()) if a.content_type == PDF_CONTENT_TYPE]


def _bundle(
    meeting: Meeting, agenda: MeetingDocument, items: list[ItemView]
) -> tuple[IO[bytes], int]:
    """The agenda, then each readable item's PDF attachments, with an outline: one entry per
    item (at its page in the agenda) and under it one per attachment (at its first page)."""
    from pypdf import PdfReader, PdfWriter  # a second to import: only in the worker
    from pypdf.errors import PyPdfError

    writer = PdfWriter()
    with agenda.file.open("rb") as handle:
        agenda_reader = PdfReader(handle)
        writer.append(agenda_reader, import_outline=False)
        destinations = agenda_reader.named_destinations
        item_pages: dict[int, int] = {}
        for item in items:
            destination = destinations.get(f"item-{item.pk}")
            if destination is None:
                continue
            page = agenda_reader.get_destination_page_number(destination)
            if page is not None:
                item_pages[item.pk] = page

    writer.add_outline_item(title="Dagsorden", page_number=0)
    for item in items:
        entry = writer.add_outline_item(
            title=_item_label(item), page_number=item_pages.get(item.pk, 0)
        )
        for attachment in _attachments(item):
            start = len(writer.pages)
            try:
                with attachment.file.open("rb") as source:
                    writer.append(PdfReader(source), import_outline=False)
            except (PyPdfError, OSError, ValueError) as error:
                # One unreadable file must not keep the rest of the package from the readers.
                logger.warning("Bilag %s udeladt af bilagspakken: %s", attachment.pk, error)
                continue
            if len(writer.pages) > start:
                writer.add_outline_item(
                    title=f"Bilag: {attachment.original_name}", page_number=start, parent=entry
                )
    _describe(writer, _document_title(meeting, DocumentKind.BUNDLE))
    output: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
    writer.write(output)
    output.seek(0)
    return output, len(writer.pages)


def _describe(writer: PdfWriter, title: str) -> None:
    """Title, language and an open bookmarks panel, as the rendered documents have them."""
    from pypdf.generic import BooleanObject, NameObject, TextStringObject

    writer.add_metadata({"/Title": title, "/Producer": settings.SITE_NAME})
    writer.root_object[NameObject("/Lang")] = TextStringObject(settings.LANGUAGE_CODE)
    writer.page_mode = "/UseOutlines"
    preferences = writer.create_viewer_preferences()
    preferences[NameObject("/DisplayDocTitle")] = BooleanObject(True)


def _page_count(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


# --- storing --------------------------------------------------------------------------------------


def _current(meeting_id: int, kind: str, audience: str, sequence: int) -> MeetingDocument | None:
    return (
        MeetingDocument.objects.select_related("meeting__body")
        .filter(meeting_id=meeting_id, kind=kind, audience=audience, sequence=sequence)
        .first()
    )


def _store(
    meeting: Meeting,
    kind: str,
    audience: str,
    sequence: int,
    content: IO[bytes],
    page_count: int,
) -> MeetingDocument:
    document = MeetingDocument(
        meeting=meeting,
        kind=kind,
        audience=audience,
        sequence=sequence,
        page_count=page_count,
        rendered_at=timezone.now(),
    )
    document.file.save(f"{kind}.pdf", File(content), save=False)
    document.size = document.file.size or 0
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Another worker stored the same version first: keep theirs, drop our file.
        default_storage.delete(document.file.name or "")
        existing = _current(meeting.pk, kind, audience, sequence)
        if existing is None:  # pragma: no cover - the conflicting row was deleted meanwhile
            raise
        return existing
    return document


def document_render(meeting_id: int, kind: str, audience: str) -> MeetingDocument | None:
    """The PDF of `kind` for `audience` of the meeting's current version: the stored one if it
    exists, else rendered (through `meetings.visibility`) and stored. Idempotent. None if there
    is no such document: the agenda or minutes are not published, or (the public version) the
    public may not see the body's meetings."""
    kind = DocumentKind(kind)
    audience = Audience(audience)
    meeting = Meeting.objects.select_related("body").get(pk=meeting_id)
    # The sequence is read before the content, so a document is never older than its label.
    sequence = meeting.sequence
    access = audience_access(meeting, audience)
    if not _renderable(meeting, kind, access):
        return None
    existing = _current(meeting.pk, kind, audience, sequence)
    if existing is not None:
        return existing
    with translation.override(settings.LANGUAGE_CODE):
        if kind == DocumentKind.BUNDLE:
            agenda = document_render(meeting.pk, DocumentKind.AGENDA, audience)
            if agenda is None:
                return None
            if agenda.sequence != sequence:
                # A new version was published meanwhile: render that one instead.
                return document_render(meeting.pk, kind, audience)
            items = visible_agenda(AnonymousUser(), meeting, access)
            output, pages = _bundle(meeting, agenda, items)
            with output:
                return _store(meeting, kind, audience, sequence, output, pages)
        data = _render_html_pdf(meeting, kind, audience, access)
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as content:
        content.write(data)
        content.seek(0)
        return _store(meeting, kind, audience, sequence, content, _page_count(data))


def documents_render_current(meeting_id: int) -> list[MeetingDocument]:
    """Render every document of the meeting's current version — the agenda and bilagspakke once
    the agenda is published, the minutes once they are — in the full version and, if the public
    sees the body's meetings, the public one. Then drop older versions. Idempotent."""
    documents: list[MeetingDocument] = []
    for kind in (DocumentKind.AGENDA, DocumentKind.BUNDLE, DocumentKind.MINUTES):
        for audience in (Audience.FULL, Audience.PUBLIC):
            document = document_render(meeting_id, kind, audience)
            if document is not None:
                documents.append(document)
    documents_prune(meeting_id)
    return documents


@transaction.atomic
def documents_prune(meeting_id: int) -> int:
    """Delete the documents of earlier versions (never served again), their files once the
    deletion is committed. Returns how many were deleted."""
    sequence = Meeting.objects.values_list("sequence", flat=True).get(pk=meeting_id)
    stale = MeetingDocument.objects.filter(meeting_id=meeting_id, sequence__lt=sequence)
    names = [name for name in stale.values_list("file", flat=True) if name]
    deleted, _ = stale.delete()

    def delete_files() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(delete_files)
    return deleted


# --- serving --------------------------------------------------------------------------------------


def document_for(user: Any, meeting: Meeting, kind: str) -> MeetingDocument | None:
    """The document of `kind` that `user` may read, of the meeting's current version: the full
    version for the body's members and the secretariat, the public one for everyone else.
    Rendered now if the worker has not got to it yet. None if the user may not see it (a draft
    agenda, unpublished minutes, a non-public body) or it does not exist."""
    if kind not in DocumentKind.values:
        return None
    access = meeting_visibility(user, meeting)
    if not _renderable(meeting, kind, access):
        return None
    audience = Audience.FULL if access.can_see_closed_items else Audience.PUBLIC
    return document_render(meeting.pk, kind, audience)


def document_filename(meeting: Meeting, kind: str) -> str:
    """'dagsorden-fu-2026-12-03.pdf': the kind, the body's short name and the meeting date."""
    body = slugify(meeting.body.short_name or meeting.body.slug) or "moede"
    return f"{FILE_WORDS[DocumentKind(kind)]}-{body}-{meeting.local_date.isoformat()}.pdf"
