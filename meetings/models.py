"""Meetings of the bodies: agendas (dagsordener), items (punkter), attendance, attachments (bilag)
and minutes (referater).

A meeting moves draft → agenda published → minutes draft → minutes published. The agenda's and
the minutes' publications are separate facts with their own times; who may see what in each
state is decided in `meetings.visibility` and nowhere else. Writes go through
`meetings.services`, which sanitise rich text and renumber items.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from organizations.models import Body, Person

if TYPE_CHECKING:
    import datetime

    from django.db.models.fields.related_descriptors import RelatedManager


class MeetingState(models.TextChoices):
    DRAFT = "draft", _("Kladde")
    AGENDA_PUBLISHED = "agenda_published", _("Dagsorden offentliggjort")
    MINUTES_DRAFT = "minutes_draft", _("Referat under udarbejdelse")
    MINUTES_PUBLISHED = "minutes_published", _("Referat offentliggjort")


# States in which the agenda has been published (and so is public to those who see the meeting).
AGENDA_PUBLISHED_STATES = (
    MeetingState.AGENDA_PUBLISHED,
    MeetingState.MINUTES_DRAFT,
    MeetingState.MINUTES_PUBLISHED,
)


class Meeting(TimeStampedModel):
    """A meeting (møde) of a body: time, place, sagsnr./dok.nr., attendance and an agenda.

    `sequence` counts the published changes (for the iCal SEQUENCE): it is bumped whenever
    something that others can already see changes.
    """

    body = models.ForeignKey(
        Body, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("organ")
    )
    title = models.CharField(_("titel"), max_length=200)
    starts_at = models.DateTimeField(_("starter"))
    ends_at = models.DateTimeField(_("slutter"))
    place = models.CharField(_("sted"), max_length=200, blank=True)
    case_number = models.CharField(_("sagsnr."), max_length=40, blank=True)
    document_number = models.CharField(_("dok.nr."), max_length=40, blank=True)
    cancelled = models.BooleanField(_("aflyst"), default=False)
    state = models.CharField(
        _("status"), max_length=20, choices=MeetingState.choices, default=MeetingState.DRAFT
    )
    agenda_published_at = models.DateTimeField(_("dagsorden offentliggjort"), null=True, blank=True)
    minutes_published_at = models.DateTimeField(_("referat offentliggjort"), null=True, blank=True)
    minutes_corrected_at = models.DateTimeField(_("referat rettet"), null=True, blank=True)
    sequence = models.PositiveIntegerField(_("version"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oprettet af"),
    )

    if TYPE_CHECKING:
        items: RelatedManager[AgendaItem]
        attendances: RelatedManager[Attendance]
        minutes_revisions: RelatedManager[MinutesRevision]
        minutes_reminders: RelatedManager[MinutesReminder]

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("møde")
        verbose_name_plural = _("møder")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(state=MeetingState.DRAFT) | Q(agenda_published_at__isnull=False),
                name="meeting_published_agenda_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state=MeetingState.MINUTES_PUBLISHED)
                | Q(minutes_published_at__isnull=False),
                name="meeting_published_minutes_have_time",
            ),
        ]
        indexes = [models.Index(fields=["body", "starts_at"]), models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.title} {date_format(self.local_date, 'j. F Y')}"

    @property
    def local_date(self) -> datetime.date:
        """The meeting's date in Danish time: the day memberships are counted on."""
        return timezone.localtime(self.starts_at).date()

    @property
    def agenda_is_published(self) -> bool:
        return self.state in AGENDA_PUBLISHED_STATES

    @property
    def minutes_are_published(self) -> bool:
        return self.state == MeetingState.MINUTES_PUBLISHED

    def clean(self) -> None:
        super().clean()
        # The check constraint says the same; this says it in Danish, at the field.
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": _("Mødet kan ikke slutte, før det begynder.")})


class AttendanceStatus(models.TextChoices):
    INVITED = "invited", _("Indkaldt")
    APOLOGIES = "apologies", _("Afbud")
    PRESENT = "present", _("Til stede")


class Attendance(models.Model):
    """One person at one meeting: invited (from the body's memberships on the meeting date, or
    as a guest), sent apologies (afbud, possibly with a substitute), or present."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("møde")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("person")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.INVITED,
    )
    substitute = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("stedfortræder"),
    )
    is_guest = models.BooleanField(_("gæst"), default=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registreret af"),
    )
    registered_at = models.DateTimeField(_("registreret"), null=True, blank=True)

    class Meta:
        ordering = ["meeting", "person__name"]
        verbose_name = _("deltagelse")
        verbose_name_plural = _("deltagelser")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="attendance_unique_person"),
            models.CheckConstraint(
                condition=Q(substitute__isnull=True) | ~Q(substitute=models.F("person")),
                name="attendance_substitute_not_self",
            ),
            models.CheckConstraint(
                condition=Q(substitute__isnull=True) | Q(status=AttendanceStatus.APOLOGIES),
                name="attendance_substitute_only_with_apologies",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_status_display()}"


class ItemKind(models.TextChoices):
    DECISION = "beslutning", _("Beslutning")
    DISCUSSION = "droeftelse", _("Drøftelse")
    INFORMATION = "orientering", _("Orientering")


class AgendaItem(TimeStampedModel):
    """An item (punkt) on a meeting's agenda, or a sub-item of one (one level: "3.a").

    `number` is computed by `services.agenda_renumber` from the order, never typed. A closed
    item (lukket punkt) is personal or commercially sensitive: only the body's members and the
    secretariat read it; everyone else sees its number and "Lukket punkt".
    """

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="items", verbose_name=_("møde")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("underpunkt til"),
    )
    order = models.PositiveIntegerField(_("rækkefølge"))
    number = models.CharField(_("nummer"), max_length=12, editable=False, default="")
    title = models.CharField(_("titel"), max_length=300)
    kind = models.CharField(
        _("type"), max_length=20, choices=ItemKind.choices, default=ItemKind.DECISION
    )
    case_text = models.TextField(_("sagsfremstilling"), blank=True)
    presenter = models.CharField(
        _("indleder"),
        max_length=300,
        blank=True,
        help_text=_("Hvem indleder punktet, fx “Formand for FU, Jan Nielsen”."),
    )
    recommendation = models.TextField(_("indstilling"), blank=True)
    minutes = models.TextField(_("referat"), blank=True)
    is_closed = models.BooleanField(
        _("lukket punkt"),
        default=False,
        help_text=_("Kun organets medlemmer og sekretariatet kan læse et lukket punkt."),
    )
    follows_up = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("opfølgning på punkt"),
    )
    follows_up_meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="approved_in_items",
        verbose_name=_("godkender referat fra møde"),
    )
    is_standing = models.BooleanField(_("fast punkt"), default=False)

    if TYPE_CHECKING:
        children: RelatedManager[AgendaItem]
        attachments: RelatedManager[Attachment]

    class Meta:
        ordering = ["meeting", "order", "pk"]
        verbose_name = _("dagsordenspunkt")
        verbose_name_plural = _("dagsordenspunkter")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "order"],
                condition=Q(parent__isnull=True),
                name="agendaitem_unique_top_order",
            ),
            models.UniqueConstraint(
                fields=["parent", "order"],
                condition=Q(parent__isnull=False),
                name="agendaitem_unique_sub_order",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="agendaitem_not_own_parent"
            ),
            models.CheckConstraint(
                condition=~Q(follows_up=models.F("pk")), name="agendaitem_not_own_follow_up"
            ),
        ]
        indexes = [
            # The few closed items, for "is the parent closed?" (meetings.visibility) without
            # reading the whole items table.
            models.Index(fields=["id"], condition=Q(is_closed=True), name="agendaitem_closed"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title

    def clean(self) -> None:
        super().clean()
        if self.parent_id is None:
            return
        parent = self.parent
        if parent is None:  # pragma: no cover - parent_id set means parent loads
            return
        if parent.meeting_id != self.meeting_id:
            raise ValidationError({"parent": _("Et underpunkt skal høre til samme møde.")})
        if parent.parent_id is not None:
            raise ValidationError(
                {"parent": _("Et underpunkt kan ikke have egne underpunkter (kun ét niveau).")}
            )


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """meetings/attachments/<year>/<random>.<ext>: the stored name never carries the uploader's
    file name (that is kept in `original_name`), so paths cannot be guessed."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    year = timezone.localdate().year
    return f"meetings/attachments/{year}/{uuid.uuid4().hex}{suffix}"


class ExtractionStatus(models.TextChoices):
    PENDING = "pending", _("Venter")
    DONE = "done", _("Udtrukket")
    FAILED = "failed", _("Fejlet")


class Attachment(models.Model):
    """An attachment (bilag) to an agenda item. Its type is decided by its content, never by
    its name; its text is extracted in the background for search."""

    item = models.ForeignKey(
        AgendaItem,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("dagsordenspunkt"),
    )
    file = models.FileField(_("fil"), upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("filnavn"), max_length=255)
    content_type = models.CharField(_("filtype"), max_length=100)
    size = models.PositiveBigIntegerField(_("størrelse (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    extracted_text = models.TextField(_("udtrukket tekst"), blank=True)
    extraction_status = models.CharField(
        _("tekstudtræk"),
        max_length=20,
        choices=ExtractionStatus.choices,
        default=ExtractionStatus.PENDING,
    )
    extractor = models.CharField(
        _("udtrukket med"),
        max_length=20,
        blank=True,
        help_text=_("Det program, der udtrak teksten, fx pdftotext eller pypdf."),
    )
    extraction_error = models.CharField(_("fejl ved tekstudtræk"), max_length=500, blank=True)
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
        ordering = ["item", "uploaded_at", "pk"]
        verbose_name = _("bilag")
        verbose_name_plural = _("bilag")

    def __str__(self) -> str:
        return self.original_name


class MinutesRevision(models.Model):
    """A correction of published minutes: who changed them, when and why, and the minutes of
    the items as they were before. Published minutes are never changed silently."""

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.CASCADE,
        related_name="minutes_revisions",
        verbose_name=_("møde"),
    )
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rettet af"),
    )
    revised_at = models.DateTimeField(_("rettet"), default=timezone.now)
    reason = models.TextField(_("begrundelse"))
    snapshot = models.JSONField(
        _("referat før rettelsen"),
        default=dict,
        help_text=_("Punkternes referat før rettelsen, efter punktets id."),
    )

    class Meta:
        ordering = ["meeting", "revised_at"]
        get_latest_by = "revised_at"
        verbose_name = _("rettelse af referat")
        verbose_name_plural = _("rettelser af referat")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="minutesrevision_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} – {date_format(timezone.localtime(self.revised_at), 'j. F Y')}"


class MinutesReminder(models.Model):
    """A reminder to the secretariat that a meeting's minutes were not published `days` days
    after the meeting. The row is the claim: one per (meeting, days), written in the transaction
    that records the reminder's notice, so a reminder task that runs twice sends nothing more."""

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.CASCADE,
        related_name="minutes_reminders",
        verbose_name=_("møde"),
    )
    days = models.PositiveSmallIntegerField(_("dage efter mødet"))
    sent_at = models.DateTimeField(_("sendt"), default=timezone.now)

    class Meta:
        ordering = ["meeting", "days"]
        verbose_name = _("påmindelse om referat")
        verbose_name_plural = _("påmindelser om referat")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "days"], name="minutesreminder_once_per_threshold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} – {self.days}"


class DocumentKind(models.TextChoices):
    AGENDA = "agenda", _("Dagsorden")
    MINUTES = "minutes", _("Referat")
    BUNDLE = "bundle", _("Bilagspakke")


class Audience(models.TextChoices):
    """Whom a rendered document is for: the public version leaves closed items out."""

    PUBLIC = "public", _("Offentlig udgave")
    FULL = "full", _("Udgave for medlemmer")


def document_upload_to(instance: MeetingDocument, filename: str) -> str:
    return f"meetings/documents/{instance.meeting_id}/{uuid.uuid4().hex}.pdf"


class MeetingDocument(models.Model):
    """A PDF rendered once per published version of a meeting (`Meeting.sequence`), stored and
    served from storage after that. A document of an older sequence is never served."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="documents", verbose_name=_("møde")
    )
    kind = models.CharField(_("dokument"), max_length=10, choices=DocumentKind.choices)
    audience = models.CharField(_("udgave"), max_length=10, choices=Audience.choices)
    sequence = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("fil"), upload_to=document_upload_to, max_length=200)
    size = models.PositiveBigIntegerField(_("størrelse (bytes)"), default=0)
    page_count = models.PositiveIntegerField(_("sider"), default=0)
    rendered_at = models.DateTimeField(_("dannet"), default=timezone.now)

    class Meta:
        ordering = ["meeting", "kind", "audience", "-sequence"]
        verbose_name = _("mødedokument")
        verbose_name_plural = _("mødedokumenter")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "kind", "audience", "sequence"],
                name="meetingdocument_one_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.meeting} – {self.get_kind_display()} ({self.get_audience_display()})"


class Milestone(TimeStampedModel):
    """A recurring point in the annual wheel (årshjul): the November conference, DASSOS in March,
    the steering agreement decided in October … It recurs every year on its month (and day)."""

    title = models.CharField(_("titel"), max_length=200)
    description = models.TextField(_("beskrivelse"), blank=True)
    month = models.PositiveSmallIntegerField(_("måned"))
    day = models.PositiveSmallIntegerField(
        _("dag"), null=True, blank=True, help_text=_("Tom, hvis milepælen gælder hele måneden.")
    )
    body = models.ForeignKey(
        Body,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="milestones",
        verbose_name=_("organ"),
    )
    order = models.PositiveIntegerField(_("rækkefølge"), default=0)

    class Meta:
        ordering = ["month", "day", "order", "title"]
        verbose_name = _("milepæl i årshjulet")
        verbose_name_plural = _("milepæle i årshjulet")
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="milestone_month_valid"
            ),
            models.CheckConstraint(
                condition=Q(day__isnull=True) | Q(day__gte=1, day__lte=31),
                name="milestone_day_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CalendarFeedToken(models.Model):
    """The secret in a member's private calendar URL (their own meetings). Replacing it makes the
    old URL stop working."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed_token",
        verbose_name=_("bruger"),
    )
    token = models.CharField(_("nøgle"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("oprettet"), default=timezone.now)

    class Meta:
        verbose_name = _("kalendernøgle")
        verbose_name_plural = _("kalendernøgler")

    def __str__(self) -> str:
        return str(self.user)
