"""Background work of the tariffs: tasks call one service each."""

from __future__ import annotations

from celery import shared_task

from tariffs.documents import overview_render_current
from tariffs.importers import tariff_import_apply
from tariffs.services import reminders_send


@shared_task
def reminders() -> int:
    """Beat, hourly: a week before a year's submission deadline, remind the editors who have
    not submitted (once per year)."""
    return len(reminders_send())


@shared_task
def apply_import(job_id: int) -> str | None:
    """Apply a confirmed import of a year's tariffs (tariffs.importers); idempotent."""
    job = tariff_import_apply(job_id=job_id)
    return job.state if job is not None else None


@shared_task(ignore_result=True)
def render_overview_pdf(year: int) -> None:
    """Render the PDF of the year's tariff overview for its current version and drop older
    versions (idempotent: a document already stored is kept)."""
    overview_render_current(year)
