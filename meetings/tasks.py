"""Background work of the meetings app: tasks take ids, load the object and call one function."""

from __future__ import annotations

from celery import shared_task

from meetings.attachments import extract_text


@shared_task(ignore_result=True)
def extract_attachment_text(attachment_id: int) -> None:
    """Extract an attachment's text for search (idempotent: a done attachment is left alone)."""
    extract_text(attachment_id)
