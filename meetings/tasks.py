"""Background work of the meetings app: tasks take ids, load the object and call one function."""

from __future__ import annotations

from celery import shared_task

from meetings.attachments import extract_text
from meetings.documents import documents_render_current
from meetings.notifications import minutes_reminders_send


@shared_task(ignore_result=True)
def extract_attachment_text(attachment_id: int) -> None:
    """Extract an attachment's text for search (idempotent: a done attachment is left alone)."""
    extract_text(attachment_id)


@shared_task(ignore_result=True)
def render_meeting_documents(meeting_id: int) -> None:
    """Render the meeting's PDFs (agenda, bilagspakke, minutes; public and full) for its current
    version and drop older versions (idempotent: documents already stored are kept)."""
    documents_render_current(meeting_id)


@shared_task
def minutes_reminders() -> int:
    """Beat, hourly: remind the secretariat of minutes not published 3 and 7 days after a
    meeting, once each (a run that repeats finds the reminders already claimed)."""
    return len(minutes_reminders_send())
