"""Background work of the meetings app: tasks take ids, load the object and call one function."""

from __future__ import annotations

from celery import shared_task

from meetings.attachments import extract_text
from meetings.documents import documents_render_current


@shared_task(ignore_result=True)
def extract_attachment_text(attachment_id: int) -> None:
    """Extract an attachment's text for search (idempotent: a done attachment is left alone)."""
    extract_text(attachment_id)


@shared_task(ignore_result=True)
def render_meeting_documents(meeting_id: int) -> None:
    """Render the meeting's PDFs (agenda, bilagspakke, minutes; public and full) for its current
    version and drop older versions (idempotent: documents already stored are kept)."""
    documents_render_current(meeting_id)
