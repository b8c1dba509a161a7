"""Background work of the written rounds: the beat's tick (resolve, remind, follow up)."""

from __future__ import annotations

from celery import shared_task

from rounds.services import rounds_tick


@shared_task
def tick() -> dict[str, int]:
    """Beat, every minute: resolve rounds past their deadline, send due automatic reminders,
    add follow-up items that waited for a meeting. Idempotent (each step claims its work)."""
    return rounds_tick()
