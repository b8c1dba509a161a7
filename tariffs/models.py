"""Yearly tariffs (takster) from the common calculation model.

A `TariffSheet` is an offer's tariffs for a year, in versions: draft → submitted (by the
operator's municipal editor) → approved (by the tariff group / secretariat) or returned with a
comment → published. A published sheet is never edited: a correction is a new version (who,
when, why) that replaces it when it is published. Every change of sheets and lines is kept by
django-simple-history.

Each `TariffLine` carries its calculation basis; `tariffs.calculation.compute_tariff` computes
the tariff from it, and the entered amount is compared with that.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from offers.models import AgreementPeriod, ImportState, Offer

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class TariffRules(models.Model):
    """The tariff rules of an agreement period (from its styringsaftale)."""

    period = models.OneToOneField(
        AgreementPeriod,
        on_delete=models.CASCADE,
        related_name="tariff_rules",
        verbose_name=_("aftaleperiode"),
    )
    overhead_percent = models.DecimalField(
        _("overhead (%)"), max_digits=5, decimal_places=2, default=Decimal(6), validators=PERCENT
    )
    settlement_next_year_percent = models.DecimalField(
        _("efterregulering året efter, højst (% af budget)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(5),
        validators=PERCENT,
        help_text=_("Resten af over- eller underskuddet indregnes to år efter."),
    )
    change_warning_percent = models.DecimalField(
        _("advarsel ved ændring i faste priser over (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(5),
        validators=PERCENT,
    )
    occupancy_warning_percent = models.DecimalField(
        _("advarsel ved belægning under (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(85),
        validators=PERCENT,
    )

    class Meta:
        verbose_name = _("takstregler")
        verbose_name_plural = _("takstregler")

    def __str__(self) -> str:
        return str(self.period)


class TariffYear(models.Model):
    """A tariff year: the deadline for submissions and when the year's tariffs were published."""

    year = models.PositiveSmallIntegerField(_("år"), unique=True)
    submission_deadline = models.DateTimeField(_("frist for indberetning"))
    reminder_sent_at = models.DateTimeField(_("påmindelse sendt"), null=True, blank=True)
    published_at = models.DateTimeField(_("offentliggjort"), null=True, blank=True)
    # Bumped whenever what the public sees of the year changes (a publication, a correction):
    # the stored PDF of the overview belongs to one version and is never served for another.
    version = models.PositiveIntegerField(_("version"), default=0)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("takstår")
        verbose_name_plural = _("takstår")

    def __str__(self) -> str:
        return str(self.year)


def overview_upload_to(instance: TariffDocument, filename: str) -> str:
    return f"tariffs/overviews/{instance.year}/{uuid.uuid4().hex}.pdf"


class TariffDocument(models.Model):
    """The PDF of a year's tariff overview (takstoversigt), rendered in a task once per
    `TariffYear.version` and stored; an older version is never served."""

    year = models.PositiveSmallIntegerField(_("år"))
    version = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("fil"), upload_to=overview_upload_to, max_length=200)
    size = models.PositiveBigIntegerField(_("størrelse (bytes)"), default=0)
    page_count = models.PositiveIntegerField(_("sider"), default=0)
    rendered_at = models.DateTimeField(_("dannet"), default=timezone.now)

    class Meta:
        ordering = ["-year", "-version"]
        verbose_name = _("takstoversigt (PDF)")
        verbose_name_plural = _("takstoversigter (PDF)")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "version"], name="tariffdocument_one_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"


class PriceIndex(models.Model):
    """The price-and-wage index (PL-indeks) of a year, for comparisons in fixed prices."""

    year = models.PositiveSmallIntegerField(_("år"), unique=True)
    index = models.DecimalField(
        _("indeks"),
        max_digits=8,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )

    class Meta:
        ordering = ["year"]
        verbose_name = _("PL-indeks")
        verbose_name_plural = _("PL-indeks")

    def __str__(self) -> str:
        return f"{self.year}: {self.index}"


class SheetState(models.TextChoices):
    DRAFT = "kladde", _("Kladde")
    SUBMITTED = "indsendt", _("Indsendt")
    RETURNED = "returneret", _("Returneret")
    APPROVED = "godkendt", _("Godkendt")
    PUBLISHED = "offentliggjort", _("Offentliggjort")
    SUPERSEDED = "erstattet", _("Erstattet af rettelse")


class TariffSheet(models.Model):
    """An offer's tariffs for a year, version `version` (1, then 2… for corrections)."""

    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, related_name="tariff_sheets", verbose_name=_("tilbud")
    )
    year = models.PositiveSmallIntegerField(_("år"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    state = models.CharField(
        _("status"), max_length=20, choices=SheetState.choices, default=SheetState.DRAFT
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("retter version"),
    )
    correction_reason = models.TextField(_("begrundelse for rettelse"), blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oprettet af"),
    )
    submitted_at = models.DateTimeField(_("indsendt"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("indsendt af"),
    )
    reviewed_at = models.DateTimeField(_("behandlet"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("behandlet af"),
    )
    review_comment = models.TextField(_("kommentar fra takstgruppen"), blank=True)
    published_at = models.DateTimeField(_("offentliggjort"), null=True, blank=True)
    history = HistoricalRecords()

    if TYPE_CHECKING:
        lines: RelatedManager[TariffLine]

    class Meta:
        ordering = ["offer", "-year", "-version"]
        verbose_name = _("takstblad")
        verbose_name_plural = _("takstblad")
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "year", "version"], name="tariffsheet_unique_version"
            ),
            # At most one version in the works and one published version per offer and year
            # (a correction is worked on while the published version still holds).
            models.UniqueConstraint(
                fields=["offer", "year"],
                condition=Q(state__in=["kladde", "indsendt", "returneret", "godkendt"]),
                name="tariffsheet_one_in_progress",
            ),
            models.UniqueConstraint(
                fields=["offer", "year"],
                condition=Q(state="offentliggjort"),
                name="tariffsheet_one_published",
            ),
            models.CheckConstraint(
                condition=~Q(state="offentliggjort") | Q(published_at__isnull=False),
                name="tariffsheet_published_has_time",
            ),
        ]
        indexes = [models.Index(fields=["year", "state"])]

    def __str__(self) -> str:
        return f"{self.offer} {self.year} (v{self.version})"

    def get_absolute_url(self) -> str:
        return reverse("tariffs:sheet", args=[self.pk])


class Service(models.TextChoices):
    RESIDENTIAL = "doegnophold", _("Døgnophold")
    DAY = "dagtilbud", _("Dagtilbud")
    RESPITE = "aflastning", _("Aflastning")
    EDUCATION = "undervisning", _("Undervisning")
    SUPPLEMENT = "tillaeg", _("Tillægsydelse")
    LEVEL = "niveau", _("Takstniveau")


class Unit(models.TextChoices):
    DAY_NIGHT = "doegn", _("pr. døgn")
    DAY = "dag", _("pr. dag")
    HOUR = "time", _("pr. time")
    LESSON = "lektion", _("pr. lektion")
    MONTH = "maaned", _("pr. måned")
    YEAR = "aar", _("pr. år")


class TariffLine(models.Model):
    """One tariff of a sheet with its calculation basis.

    `amount` is the tariff the operator sets; for a base + service tariff (grundtakst +
    ydelsestakst) `base_amount` and `service_amount` are its two parts and add up to it.
    `settlement` is the efterregulering carried into this year's costs (+ deficit, − surplus).
    """

    sheet = models.ForeignKey(
        TariffSheet, on_delete=models.CASCADE, related_name="lines", verbose_name=_("takstblad")
    )
    order = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)
    service = models.CharField(_("ydelse"), max_length=20, choices=Service.choices)
    label = models.CharField(
        _("betegnelse"),
        max_length=200,
        blank=True,
        help_text=_("Fx “Niveau 2” eller ydelsens navn."),
    )
    unit = models.CharField(_("enhed"), max_length=10, choices=Unit.choices)
    amount = models.DecimalField(_("takst (kr.)"), max_digits=12, decimal_places=2)
    base_amount = models.DecimalField(
        _("grundtakst (kr.)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    service_amount = models.DecimalField(
        _("ydelsestakst (kr.)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    staff_costs = models.DecimalField(
        _("personaleudgifter (kr.)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    operating_costs = models.DecimalField(
        _("driftsudgifter (kr.)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    indirect_costs = models.DecimalField(
        _("indirekte udgifter (kr.)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    building_costs = models.DecimalField(
        _("bygninger, afskrivning og forrentning (kr.)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    overhead_percent = models.DecimalField(
        _("overhead (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
    )
    places = models.PositiveIntegerField(_("pladser"), null=True, blank=True)
    days = models.PositiveSmallIntegerField(_("dage"), null=True, blank=True)
    occupancy_percent = models.DecimalField(
        _("belægningsprocent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    settlement = models.DecimalField(
        _("efterregulering (kr.)"), max_digits=14, decimal_places=2, default=Decimal(0)
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["sheet", "order", "pk"]
        verbose_name = _("takst")
        verbose_name_plural = _("takster")

    def __str__(self) -> str:
        return f"{self.get_service_display()} {self.amount} {self.get_unit_display()}"


class Settlement(models.Model):
    """A past year's result for an offer (efterregulering): actual revenue and costs against the
    budget, and how it is carried into the next two years' tariffs (computed by
    `tariffs.calculation.split_settlement` with the agreement period's limit)."""

    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("tilbud")
    )
    year = models.PositiveSmallIntegerField(_("regnskabsår"))
    budget = models.DecimalField(_("budget (kr.)"), max_digits=14, decimal_places=2)
    actual_revenue = models.DecimalField(
        _("faktiske indtægter (kr.)"), max_digits=14, decimal_places=2
    )
    actual_costs = models.DecimalField(
        _("faktiske udgifter (kr.)"), max_digits=14, decimal_places=2
    )
    next_year = models.DecimalField(
        _("indregnes året efter (kr.)"), max_digits=14, decimal_places=2
    )
    year_after = models.DecimalField(
        _("indregnes to år efter (kr.)"), max_digits=14, decimal_places=2
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["offer", "-year"]
        verbose_name = _("efterregulering")
        verbose_name_plural = _("efterreguleringer")
        constraints = [
            models.UniqueConstraint(fields=["offer", "year"], name="settlement_unique_year"),
        ]

    def __str__(self) -> str:
        return f"{self.offer} {self.year}"


class TariffImport(models.Model):
    """An upload of a year's tariffs (CSV or XLSX), kept from the preview to the import so that
    what is applied is the very file that was checked (its SHA-256 is recorded). The import
    runs in the background and counts its progress in `processed` of `total` rows
    (`tariffs.importers`). States as an import of offers (`offers.models.ImportState`)."""

    year = models.PositiveSmallIntegerField(_("år"))
    created_at = models.DateTimeField(_("uploadet"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploadet af"),
    )
    file_name = models.CharField(_("filnavn"), max_length=255)
    file_format = models.CharField(_("filformat"), max_length=10)
    size = models.PositiveIntegerField(_("størrelse (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    content = models.BinaryField(_("indhold"))
    state = models.CharField(
        _("status"), max_length=20, choices=ImportState.choices, default=ImportState.PREVIEW
    )
    total = models.PositiveIntegerField(_("rækker i alt"), default=0)
    processed = models.PositiveIntegerField(_("rækker behandlet"), default=0)
    preview = models.JSONField(_("forhåndsvisning"), default=dict, blank=True)
    result = models.JSONField(_("resultat"), default=dict, blank=True)
    errors = models.JSONField(_("fejl"), default=list, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("importeret af"),
    )
    started_at = models.DateTimeField(_("startet"), null=True, blank=True)
    finished_at = models.DateTimeField(_("afsluttet"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import af takster")
        verbose_name_plural = _("importer af takster")
        constraints = [
            models.CheckConstraint(
                condition=Q(processed__lte=models.F("total")),
                name="tariffimport_progress_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} {self.year} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("tariffs:import_job", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.state in (ImportState.QUEUED, ImportState.RUNNING)

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 0
