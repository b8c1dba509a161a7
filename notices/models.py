"""Subscriptions, notices (an outbox) and their e-mail deliveries.

A notice is addressed to a topic key ("body:12:agenda", "tariffs", "rounds:12"), never to a
domain object: the domain app keeps its ids in `payload` and renders the mail itself (see
`notices.registry`). Every mail that leaves the portal has a row here written before it is sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("Med det samme")
    DAILY = "daily", _("Dagligt overblik")
    WEEKLY = "weekly", _("Ugentligt overblik")


class Subscription(models.Model):
    """An e-mail address following one topic.

    Double opt-in: a row is `pending` until the address has followed the confirmation link (or
    the secretariat imported it with consent the sender already had). A row with status
    `unsubscribed` is also how a default recipient (a member of a body) opts out of the mail.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Afventer bekræftelse")
        CONFIRMED = "confirmed", _("Bekræftet")
        UNSUBSCRIBED = "unsubscribed", _("Afmeldt")

    class Consent(models.TextChoices):
        OPT_IN = "opt_in", _("Tilmeldt og bekræftet af modtageren")
        IMPORTED = "imported_consent", _("Importeret med samtykke givet tidligere")

    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("navn"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bruger"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notice_subscriptions",
    )
    topic = models.CharField(_("emne"), max_length=200)
    frequency = models.CharField(
        _("hyppighed"), max_length=20, choices=Frequency.choices, default=Frequency.IMMEDIATELY
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    consent = models.CharField(
        _("samtykke"), max_length=20, choices=Consent.choices, default=Consent.OPT_IN
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(_("bekræftelse sendt"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("bekræftet"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("afmeldt"), null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("importeret af"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("importeret"), null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnementer")
        constraints = [
            models.UniqueConstraint(fields=["email", "topic"], name="notices_sub_email_topic"),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="notices_sub_email_lowercase"
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="notices_sub_confirmed_has_date",
            ),
        ]
        indexes = [models.Index(fields=["topic", "status", "frequency"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.topic}"


class Notice(models.Model):
    """Something was published on a topic: the outbox row, written in the publisher's transaction.

    `kind` names the renderer the domain app registered; `payload` holds the plain ids it needs.
    `fanned_out_at` is set once the deliveries exist; a notice without it is left to the sweep.
    """

    topic = models.CharField(_("emne"), max_length=200)
    kind = models.CharField(_("slags"), max_length=100)
    payload = models.JSONField(_("data"), default=dict, blank=True)
    # People the notice is addressed to whatever their subscriptions ([email, user id] pairs),
    # e.g. the respondents of a written round; they cannot opt out of what they are asked.
    addressees = models.JSONField(_("adressater"), default=list, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("oprettet af"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    fanned_out_at = models.DateTimeField(_("modtagere fundet"), null=True, blank=True)

    class Meta:
        verbose_name = _("udsendelse")
        verbose_name_plural = _("udsendelser")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["topic", "created_at"]),
            models.Index(
                fields=["created_at"],
                condition=Q(fanned_out_at__isnull=True),
                name="notices_notice_not_fanned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.topic})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Venter")
    CLAIMED = "claimed", _("Sendes")
    SENT = "sent", _("Sendt")
    FAILED = "failed", _("Fejlet")
    CANCELLED = "cancelled", _("Annulleret")


class BaseDelivery(models.Model):
    """One mail to one address, claimed (conditional UPDATE) before it is sent, marked after."""

    email = models.EmailField(_("e-mail"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bruger"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("forsøg"), default=0)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("næste forsøg"), null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("påbegyndt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sendt"), null=True, blank=True)
    last_error = models.TextField(_("seneste fejl"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)

    class Meta:
        abstract = True


class Delivery(BaseDelivery):
    """A notice's mail to one recipient; at most one per notice and address."""

    notice = models.ForeignKey(
        Notice, verbose_name=_("udsendelse"), on_delete=models.CASCADE, related_name="deliveries"
    )

    class Meta:
        verbose_name = _("afsendelse")
        verbose_name_plural = _("afsendelser")
        constraints = [
            models.UniqueConstraint(fields=["notice", "email"], name="notices_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["notice", "status"]),
            models.Index(fields=["status", "claimed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.email} ({self.status})"


class DigestDelivery(BaseDelivery):
    """The daily or weekly overview to one address for one period: at most one per period."""

    frequency = models.CharField(_("hyppighed"), max_length=20, choices=Frequency.choices)
    period_start = models.DateTimeField(_("periodens start"))
    period_end = models.DateTimeField(_("periodens slutning"))
    notice_ids = models.JSONField(_("udsendelser"), default=list)

    class Meta:
        verbose_name = _("overblik")
        verbose_name_plural = _("overblik")
        constraints = [
            models.UniqueConstraint(
                fields=["email", "frequency", "period_start"], name="notices_digest_once"
            ),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.frequency} {self.period_start:%Y-%m-%d} → {self.email} ({self.status})"
