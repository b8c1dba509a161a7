"""Reads of the delivery engine: what happened to a notice, who follows what."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from notices import registry
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


def notices_with_counts() -> QuerySet[Notice]:
    """Every notice, newest first, with its delivery counts (`sent_count`, `pending_count`,
    `failed_count`, `cancelled_count`) annotated in the same query: the secretariat's list."""

    def count(*statuses: str) -> Count:
        return Count("deliveries", filter=Q(deliveries__status__in=statuses))

    return (
        Notice.objects.select_related("created_by")
        .annotate(
            sent_count=count(DeliveryStatus.SENT),
            pending_count=count(DeliveryStatus.PENDING, DeliveryStatus.CLAIMED),
            failed_count=count(DeliveryStatus.FAILED),
            cancelled_count=count(DeliveryStatus.CANCELLED),
        )
        .order_by("-created_at", "-id")
    )


class TopicLabels:
    """Topic labels memoised per topic: a list of many notices asks the registry once per
    distinct topic, however many rows share it."""

    def __init__(self) -> None:
        self._labels: dict[str, str] = {}

    def __call__(self, topic: str) -> str:
        if topic not in self._labels:
            self._labels[topic] = registry.topic_label(topic)
        return self._labels[topic]


def verified_addresses(user: Any) -> list[str]:
    """A logged-in user's verified e-mail addresses (lower case), the primary one first."""
    if not getattr(user, "is_authenticated", False):
        return []
    from allauth.account.models import EmailAddress

    rows = EmailAddress.objects.filter(user=user, verified=True).order_by("-primary", "email")
    return list(dict.fromkeys(address.lower() for address in rows.values_list("email", flat=True)))


def subscriptions_for_addresses(addresses: Sequence[str]) -> QuerySet[Subscription]:
    """Every subscription of these addresses (the profile), unsubscribed ones included."""
    return Subscription.objects.filter(email__in=[a.lower() for a in addresses]).order_by(
        "email", "topic"
    )


@dataclass(frozen=True)
class DefaultTopic:
    """A topic a user gets without subscribing (a member of a body gets its agendas), at the
    addresses the topic's default recipients name, and whether they declined its mail."""

    topic: str
    label: str
    emails: tuple[str, ...]
    opted_out: bool


def default_recipient_emails(user: Any, addresses: Iterable[str], topic: str) -> tuple[str, ...]:
    """The addresses at which `user` is a default recipient of `topic` (matched on the login
    or on one of the user's verified addresses); empty when the user is not one."""
    mine = {a.lower() for a in addresses}
    user_id = getattr(user, "pk", None)
    found = [
        recipient.email.strip().lower()
        for recipient in registry.default_recipients(topic)
        if recipient.email
        and (
            (user_id is not None and getattr(recipient.user, "pk", None) == user_id)
            or recipient.email.strip().lower() in mine
        )
    ]
    return tuple(dict.fromkeys(found))


def default_topics_for_user(
    user: Any, addresses: Sequence[str], topics: Sequence[str]
) -> list[DefaultTopic]:
    """Of `topics` (e.g. the agendas and minutes of the bodies the user is a member of), those
    the user is a default recipient of, with their opt-out state. One call of the topic's
    recipient provider per topic, then one query."""
    emails_of = {topic: default_recipient_emails(user, addresses, topic) for topic in topics}
    emails_of = {topic: emails for topic, emails in emails_of.items() if emails}
    declined = set(
        Subscription.objects.filter(
            topic__in=list(emails_of),
            email__in={e for emails in emails_of.values() for e in emails},
            status=Subscription.Status.UNSUBSCRIBED,
        ).values_list("email", "topic")
    )
    return [
        DefaultTopic(
            topic=topic,
            label=registry.topic_label(topic),
            emails=emails,
            opted_out=any((email, topic) in declined for email in emails),
        )
        for topic, emails in emails_of.items()
    ]


def subscription_topics(email: str, subscription_ids: Sequence[int]) -> list[str]:
    """The topics of some subscriptions of an address (to offer them again after a link
    expired)."""
    return list(
        Subscription.objects.filter(email=email, id__in=list(subscription_ids))
        .order_by("topic")
        .values_list("topic", flat=True)
    )
