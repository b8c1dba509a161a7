"""Reads of the delivery engine: what happened to a notice, who follows what."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from notices.models import Delivery, DeliveryStatus, Notice, Subscription


@dataclass(frozen=True)
class NoticeStats:
    """How far a notice has come: `pending` includes deliveries being sent right now."""

    sent: int = 0
    pending: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed + self.cancelled


def notice_stats(notice: Notice | int) -> NoticeStats:
    """Counts of a notice's deliveries by outcome, in one query."""
    notice_id = notice if isinstance(notice, int) else notice.pk
    counts = dict(
        Delivery.objects.filter(notice_id=notice_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return NoticeStats(
        sent=counts.get(DeliveryStatus.SENT, 0),
        pending=counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.CLAIMED, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0),
        cancelled=counts.get(DeliveryStatus.CANCELLED, 0),
    )


def subscriptions_for_email(email: str) -> QuerySet[Subscription]:
    """Every subscription of an address (the manage page), unsubscribed ones included."""
    return Subscription.objects.filter(email=email.strip().lower()).order_by("topic")


def failed_deliveries(notice: Notice | int) -> QuerySet[Delivery]:
    notice_id = notice if isinstance(notice, int) else notice.pk
    return Delivery.objects.filter(notice_id=notice_id, status=DeliveryStatus.FAILED).order_by(
        "email"
    )
