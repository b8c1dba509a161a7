"""Background work of the delivery engine: each task loads by id and calls one service.

Every task can run twice or die half-way: the services claim rows with conditional UPDATEs, so a
repeat finds nothing left to do. Without a broker (the embedded default) they run in-process.
All of them go to the queue NOTICES_CELERY_QUEUE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from celery import Task, shared_task
from django.conf import settings

from notices import services

logger = logging.getLogger(__name__)


def _queue() -> str:
    return str(settings.NOTICES_CELERY_QUEUE)


def enqueue_fan_out(notice_id: int) -> None:
    notice_fan_out_task.apply_async(args=(notice_id,), queue=_queue())


def enqueue_send_batches(batches: Sequence[Sequence[int]]) -> None:
    for ids in batches:
        deliveries_send_task.apply_async(args=(list(ids),), queue=_queue())


def enqueue_digest_batches(batches: Sequence[Sequence[int]]) -> None:
    for ids in batches:
        digest_deliveries_send_task.apply_async(args=(list(ids),), queue=_queue())


def enqueue_confirmation(email: str, subscription_ids: Sequence[int]) -> None:
    subscription_confirmation_task.apply_async(args=(email, list(subscription_ids)), queue=_queue())


@shared_task(name="notices.fan_out")
def notice_fan_out_task(notice_id: int) -> int:
    """Create the notice's deliveries, then send them in batches (one task per batch)."""
    batches = services.notice_fan_out(notice_id=notice_id)
    enqueue_send_batches(batches)
    return sum(len(ids) for ids in batches)


@shared_task(bind=True, name="notices.send_deliveries", max_retries=None)
def deliveries_send_task(self: Task, delivery_ids: list[int]) -> dict[str, int]:
    """Send one batch over one SMTP connection; temporary failures are retried with backoff."""
    result = services.deliveries_send(delivery_ids=delivery_ids)
    _retry_later(self, result, lambda ids: services.deliveries_send(delivery_ids=ids))
    return {"sent": len(result.sent), "failed": len(result.failed), "retry": len(result.retry)}


@shared_task(bind=True, name="notices.send_digests", max_retries=None)
def digest_deliveries_send_task(self: Task, digest_ids: list[int]) -> dict[str, int]:
    result = services.digest_deliveries_send(digest_ids=digest_ids)
    _retry_later(self, result, lambda ids: services.digest_deliveries_send(digest_ids=ids))
    return {"sent": len(result.sent), "failed": len(result.failed), "retry": len(result.retry)}


def _retry_later(
    task: Task,
    result: services.SendResult,
    send: Callable[[list[int]], services.SendResult],
) -> None:
    # The rows themselves count attempts (NOTICES_MAX_ATTEMPTS); past that they are failed and
    # not in `retry`. The sweep also picks pending rows up, should this retry be lost.
    if not result.retry:
        return
    if task.request.is_eager:
        # In-process (no broker): Celery cannot schedule a retry, so try again at once.
        retry = result.retry
        for _attempt in range(settings.NOTICES_MAX_ATTEMPTS):
            if not retry:
                break
            retry = send(retry).retry
        return
    if task.request.retries >= settings.NOTICES_MAX_ATTEMPTS:
        return
    countdown = services.backoff_seconds(task.request.retries + 1)
    raise task.retry(args=(result.retry,), countdown=countdown, queue=_queue())


@shared_task(name="notices.sweep")
def notices_sweep_task() -> dict[str, int]:
    """Beat, every minute: stranded notices, stale claims, due retries."""
    result = services.notices_sweep()
    enqueue_send_batches(result.delivery_batches)
    enqueue_digest_batches(result.digest_batches)
    return {
        "fanned_out": len(result.fanned_out),
        "released": result.released,
        "deliveries": sum(len(ids) for ids in result.delivery_batches),
        "digests": sum(len(ids) for ids in result.digest_batches),
    }


@shared_task(name="notices.digests")
def digests_task(frequency: str) -> int:
    """Beat, daily and weekly: the overview of the last complete period, once per subscriber."""
    batches = services.digests_prepare(frequency=frequency)
    enqueue_digest_batches(batches)
    return sum(len(ids) for ids in batches)


@shared_task(name="notices.confirmation")
def subscription_confirmation_task(email: str, subscription_ids: list[int]) -> bool:
    return services.subscription_confirmation_send(email=email, subscription_ids=subscription_ids)
