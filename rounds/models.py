"""Written rounds (skriftlig høring): a proposal to a body between its meetings.

A round is approved if nobody objects by the deadline; one objection refers it to the body's
next meeting, where a follow-up agenda item is added. Respondents are people (usually one per
member organisation of the body); an answer can be changed until the deadline; every step is
kept as a `RoundEvent`.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from meetings.models import AgendaItem
from organizations.models import Body, Municipality, Person, Region

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


class RoundState(models.TextChoices):
    DRAFT = "draft", _("Kladde")
    OPEN = "open", _("I høring")
    APPROVED = "approved", _("Godkendt")
    REFERRED = "referred", _("Henvist til næste møde")
    WITHDRAWN = "withdrawn", _("Trukket tilbage")


# States in which the round is over: its outcome is recorded and may be announced.
CLOSED_STATES = (RoundState.APPROVED, RoundState.REFERRED, RoundState.WITHDRAWN)


class WrittenRound(TimeStampedModel):
    """A written round (skriftlig høring) of a body: a proposal, who is asked, a deadline.

    The proposer is a municipality or the region (at most one of them). `deadline` is a moment
    (Danish time); `decided_on` is the date of the decision: the deadline's date when the round
    is resolved at its deadline (even if the workers ran late), the day of an early close
    otherwise. A confidential round's outcome is shown only to the body and the secretariat.
    """

    body = models.ForeignKey(
        Body, on_delete=models.PROTECT, related_name="written_rounds", verbose_name=_("organ")
    )
    title = models.CharField(_("titel"), max_length=300)
    proposal = models.TextField(_("forslag"))
    justification = models.TextField(_("begrundelse"), blank=True)
    proposed_decision = models.TextField(
        _("forslag til beslutning"),
        blank=True,
        help_text=_("Den beslutning, der træffes, hvis ingen gør indsigelse."),
    )
    proposer_municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("forslagsstiller (kommune)"),
    )
    proposer_region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("forslagsstiller (region)"),
    )
    deadline = models.DateTimeField(_("svarfrist"))
    is_confidential = models.BooleanField(
        _("fortrolig"),
        default=False,
        help_text=_("Resultatet vises kun for organets medlemmer og sekretariatet."),
    )
    state = models.CharField(
        _("status"), max_length=20, choices=RoundState.choices, default=RoundState.DRAFT
    )
    sent_at = models.DateTimeField(_("sendt"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sendt af"),
    )
    auto_reminder_sent_at = models.DateTimeField(
        _("automatisk påmindelse sendt"), null=True, blank=True
    )
    resolved_at = models.DateTimeField(_("afgjort"), null=True, blank=True)
    decided_on = models.DateField(_("beslutningsdato"), null=True, blank=True)
    resolution = models.TextField(_("resultat"), blank=True)
    follow_up_item = models.OneToOneField(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="written_round",
        verbose_name=_("opfølgningspunkt"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oprettet af"),
    )

    if TYPE_CHECKING:
        respondents: RelatedManager[Respondent]
        attachments: RelatedManager[RoundAttachment]
        events: RelatedManager[RoundEvent]

    class Meta:
        ordering = ["-deadline", "-pk"]
        verbose_name = _("skriftlig høring")
        verbose_name_plural = _("skriftlige høringer")
        constraints = [
            models.CheckConstraint(
                condition=Q(proposer_municipality__isnull=True) | Q(proposer_region__isnull=True),
                name="round_one_proposer",
            ),
            models.CheckConstraint(
                condition=Q(state=RoundState.DRAFT)
                | Q(sent_at__isnull=False)
                | Q(state=RoundState.WITHDRAWN),
                name="round_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[RoundState.APPROVED, RoundState.REFERRED])
                | (Q(resolved_at__isnull=False) & Q(decided_on__isnull=False)),
                name="round_resolved_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["body", "deadline"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("rounds:detail", args=[self.pk])

    @property
    def proposer(self) -> Municipality | Region | None:
        return self.proposer_municipality or self.proposer_region

    @property
    def is_open(self) -> bool:
        return self.state == RoundState.OPEN

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def deadline_passed(self) -> bool:
        return self.deadline <= timezone.now()


class Answer(models.TextChoices):
    NO_OBJECTION = "no_objection", _("Ingen bemærkninger")
    OBJECTION = "objection", _("Indsigelse / bemærkninger")


class Respondent(models.Model):
    """Someone asked in a round (høringspart), usually the member representing a municipality.

    The answer is the latest one; earlier answers are in the round's events. `answered_by` is
    the login that gave it: the respondent, or a substitute (suppleant) answering for them.
    """

    round = models.ForeignKey(
        WrittenRound,
        on_delete=models.CASCADE,
        related_name="respondents",
        verbose_name=_("høring"),
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    represents = models.CharField(
        _("repræsenterer"),
        max_length=200,
        blank=True,
        help_text=_("Kommunen, regionen eller organisationen, personen svarer for."),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kommune"),
    )
    answer = models.CharField(_("svar"), max_length=20, choices=Answer.choices, blank=True)
    comment = models.TextField(_("bemærkning"), blank=True)
    answered_at = models.DateTimeField(_("svaret"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("svaret af"),
    )
    answered_as_substitute = models.BooleanField(_("svaret af suppleant"), default=False)

    class Meta:
        ordering = ["round", "represents", "pk"]
        verbose_name = _("høringspart")
        verbose_name_plural = _("høringsparter")
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="respondent_unique_person"),
            models.CheckConstraint(
                condition=~Q(answer=Answer.OBJECTION) | ~Q(comment=""),
                name="respondent_objection_has_comment",
            ),
            models.CheckConstraint(
                condition=Q(answer="") | Q(answered_at__isnull=False),
                name="respondent_answer_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.represents})" if self.represents else str(self.person)

    @property
    def has_answered(self) -> bool:
        return bool(self.answer)


def round_attachment_upload_to(instance: RoundAttachment, filename: str) -> str:
    """rounds/<year>/<random>.<ext>: the stored name never carries the uploader's file name."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"rounds/{timezone.localdate().year}/{uuid.uuid4().hex}{suffix}"


class RoundAttachment(models.Model):
    """A file sent with a round (bilag); checked by content like a meeting's attachments."""

    round = models.ForeignKey(
        WrittenRound,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("høring"),
    )
    file = models.FileField(_("fil"), upload_to=round_attachment_upload_to, max_length=200)
    original_name = models.CharField(_("filnavn"), max_length=255)
    content_type = models.CharField(_("filtype"), max_length=100)
    size = models.PositiveBigIntegerField(_("størrelse (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploadet af"),
    )
    uploaded_at = models.DateTimeField(_("uploadet"), default=timezone.now)

    class Meta:
        ordering = ["round", "uploaded_at", "pk"]
        verbose_name = _("bilag til høring")
        verbose_name_plural = _("bilag til høringer")

    def __str__(self) -> str:
        return self.original_name


class EventKind(models.TextChoices):
    CREATED = "created", _("Oprettet")
    CHANGED = "changed", _("Ændret")
    RESPONDENTS = "respondents", _("Høringsparter ændret")
    SENT = "sent", _("Sendt i høring")
    ANSWERED = "answered", _("Svar afgivet")
    ANSWER_CHANGED = "answer_changed", _("Svar ændret")
    REMINDED = "reminded", _("Påmindelse sendt")
    APPROVED = "approved", _("Godkendt")
    REFERRED = "referred", _("Henvist til næste møde")
    FOLLOW_UP = "follow_up", _("Opfølgningspunkt oprettet")
    NO_MEETING = "no_meeting", _("Intet kommende møde")
    WITHDRAWN = "withdrawn", _("Trukket tilbage")


class RoundEvent(models.Model):
    """One step in a round's history: who did what when (answers with their text)."""

    round = models.ForeignKey(
        WrittenRound, on_delete=models.CASCADE, related_name="events", verbose_name=_("høring")
    )
    kind = models.CharField(_("hændelse"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("tidspunkt"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("af"),
    )
    respondent = models.ForeignKey(
        Respondent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("høringspart"),
    )
    detail = models.TextField(_("detaljer"), blank=True)

    class Meta:
        ordering = ["round", "at", "pk"]
        verbose_name = _("hændelse i høring")
        verbose_name_plural = _("hændelser i høringer")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
