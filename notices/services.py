"""What the delivery engine does: publish (outbox), fan out, send, sweep, digests, subscriptions.

Exactly once, the healthchecks way: every mail has a row before it is sent; a row is claimed with
a conditional UPDATE (status pending → claimed, with a fresh claim token) and only the rows that
carry our token are sent; each is marked sent right after its own SMTP transaction. A worker that
dies leaves its unsent rows claimed; the sweep gives them back after NOTICES_CLAIM_TIMEOUT (longer
than the task's hard time limit, so a live worker never loses its claim).
"""

from __future__ import annotations

import datetime
import functools
import logging
import re
import smtplib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.validators import validate_email
from django.db import connections, router, transaction
from django.db.models import F, Field, Q
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.importing import (
    CellError,
    Column,
    CsvRow,
    ImportResult,
    ImportSpec,
    RowChecker,
    normalise,
    run_import,
)
from notices import mail, registry, tasks
from notices.models import (
    BaseDelivery,
    Delivery,
    DeliveryStatus,
    DigestDelivery,
    Frequency,
    Notice,
    Subscription,
)
from notices.registry import Recipient

logger = logging.getLogger(__name__)


def _chunks[T](items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def backoff_seconds(attempts: int) -> int:
    """Wait before attempt `attempts + 1`: base · 2^(attempts-1), at most an hour."""
    return int(min(settings.NOTICES_RETRY_BACKOFF * 2 ** max(attempts - 1, 0), 3600))


# --- publishing (the outbox) ----------------------------------------------------------------


def notice_publish(
    *,
    topic: str,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    by: Any | None = None,
    addressees: Iterable[Recipient] = (),
) -> Notice:
    """Record that something was published on `topic`, in the caller's transaction.

    The fan-out starts when that transaction commits; if the broker is down then, the sweep
    starts it later. `payload` holds plain ids for the renderer of `kind` (no objects).
    `addressees` get the notice besides the topic's subscribers and default recipients, once
    each, whatever their subscriptions say (a respondent is told the result of their round).
    """
    registry.renderer_for(kind)  # an unknown kind fails here, in the publisher, not in a worker
    named: list[list[Any]] = []
    for recipient in addressees:
        email = recipient.email.strip().lower()
        if email and email not in {e for e, _u in named}:
            named.append([email, getattr(recipient.user, "pk", None)])
    notice = Notice(
        topic=topic, kind=kind, payload=dict(payload or {}), created_by=by, addressees=named
    )
    notice.full_clean()
    notice.save()
    notice_id = notice.pk
    transaction.on_commit(lambda: tasks.enqueue_fan_out(notice_id), robust=True)
    return notice


def _recipients(
    topic: str, addressees: Sequence[Sequence[Any]] = ()
) -> Iterator[tuple[str, int | None]]:
    """(email, user id) of everyone who gets the topic's notices as they happen, once each:
    the notice's addressees, the topic's subscribers, its default recipients."""
    seen: set[str] = set()
    for email, user_id in addressees:
        if email not in seen:
            seen.add(email)
            yield email, user_id
    subscribers = (
        Subscription.objects.filter(
            topic=topic,
            status=Subscription.Status.CONFIRMED,
            frequency=Frequency.IMMEDIATELY,
        )
        .order_by("id")
        .values_list("email", "user_id")
    )
    for email, user_id in subscribers.iterator(chunk_size=2000):
        if email in seen:
            continue
        seen.add(email)
        yield email, user_id
    defaults = list(registry.default_recipients(topic))
    if not defaults:
        return
    # A row for (email, topic) decides for a default recipient: unsubscribed opts out, a digest
    # frequency moves the notice into the digest.
    decided = set(
        Subscription.objects.filter(topic=topic)
        .exclude(status=Subscription.Status.PENDING)
        .values_list("email", flat=True)
    )
    for recipient in defaults:
        email = recipient.email.strip().lower()
        if not email or email in seen or email in decided:
            continue
        seen.add(email)
        yield email, getattr(recipient.user, "pk", None)


def notice_fan_out(*, notice_id: int) -> list[list[int]]:
    """Create one pending Delivery per recipient; return the pending ids in send batches.

    Idempotent: the rows are unique per (notice, email) and inserted ignoring conflicts, and a
    notice already fanned out is not fanned out again (new subscribers do not get old news).
    """
    notice = (
        Notice.objects.filter(pk=notice_id)
        .only("id", "topic", "addressees", "fanned_out_at")
        .first()
    )
    if notice is None:
        return []
    if notice.fanned_out_at is None:
        with transaction.atomic():
            for chunk in _chunks(_recipients(notice.topic, notice.addressees), 1000):
                Delivery.objects.bulk_create(
                    [Delivery(notice_id=notice_id, email=e, user_id=u) for e, u in chunk],
                    ignore_conflicts=True,
                )
            Notice.objects.filter(pk=notice_id, fanned_out_at__isnull=True).update(
                fanned_out_at=timezone.now()
            )
    return pending_batches(Delivery.objects.filter(notice_id=notice_id))


def pending_batches(queryset: Any, *, limit: int | None = None) -> list[list[int]]:
    ids = queryset.filter(status=DeliveryStatus.PENDING).order_by("id").values_list("id", flat=True)
    if limit is not None:
        ids = ids[:limit]
    return list(_chunks(ids.iterator(chunk_size=5000), settings.NOTICES_BATCH_SIZE))


# --- sending ----------------------------------------------------------------------------------


@dataclass
class SendResult:
    """What one batch did, by delivery id. `retry` went back to pending after a temporary error."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    not_claimed: int = 0


class _ConnectionLost(Exception):
    pass


def _claim[D: BaseDelivery](model: type[D], ids: Sequence[int]) -> tuple[uuid.UUID, list[int]]:
    """Claim the pending rows among `ids`; the claim token says which ones we got."""
    token = uuid.uuid4()
    model._default_manager.filter(pk__in=list(ids), status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CLAIMED, claim_token=token, claimed_at=timezone.now()
    )
    got = list(
        model._default_manager.filter(claim_token=token, status=DeliveryStatus.CLAIMED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return token, got


def _smtp_error(exc: Exception) -> tuple[bool, str]:
    """(temporary?, reason) for an error raised while sending one message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b""))
        reason = f"{code} {_decode(text)}"
        return not (500 <= code < 600), reason
    if isinstance(exc, smtplib.SMTPResponseException):
        reason = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
        return not (500 <= exc.smtp_code < 600), reason
    return True, f"{type(exc).__name__}: {exc}"


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class _SentStatement:
    sql: str
    constants: list[Any]  # status, last_error, claim_token, ready for the database
    sent_at: Field[Any, Any]
    claim_token: Field[Any, Any]


@functools.cache
def _sent_statement(model: type[BaseDelivery], alias: str) -> _SentStatement:
    """The UPDATE of _mark_sent, per model and database, with its constant parameters."""
    connection = connections[alias]
    meta = model._meta

    def field(name: str) -> Field[Any, Any]:
        return cast("Field[Any, Any]", meta.get_field(name))

    def column(name: str) -> str:
        return connection.ops.quote_name(str(field(name).column))

    constants = {"status": DeliveryStatus.SENT.value, "last_error": "", "claim_token": None}
    assigned = [*constants, "sent_at", "attempts", "message_id"]
    pk = connection.ops.quote_name(str(meta.pk.column))
    table = connection.ops.quote_name(meta.db_table)
    assignments = ", ".join(f"{column(name)} = %s" for name in assigned)
    conditions = f"{pk} = %s AND {column('claim_token')} = %s"
    # The model's own table and column names, quoted; the values are parameters.
    sql = f"UPDATE {table} SET {assignments} WHERE {conditions}"  # noqa: S608
    prepared = [
        field(name).get_db_prep_save(value, connection) for name, value in constants.items()
    ]
    return _SentStatement(sql, prepared, field("sent_at"), field("claim_token"))


class _SentMarker:
    """Marks the rows of one batch sent: an UPDATE of its own per row, right after its SMTP
    transaction, conditional on our claim. The claim makes the row ours, so its attempts can be
    counted here rather than in SQL. It is `filter(pk=, claim_token=).update(...)` written out
    once per model, with one cursor per batch: building the ORM query took longer than the
    write, and this runs once per mail."""

    def __init__(self, model: type[BaseDelivery], token: uuid.UUID) -> None:
        self.connection = connections[router.db_for_write(model)]
        self.statement = _sent_statement(model, self.connection.alias)
        self.token = self.statement.claim_token.get_db_prep_save(token, self.connection)
        self.cursor: Any = None

    def mark(self, row: BaseDelivery, message_id: str) -> None:
        if self.cursor is None:
            self.cursor = self.connection.cursor()
        statement = self.statement
        now = statement.sent_at.get_db_prep_save(timezone.now(), self.connection)
        params = [*statement.constants, now, int(row.attempts) + 1, str(message_id)]
        self.cursor.execute(statement.sql, [*params, int(row.pk), self.token])

    def close(self) -> None:
        if self.cursor is not None:
            self.cursor.close()
            self.cursor = None


def _mark_failed(model: type[BaseDelivery], pk: int, token: uuid.UUID, reason: str) -> None:
    model._default_manager.filter(pk=pk, claim_token=token).update(
        status=DeliveryStatus.FAILED,
        attempts=F("attempts") + 1,
        last_error=reason[:2000],
        claim_token=None,
    )


def _mark_temporary(
    model: type[BaseDelivery], row: BaseDelivery, token: uuid.UUID, reason: str
) -> bool:
    """Back to pending with a later attempt, or failed after NOTICES_MAX_ATTEMPTS; True = retry."""
    attempts = row.attempts + 1
    if attempts >= settings.NOTICES_MAX_ATTEMPTS:
        _mark_failed(
            model,
            row.pk,
            token,
            _("Opgivet efter %(n)d forsøg: %(reason)s") % {"n": attempts, "reason": reason},
        )
        return False
    model._default_manager.filter(pk=row.pk, claim_token=token).update(
        status=DeliveryStatus.PENDING,
        attempts=attempts,
        last_error=reason[:2000],
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=backoff_seconds(attempts)),
        claim_token=None,
        claimed_at=None,
    )
    return True


def _release(model: type[BaseDelivery], token: uuid.UUID) -> list[int]:
    """Give back what we claimed but did not try (the connection broke, or we crashed)."""
    ids = list(
        model._default_manager.filter(claim_token=token, status=DeliveryStatus.CLAIMED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    model._default_manager.filter(pk__in=ids, claim_token=token).update(
        status=DeliveryStatus.PENDING, claim_token=None, claimed_at=None
    )
    return ids


def _send_claimed[D: BaseDelivery](
    model: type[D],
    rows: Sequence[D],
    token: uuid.UUID,
    compose: Callable[[D], mail.PreparedMail | None],
    result: SendResult,
) -> None:
    """Send each claimed row over one connection, marking each right after its own send.

    `compose` returns the prepared mail, or None when the row was settled otherwise. With the
    SMTP backend the prepared bytes go straight to the backend's own (open) smtplib connection,
    as the backend itself would send them; other backends get Django's message.
    """
    backend = mailers.default
    marker = _SentMarker(model, token)
    try:
        try:
            backend.open()
        except (OSError, smtplib.SMTPException) as exc:
            raise _ConnectionLost(f"{type(exc).__name__}: {exc}") from exc
        connection, envelope_from = None, ""
        if isinstance(backend, SmtpBackend) and backend.connection is not None:
            connection = backend.connection
            envelope_from = backend.prep_address(settings.DEFAULT_FROM_EMAIL)
        for row in rows:
            try:
                composed = compose(row)
            except Exception as exc:
                logger.exception(
                    "notices: could not build the mail for %s %s", model.__name__, row.pk
                )
                _mark_failed(
                    model,
                    row.pk,
                    token,
                    _("Mailen kunne ikke dannes: %(error)s")
                    % {"error": f"{type(exc).__name__}: {exc}"},
                )
                result.failed.append(row.pk)
                continue
            if composed is None:
                continue
            try:
                if connection is not None and composed.data is not None:
                    connection.sendmail(envelope_from, [composed.to], composed.data)
                else:
                    backend.send_messages([composed.message()])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                temporary, reason = _smtp_error(exc)
                if temporary and _mark_temporary(model, row, token, reason):
                    result.retry.append(row.pk)
                else:
                    if not temporary:
                        _mark_failed(model, row.pk, token, reason)
                    result.failed.append(row.pk)
            except OSError as exc:  # connection refused, reset, timed out, server disconnected
                _temporary, reason = _smtp_error(exc)
                if _mark_temporary(model, row, token, reason):
                    result.retry.append(row.pk)
                else:
                    result.failed.append(row.pk)
                raise _ConnectionLost(reason) from exc
            else:
                marker.mark(row, composed.message_id)
                result.sent.append(row.pk)
                after_send(row)
    except _ConnectionLost as exc:
        # The rest were never tried: back to pending, retried with the ones that failed.
        released = _release(model, token)
        logger.warning("notices: SMTP connection lost (%s); %d put back", exc, len(released))
        for pk in released:
            row = next(r for r in rows if r.pk == pk)
            if _mark_released_attempt(model, row, str(exc)):
                result.retry.append(pk)
            else:
                result.failed.append(pk)
    except Exception:
        _release(model, token)
        raise
    finally:
        marker.close()
        try:
            backend.close()
        except (OSError, smtplib.SMTPException):
            logger.warning("notices: closing the SMTP connection failed", exc_info=True)


def _mark_released_attempt(model: type[BaseDelivery], row: BaseDelivery, reason: str) -> bool:
    """A row put back after a connection failure counts the attempt (so an outage ends)."""
    attempts = row.attempts + 1
    if attempts >= settings.NOTICES_MAX_ATTEMPTS:
        model._default_manager.filter(pk=row.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED,
            attempts=attempts,
            last_error=_("Opgivet efter %(n)d forsøg: %(reason)s")
            % {"n": attempts, "reason": reason},
        )
        return False
    model._default_manager.filter(pk=row.pk, status=DeliveryStatus.PENDING).update(
        attempts=attempts,
        last_error=reason[:2000],
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=backoff_seconds(attempts)),
    )
    return True


def after_send(row: BaseDelivery) -> None:
    """Called after each mail is sent and marked; a seam for tests that interrupt a batch."""


def _delivery_message_id(delivery: Delivery, domain: str | None = None) -> str:
    return f"<notice.{delivery.notice_id}.{delivery.pk}@{domain or mail.message_domain()}>"


_UNREAD_WHEN_SENDING = (
    "status",
    "created_at",
    "next_attempt_at",
    "claim_token",
    "claimed_at",
    "sent_at",
    "last_error",
    "message_id",
)


def deliveries_send(*, delivery_ids: Sequence[int]) -> SendResult:
    """Send the pending deliveries among `delivery_ids` over one SMTP connection.

    Rows someone else claimed (or that are no longer pending) are left alone; a recipient who
    unsubscribed after the fan-out is cancelled, not mailed.
    """
    result = SendResult()
    token, claimed = _claim(Delivery, delivery_ids)
    result.not_claimed = len(delivery_ids) - len(claimed)
    if not claimed:
        return result
    # The columns the sending reads (the rest would only be converted for nothing, per row).
    rows = list(
        Delivery.objects.filter(id__in=claimed)
        .select_related("user")
        .defer(*_UNREAD_WHEN_SENDING)
        .order_by("id")
    )
    notices = Notice.objects.in_bulk({row.notice_id for row in rows})
    for row in rows:
        row.notice = notices[row.notice_id]  # one instance per notice: renderers may memoise on it
    opted_out = set(
        Subscription.objects.filter(
            status=Subscription.Status.UNSUBSCRIBED,
            email__in={row.email for row in rows},
            topic__in={notice.topic for notice in notices.values()},
        ).values_list("email", "topic")
    )

    factory = mail.MailFactory()
    reasons: dict[str, str] = {}

    def compose(row: Delivery) -> mail.PreparedMail | None:
        notice = row.notice
        if (row.email, notice.topic) in opted_out:
            Delivery.objects.filter(pk=row.pk, claim_token=token).update(
                status=DeliveryStatus.CANCELLED, claim_token=None, last_error=_("Afmeldt")
            )
            result.cancelled.append(row.pk)
            return None
        recipient = Recipient(email=row.email, user=row.user)
        content = registry.renderer_for(notice.kind)(notice, recipient)
        reason = reasons.get(notice.topic)
        if reason is None:
            label = registry.topic_label(notice.topic)
            reason = reasons[notice.topic] = _("du følger %(topic)s") % {"topic": label}
        return factory.prepare(
            recipient=recipient,
            content=content,
            message_id=_delivery_message_id(row, factory.domain),
            unsubscribe_token_value=factory.unsubscribe_token(row.email, topic=notice.topic),
            reason=reason,
        )

    with translation.override(settings.LANGUAGE_CODE):
        _send_claimed(Delivery, rows, token, compose, result)
    return result


def notice_send_pending(*, notice_id: int) -> SendResult:
    """Send every pending delivery of a notice, batch after batch (in-process; used by tools)."""
    total = SendResult()
    for ids in pending_batches(Delivery.objects.filter(notice_id=notice_id)):
        part = deliveries_send(delivery_ids=ids)
        total.sent += part.sent
        total.failed += part.failed
        total.retry += part.retry
        total.cancelled += part.cancelled
        total.not_claimed += part.not_claimed
    return total


@transaction.atomic
def deliveries_retry_failed(*, notice_id: int) -> int:
    """The secretariat asks to try the failed deliveries of a notice again. Returns how many."""
    ids = list(
        Delivery.objects.filter(notice_id=notice_id, status=DeliveryStatus.FAILED).values_list(
            "id", flat=True
        )
    )
    Delivery.objects.filter(id__in=ids, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None, claim_token=None
    )
    batches = list(_chunks(ids, settings.NOTICES_BATCH_SIZE))
    transaction.on_commit(lambda: tasks.enqueue_send_batches(batches), robust=True)
    return len(ids)


# --- the sweep ------------------------------------------------------------------------------


@dataclass
class SweepResult:
    fanned_out: list[int] = field(default_factory=list)
    released: int = 0
    delivery_batches: list[list[int]] = field(default_factory=list)
    digest_batches: list[list[int]] = field(default_factory=list)


def notices_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Pick up what was never started or was left half-done; return the batches to send.

    - notices never fanned out (the broker was down when they were published);
    - rows claimed longer than NOTICES_CLAIM_TIMEOUT (their worker died) go back to pending;
    - pending rows whose next attempt is due (older than the grace period, so that the sweep does
      not race the tasks started on commit).
    """
    now = now or timezone.now()
    grace = now - datetime.timedelta(seconds=settings.NOTICES_SWEEP_GRACE)
    result = SweepResult()
    stranded = Notice.objects.filter(fanned_out_at__isnull=True, created_at__lte=grace)
    for notice_id in stranded.order_by("id").values_list("id", flat=True)[:100]:
        notice_fan_out(notice_id=notice_id)
        result.fanned_out.append(notice_id)

    stale = now - datetime.timedelta(seconds=settings.NOTICES_CLAIM_TIMEOUT)
    for model in (Delivery, DigestDelivery):
        result.released += model._default_manager.filter(
            status=DeliveryStatus.CLAIMED, claimed_at__lt=stale
        ).update(status=DeliveryStatus.PENDING, claim_token=None, claimed_at=None)

    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    deliveries = Delivery.objects.filter(due).filter(
        Q(created_at__lte=grace) | Q(notice_id__in=result.fanned_out)
    )
    result.delivery_batches = pending_batches(deliveries, limit=settings.NOTICES_SWEEP_LIMIT)
    digests = DigestDelivery.objects.filter(due, created_at__lte=grace)
    result.digest_batches = pending_batches(digests, limit=settings.NOTICES_SWEEP_LIMIT)
    return result


# --- digests --------------------------------------------------------------------------------


def digest_period(
    frequency: str, now: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """The last complete day (or Monday-to-Monday week) before `now`, in Danish local time."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localtime(now, zone).date()
    if frequency == Frequency.DAILY:
        first, last = today - datetime.timedelta(days=1), today
    elif frequency == Frequency.WEEKLY:
        monday = today - datetime.timedelta(days=today.weekday())
        first, last = monday - datetime.timedelta(days=7), monday
    else:
        raise ValueError(f"not a digest frequency: {frequency!r}")
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(last, datetime.time.min, tzinfo=zone)
    return start, end


def digests_prepare(*, frequency: str, now: datetime.datetime | None = None) -> list[list[int]]:
    """One DigestDelivery per subscriber with news in the last period; return pending batches.

    Unique per (email, frequency, period start): running twice creates nothing new, and rows
    already sent are not pending, so a second run sends nothing.
    """
    start, end = digest_period(frequency, now or timezone.now())
    subscriptions = Subscription.objects.filter(
        status=Subscription.Status.CONFIRMED, frequency=frequency
    ).values_list("email", "user_id", "topic")
    topics_of: dict[str, set[str]] = defaultdict(set)
    user_of: dict[str, int | None] = {}
    for email, user_id, topic in subscriptions.iterator(chunk_size=2000):
        topics_of[email].add(topic)
        user_of[email] = user_id or user_of.get(email)
    all_topics = set().union(*topics_of.values()) if topics_of else set()
    by_topic: dict[str, list[int]] = defaultdict(list)
    for notice_id, topic in (
        Notice.objects.filter(created_at__gte=start, created_at__lt=end, topic__in=all_topics)
        .order_by("created_at", "id")
        .values_list("id", "topic")
    ):
        by_topic[topic].append(notice_id)
    rows = []
    for email, topics in topics_of.items():
        ids = sorted(i for topic in topics for i in by_topic.get(topic, ()))
        if ids:
            rows.append(
                DigestDelivery(
                    email=email,
                    user_id=user_of[email],
                    frequency=frequency,
                    period_start=start,
                    period_end=end,
                    notice_ids=ids,
                )
            )
    for chunk in _chunks(rows, 1000):
        DigestDelivery.objects.bulk_create(chunk, ignore_conflicts=True)
    return pending_batches(DigestDelivery.objects.filter(frequency=frequency, period_start=start))


def digest_deliveries_send(*, digest_ids: Sequence[int]) -> SendResult:
    """Send the pending digests among `digest_ids` over one SMTP connection."""
    result = SendResult()
    token, claimed = _claim(DigestDelivery, digest_ids)
    result.not_claimed = len(digest_ids) - len(claimed)
    if not claimed:
        return result
    rows = list(DigestDelivery.objects.filter(id__in=claimed).select_related("user").order_by("id"))
    notices = Notice.objects.in_bulk({i for row in rows for i in row.notice_ids})

    factory = mail.MailFactory()

    def compose(row: DigestDelivery) -> mail.PreparedMail | None:
        recipient = Recipient(email=row.email, user=row.user)
        items = []
        for notice_id in row.notice_ids:
            notice = notices.get(notice_id)
            if notice is None:
                continue
            content = registry.renderer_for(notice.kind)(notice, recipient)
            items.append(
                {
                    "subject": content.subject,
                    "text": content.text,
                    "html": mark_safe(content.html),  # noqa: S308 - rendered by a template
                    "url": content.url,
                }
            )
        if not items:
            DigestDelivery.objects.filter(pk=row.pk, claim_token=token).update(
                status=DeliveryStatus.CANCELLED, claim_token=None
            )
            result.cancelled.append(row.pk)
            return None
        local_start = timezone.localtime(row.period_start)
        content = mail.render_mail(
            "notices/mail/digest",
            {
                "items": items,
                "frequency": row.frequency,
                "period_start": local_start,
                "period_last_day": timezone.localtime(row.period_end) - datetime.timedelta(days=1),
                "site_name": settings.SITE_NAME,
            },
        )
        label = (
            _("du får et ugentligt overblik")
            if row.frequency == Frequency.WEEKLY
            else _("du får et dagligt overblik")
        )
        return factory.prepare(
            recipient=recipient,
            content=content,
            message_id=f"<digest.{row.pk}@{factory.domain}>",
            unsubscribe_token_value=factory.unsubscribe_token(row.email, frequency=row.frequency),
            reason=label,
        )

    with translation.override(settings.LANGUAGE_CODE):
        _send_claimed(DigestDelivery, rows, token, compose, result)
    return result


# --- subscriptions --------------------------------------------------------------------------


def _normalise_email(email: str) -> str:
    value = email.strip().lower()
    validate_email(value)
    return value


@transaction.atomic
def subscription_request(
    *,
    email: str,
    topics: Sequence[str],
    frequency: str = Frequency.IMMEDIATELY,
    name: str = "",
    user: Any | None = None,
) -> list[Subscription]:
    """Someone asks to follow `topics`. Nothing is sent to the address until it confirms.

    A logged-in user following with their own (verified) login address is confirmed at once;
    anyone else gets a confirmation mail (on commit). Confirmed rows keep their status.
    """
    address = _normalise_email(email)
    if frequency not in Frequency.values:
        raise ValidationError(_("Ukendt hyppighed."))
    own_address = user is not None and (getattr(user, "email", "") or "").lower() == address
    now = timezone.now()
    rows: list[Subscription] = []
    for topic in dict.fromkeys(topics):
        row = Subscription.objects.select_for_update().filter(email=address, topic=topic).first()
        if row is None:
            row = Subscription(email=address, topic=topic)
        if row.status == Subscription.Status.CONFIRMED and not own_address:
            rows.append(row)
            continue
        row.frequency = frequency
        row.name = name or row.name
        row.user = user if own_address else row.user
        if own_address:
            row.status = Subscription.Status.CONFIRMED
            row.confirmed_at = row.confirmed_at or now
        else:
            row.status = Subscription.Status.PENDING
            row.confirmed_at = None
        row.unsubscribed_at = None
        row.full_clean(validate_unique=False)
        row.save()
        rows.append(row)
    pending = [row.pk for row in rows if row.status == Subscription.Status.PENDING]
    if pending:
        transaction.on_commit(lambda: tasks.enqueue_confirmation(address, pending), robust=True)
    return rows


def subscription_confirmation_send(*, email: str, subscription_ids: Sequence[int]) -> bool:
    """Mail the confirmation link for the still-pending subscriptions among the ids."""
    rows = list(
        Subscription.objects.filter(
            id__in=list(subscription_ids), email=email, status=Subscription.Status.PENDING
        ).order_by("id")
    )
    if not rows:
        return False
    ids = [row.pk for row in rows]
    with translation.override(settings.LANGUAGE_CODE):
        content = mail.render_mail(
            "notices/mail/confirm",
            {
                "name": next((row.name for row in rows if row.name), ""),
                "labels": [registry.topic_label(row.topic) for row in rows],
                "confirm_url": mail.confirm_url(email, ids),
                "valid_days": max(settings.NOTICES_CONFIRM_MAX_AGE // 86400, 1),
                "site_name": settings.SITE_NAME,
            },
        )
        message = mail.build_plain_message(to=email, content=content)
    mailers.default.send_messages([message])
    Subscription.objects.filter(id__in=ids).update(confirmation_sent_at=timezone.now())
    return True


@transaction.atomic
def subscription_confirm(*, token: str) -> list[Subscription]:
    """Follow a confirmation link: its pending subscriptions become confirmed (idempotent).

    Raises mail.TokenError (a Danish message) for an expired or tampered link.
    """
    email, ids = mail.read_confirm_token(token)
    Subscription.objects.filter(id__in=ids, email=email, status=Subscription.Status.PENDING).update(
        status=Subscription.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    return list(
        Subscription.objects.filter(
            id__in=ids, email=email, status=Subscription.Status.CONFIRMED
        ).order_by("topic")
    )


@transaction.atomic
def subscription_unsubscribe(*, token: str) -> list[str]:
    """One-click unsubscribe (RFC 8058): the link's topic, or every digest of its frequency.

    Also records the opt-out of a default recipient who never subscribed. Returns the topics.
    """
    data = mail.read_unsubscribe_token(token)
    email = data["e"]
    now = timezone.now()
    if "t" in data:
        topic = data["t"]
        row, _created = Subscription.objects.get_or_create(
            email=email,
            topic=topic,
            defaults={"status": Subscription.Status.UNSUBSCRIBED, "unsubscribed_at": now},
        )
        if row.status != Subscription.Status.UNSUBSCRIBED:
            row.status = Subscription.Status.UNSUBSCRIBED
            row.unsubscribed_at = now
            row.save(update_fields=["status", "unsubscribed_at"])
        return [topic]
    rows = Subscription.objects.filter(email=email, frequency=data.get("f", "")).exclude(
        status=Subscription.Status.UNSUBSCRIBED
    )
    topics = list(rows.values_list("topic", flat=True))
    rows.update(status=Subscription.Status.UNSUBSCRIBED, unsubscribed_at=now)
    return topics


@transaction.atomic
def subscription_set(*, email: str, topic: str, frequency: str | None) -> Subscription:
    """From the manage page (the address is proven by its signed link or the login): change a
    confirmed subscription's frequency, or unsubscribe (frequency None)."""
    row = Subscription.objects.select_for_update().get(email=email, topic=topic)
    if frequency is None:
        row.status = Subscription.Status.UNSUBSCRIBED
        row.unsubscribed_at = timezone.now()
    else:
        if frequency not in Frequency.values:
            raise ValidationError(_("Ukendt hyppighed."))
        row.frequency = frequency
        if row.status == Subscription.Status.UNSUBSCRIBED:
            # The owner of the address asks again, through a link only they have.
            row.status = Subscription.Status.CONFIRMED
            row.confirmed_at = timezone.now()
            row.unsubscribed_at = None
    row.save()
    return row


@transaction.atomic
def subscriptions_unsubscribe_all(*, email: str) -> list[str]:
    """From the manage page: every subscription of the address is unsubscribed. Returns the
    topics that were followed (or waiting for confirmation)."""
    rows = Subscription.objects.filter(email=email.strip().lower()).exclude(
        status=Subscription.Status.UNSUBSCRIBED
    )
    topics = list(rows.order_by("topic").values_list("topic", flat=True))
    rows.update(status=Subscription.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    return topics


@transaction.atomic
def subscription_default_opt_out(*, email: str, topic: str, opt_out: bool) -> None:
    """A default recipient (a member of a body) declines the topic's mail, or takes it back.

    The opt-out is a row with status `unsubscribed`; taking it back removes that row, so the
    address is a default recipient again (as long as it is one: a former member gets nothing).
    """
    address = email.strip().lower()
    if opt_out:
        row, _created = Subscription.objects.select_for_update().get_or_create(
            email=address,
            topic=topic,
            defaults={
                "status": Subscription.Status.UNSUBSCRIBED,
                "unsubscribed_at": timezone.now(),
            },
        )
        if row.status != Subscription.Status.UNSUBSCRIBED:
            row.status = Subscription.Status.UNSUBSCRIBED
            row.unsubscribed_at = timezone.now()
            row.save(update_fields=["status", "unsubscribed_at"])
        return
    Subscription.objects.filter(
        email=address, topic=topic, status=Subscription.Status.UNSUBSCRIBED
    ).delete()


# --- importing an existing mailing list ------------------------------------------------------


class ImportMode:
    SEND_CONFIRMATION = "send_confirmation"
    ALREADY_CONSENTED = "already_consented"


IMPORT_COLUMNS = (
    Column("E-mail", aliases=("email", "mail", "e-mailadresse", "emailadresse")),
    Column("Navn", required=False, aliases=("name", "fulde navn")),
    Column("Emner", aliases=("organer", "bodies", "topics", "abonnementer", "emne")),
)
_TOPIC_SEPARATORS = re.compile(r"[|,;\n]")


@dataclass(frozen=True)
class ImportedSubscriber:
    row: int
    email: str
    name: str
    topics: tuple[str, ...]


def subscribers_import(
    upload: UploadedFile | IO[bytes] | bytes,
    *,
    by: Any,
    mode: str,
    topic_names: Mapping[str, Sequence[str]],
    frequency: str = Frequency.IMMEDIATELY,
) -> ImportResult:
    """Import a mailing list (columns E-mail, Navn, Emner), all rows or none.

    `topic_names` maps what may stand in the Emner cell (a body's name or short name, separated
    by '|', ',' or ';') to topic keys. `mode` says whether the addresses get a confirmation mail
    (nothing is sent to them before they confirm) or already consented (recorded with who
    imported them and when). An address that unsubscribed earlier is never signed up again.
    """
    if mode not in (ImportMode.SEND_CONFIRMATION, ImportMode.ALREADY_CONSENTED):
        raise ValueError(f"unknown import mode {mode!r}")
    lookup = {normalise(name): tuple(keys) for name, keys in topic_names.items()}
    known = ", ".join(sorted(topic_names)) or "-"
    seen: dict[str, int] = {}
    now = timezone.now()
    to_confirm: dict[str, list[int]] = defaultdict(list)

    def parse_email(value: str) -> str:
        try:
            return _normalise_email(value)
        except ValidationError:
            raise CellError(
                _("'%(value)s' er ikke en gyldig e-mailadresse.") % {"value": value}
            ) from None

    def parse_topics(value: str) -> tuple[str, ...]:
        keys: list[str] = []
        for part in _TOPIC_SEPARATORS.split(value):
            if not part.strip():
                continue
            found = lookup.get(normalise(part))
            if found is None:
                raise CellError(
                    _("'%(value)s' kendes ikke. Gyldige værdier: %(known)s.")
                    % {"value": part.strip(), "known": known}
                )
            keys.extend(found)
        if not keys:
            raise CellError(_("Feltet skal udfyldes."))
        return tuple(dict.fromkeys(keys))

    def validate(row: CsvRow, check: RowChecker) -> ImportedSubscriber | None:
        email = check.cell("E-mail", parse_email, required=True)
        name = check.text("Navn", max_length=200)
        topics = check.cell("Emner", parse_topics, required=True)
        if email is not None:
            if email in seen:
                check.error(
                    "E-mail",
                    _("Adressen står også i række %(row)d.") % {"row": seen[email]},
                )
            seen.setdefault(email, row.number)
        if email is None or topics is None or check.errors:
            return None
        return ImportedSubscriber(row.number, email, name, topics)

    def write(value: ImportedSubscriber, result: ImportResult) -> None:
        for topic in value.topics:
            existing = Subscription.objects.filter(email=value.email, topic=topic).first()
            if existing is not None and existing.status == Subscription.Status.UNSUBSCRIBED:
                result.count(_("afmeldt tidligere, ikke tilmeldt igen"))
                continue
            if existing is not None and existing.status == Subscription.Status.CONFIRMED:
                result.count(_("fandtes i forvejen"))
                continue
            row = existing or Subscription(email=value.email, topic=topic)
            row.name = value.name or row.name
            row.frequency = frequency
            row.imported_by = by
            row.imported_at = now
            if mode == ImportMode.ALREADY_CONSENTED:
                row.status = Subscription.Status.CONFIRMED
                row.consent = Subscription.Consent.IMPORTED
                row.confirmed_at = now
                result.count(_("tilmeldt med samtykke"))
            else:
                row.status = Subscription.Status.PENDING
                row.consent = Subscription.Consent.OPT_IN
                result.count(_("venter på bekræftelse"))
            row.full_clean(validate_unique=False)
            row.save()
            if row.status == Subscription.Status.PENDING:
                to_confirm[row.email].append(row.pk)

    result = run_import(ImportSpec(columns=IMPORT_COLUMNS, validate=validate, write=write), upload)
    if result.ok and to_confirm:
        batches = {email: list(ids) for email, ids in to_confirm.items()}

        def enqueue() -> None:
            for email, ids in batches.items():
                tasks.enqueue_confirmation(email, ids)

        transaction.on_commit(enqueue, robust=True)
    return result
