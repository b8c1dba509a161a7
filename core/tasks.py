"""Background tasks of the infrastructure itself.

`ping` loads nothing and touches no table: it exists so that a test (and an operator) can see a
task travel through the broker to a worker and its result come back.
"""

from __future__ import annotations

from celery import shared_task


@shared_task
def ping(token: str) -> str:
    """Answer `pong:<token>` from whichever process runs the task."""
    return f"pong:{token}"
