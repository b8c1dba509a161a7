"""Background work of the offer registry: tasks call one service each."""

from __future__ import annotations

from celery import shared_task

from offers.importers import offer_import_apply
from offers.services import events_apply_due


@shared_task
def apply_due_events() -> int:
    """Beat, daily: bring offers' status and operator in line with confirmed events whose date
    has come (idempotent)."""
    return events_apply_due()


@shared_task
def apply_import(job_id: int) -> str | None:
    """Apply a confirmed import of offers (offers.importers); idempotent."""
    job = offer_import_apply(job_id=job_id)
    return job.state if job is not None else None
