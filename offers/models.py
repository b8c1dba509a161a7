"""The offer registry (tilbudsoversigt): the offers covered by the framework agreement, their
capacity over time, and the lifecycle events behind every change.

Capacity is effective-dated rows (`Capacity`), never an overwritten number: the places on any
date are answerable (`offers.rules.places_on`). Each change of substance is a
`LifecycleEvent` with its date of effect, when it was announced, why, what it costs, and what
decided it (an agenda item or a written round). A municipal editor proposes; the secretariat
confirms; a change proposed in a written round takes effect when the round is approved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from meetings.models import AgendaItem
from organizations.models import Municipality, Region
from rounds.models import WrittenRound

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


class AgreementPeriod(models.Model):
    """An agreement period (rammeaftaleperiode) of a region, with the notice periods its
    steering agreement (styringsaftale) sets for changes to offers, in months."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="agreement_periods", verbose_name=_("region")
    )
    name = models.CharField(_("navn"), max_length=100)
    start_date = models.DateField(_("fra"))
    end_date = models.DateField(_("til"))
    notice_months_opening = models.PositiveSmallIntegerField(
        _("varsel ved oprettelse (måneder)"), default=6
    )
    notice_months_capacity = models.PositiveSmallIntegerField(
        _("varsel ved kapacitetsændring (måneder)"), default=6
    )
    notice_months_closure = models.PositiveSmallIntegerField(
        _("varsel ved lukning (måneder)"), default=12
    )
    notice_months_redesignation = models.PositiveSmallIntegerField(
        _("varsel ved ommærkning (måneder)"), default=6
    )
    notice_months_operator = models.PositiveSmallIntegerField(
        _("varsel ved skift af driftsherre (måneder)"), default=12
    )

    class Meta:
        ordering = ["region", "-start_date"]
        verbose_name = _("aftaleperiode")
        verbose_name_plural = _("aftaleperioder")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="period_unique_name"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Law(models.TextChoices):
    SEL = "SEL", _("Serviceloven")
    BARNETS_LOV = "BL", _("Barnets lov")
    ALMENBOLIG = "ABL", _("Almenboligloven")
    FOLKESKOLE = "FSL", _("Folkeskoleloven")
    SPECIALUNDERVISNING = "LSV", _("Lov om specialundervisning for voksne")
    STU = "STU", _("Lov om ungdomsuddannelse for unge med særlige behov")


LAW_SHORT = {
    Law.SEL: "SEL",
    Law.BARNETS_LOV: "Barnets lov",
    Law.ALMENBOLIG: "Almenboligloven",
    Law.FOLKESKOLE: "Folkeskoleloven",
    Law.SPECIALUNDERVISNING: "Specialundervisningsloven",
    Law.STU: "STU-loven",
}


class LegalBasis(models.Model):
    """A paragraph an offer is given under (lovgrundlag), e.g. "SEL § 108" or "Barnets lov
    § 43, stk. 3": a maintained table, not free text."""

    law = models.CharField(_("lov"), max_length=10, choices=Law.choices)
    paragraph = models.CharField(
        _("paragraf"), max_length=40, help_text=_("Fx “108” eller “43, stk. 3”.")
    )
    title = models.CharField(_("betegnelse"), max_length=200, blank=True)
    is_active = models.BooleanField(_("i brug"), default=True)
    order = models.PositiveIntegerField(_("rækkefølge"), default=0)

    class Meta:
        ordering = ["order", "law", "paragraph"]
        verbose_name = _("lovgrundlag")
        verbose_name_plural = _("lovgrundlag")
        constraints = [
            models.UniqueConstraint(fields=["law", "paragraph"], name="legalbasis_unique"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{LAW_SHORT.get(Law(self.law), self.law)} § {self.paragraph}"


class TargetGroup(models.Model):
    """A target group (målgruppe) from the maintained list."""

    name = models.CharField(_("navn"), max_length=150, unique=True)
    is_active = models.BooleanField(_("i brug"), default=True)
    order = models.PositiveIntegerField(_("rækkefølge"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("målgruppe")
        verbose_name_plural = _("målgrupper")

    def __str__(self) -> str:
        return self.name


class Area(models.TextChoices):
    CHILDREN = "boern", _("Børn og unge")
    ADULTS = "voksne", _("Voksne")
    SPECIAL_EDUCATION = "specialundervisning", _("Specialundervisning")


class OfferType(models.TextChoices):
    RESIDENTIAL = "doegn", _("Døgntilbud")
    HOUSING = "bolig", _("Botilbud")
    DAY = "dag", _("Dagtilbud")
    RESPITE = "aflastning", _("Aflastning")
    EDUCATION = "undervisning", _("Undervisningstilbud")
    COUNSELLING = "raadgivning", _("Rådgivning og behandling")
    SECURE = "sikret", _("Sikret institution")


class Coverage(models.TextChoices):
    NATIONAL = "landsdaekkende", _("Landsdækkende")
    REGIONAL = "regional", _("Regional")
    LOCAL = "lokal", _("Lokal")


class OfferStatus(models.TextChoices):
    PLANNED = "planlagt", _("Planlagt")
    ACTIVE = "aktiv", _("I drift")
    CLOSING = "lukker", _("Under afvikling")
    CLOSED = "lukket", _("Lukket")


class Offer(TimeStampedModel):
    """An offer (tilbud) covered by — or known to — the framework agreement.

    The operator (driftsherre) is a municipality or the region: exactly one of the two.
    `tilbudsportalen_id` is the national registry's id, unique when present.
    """

    name = models.CharField(_("navn"), max_length=200)
    tilbudsportalen_id = models.CharField(
        _("Tilbudsportalen-id"), max_length=20, blank=True, db_index=True
    )
    operator_municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="operated_offers",
        verbose_name=_("driftsherre (kommune)"),
    )
    operator_region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="operated_offers",
        verbose_name=_("driftsherre (region)"),
    )
    location = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="located_offers",
        verbose_name=_("beliggenhedskommune"),
    )
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("postnummer"), max_length=4, blank=True)
    city = models.CharField(_("by"), max_length=100, blank=True)
    area = models.CharField(_("område"), max_length=30, choices=Area.choices)
    offer_type = models.CharField(_("tilbudstype"), max_length=20, choices=OfferType.choices)
    legal_bases = models.ManyToManyField(
        LegalBasis, related_name="offers", verbose_name=_("lovgrundlag")
    )
    target_groups = models.ManyToManyField(
        TargetGroup, related_name="offers", blank=True, verbose_name=_("målgrupper")
    )
    is_covered = models.BooleanField(_("omfattet af styringsaftalen"), default=True, db_index=True)
    steering_category = models.CharField(
        _("kategori i styringsaftalen"),
        max_length=100,
        blank=True,
        help_text=_("Fx “Højt specialiserede tilbud” eller “Øvrige tilbud med takst”."),
    )
    coverage = models.CharField(
        _("dækning"), max_length=20, choices=Coverage.choices, default=Coverage.REGIONAL
    )
    description = models.TextField(_("beskrivelse"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OfferStatus.choices, default=OfferStatus.ACTIVE
    )
    agreement_periods = models.ManyToManyField(
        AgreementPeriod, related_name="offers", blank=True, verbose_name=_("aftaleperioder")
    )

    if TYPE_CHECKING:
        capacities: RelatedManager[Capacity]
        events: RelatedManager[LifecycleEvent]

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("tilbud")
        verbose_name_plural = _("tilbud")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(operator_municipality__isnull=False, operator_region__isnull=True)
                    | Q(operator_municipality__isnull=True, operator_region__isnull=False)
                ),
                name="offer_one_operator",
            ),
            models.UniqueConstraint(
                fields=["tilbudsportalen_id"],
                condition=~Q(tilbudsportalen_id=""),
                name="offer_unique_tilbudsportalen_id",
                violation_error_message=_(
                    "Der findes allerede et tilbud med dette Tilbudsportalen-id."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["area", "status"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("offers:detail", args=[self.pk])

    @property
    def operator(self) -> Municipality | Region | None:
        return self.operator_municipality or self.operator_region

    @property
    def is_regional(self) -> bool:
        return self.operator_region_id is not None


class CapacityKind(models.TextChoices):
    ORDINARY = "normering", _("Normering")
    OVER_OCCUPANCY = "overbelaegning", _("Midlertidig overbelægning")


class Capacity(models.Model):
    """Places (pladser) from a date: an ordinary row holds until the next ordinary row for the
    same offer and legal basis; a temporary over-occupancy row adds places between its dates.
    Rows are never changed once written: a change is a new row."""

    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, related_name="capacities", verbose_name=_("tilbud")
    )
    kind = models.CharField(
        _("art"), max_length=20, choices=CapacityKind.choices, default=CapacityKind.ORDINARY
    )
    legal_basis = models.ForeignKey(
        LegalBasis,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lovgrundlag"),
        help_text=_("Tom: pladserne gælder tilbuddet som helhed."),
    )
    valid_from = models.DateField(_("fra"))
    valid_to = models.DateField(_("til og med"), null=True, blank=True)
    places = models.PositiveIntegerField(_("pladser"))
    event = models.ForeignKey(
        "LifecycleEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="capacities",
        verbose_name=_("hændelse"),
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oprettet af"),
    )

    class Meta:
        ordering = ["offer", "valid_from", "pk"]
        verbose_name = _("kapacitet")
        verbose_name_plural = _("kapacitet")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=CapacityKind.ORDINARY) & Q(valid_to__isnull=True))
                | (Q(kind=CapacityKind.OVER_OCCUPANCY) & Q(valid_to__isnull=False)),
                name="capacity_end_only_for_over_occupancy",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="capacity_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["offer", "valid_from"],
                condition=Q(kind=CapacityKind.ORDINARY, legal_basis__isnull=True),
                name="capacity_unique_ordinary_date",
            ),
            models.UniqueConstraint(
                fields=["offer", "legal_basis", "valid_from"],
                condition=Q(kind=CapacityKind.ORDINARY, legal_basis__isnull=False),
                name="capacity_unique_ordinary_basis_date",
            ),
        ]
        indexes = [models.Index(fields=["offer", "kind", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.offer}: {self.places} ({self.valid_from})"


class EventKind(models.TextChoices):
    OPENING = "oprettelse", _("Oprettelse")
    CAPACITY = "kapacitet", _("Kapacitetsændring")
    OVER_OCCUPANCY = "overbelaegning", _("Midlertidig overbelægning")
    CLOSURE = "lukning", _("Lukning")
    REDESIGNATION = "ommaerkning", _("Ommærkning af pladser")
    TAKEOVER = "overtagelse", _("Kommunal overtagelse (SEL § 186)")
    OPERATOR = "driftsherre", _("Skift af driftsherre")


class EventState(models.TextChoices):
    PROPOSED = "foreslaaet", _("Foreslået")
    CONFIRMED = "bekraeftet", _("Bekræftet")
    REJECTED = "afvist", _("Afvist")


class LifecycleEvent(TimeStampedModel):
    """A change to an offer (opening, capacity change, closure, re-designation, takeover, change
    of operator), with its date of effect, when it was announced, why and at what cost, and what
    decided or announced it. A proposed event changes nothing; confirming it writes the capacity
    rows and the offer's new status or operator (`offers.services.event_confirm`).

    `notice_due` is the date by which it should have been announced under the agreement
    period's notice rules (or SEL § 186 for a takeover); `announced_late` says it was not.
    """

    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, related_name="events", verbose_name=_("tilbud")
    )
    kind = models.CharField(_("hændelse"), max_length=20, choices=EventKind.choices)
    state = models.CharField(
        _("status"), max_length=20, choices=EventState.choices, default=EventState.PROPOSED
    )
    effective_date = models.DateField(_("gældende fra"))
    end_date = models.DateField(
        _("gældende til og med"),
        null=True,
        blank=True,
        help_text=_("Kun for midlertidig overbelægning."),
    )
    announced_on = models.DateField(_("varslet"))
    places = models.PositiveIntegerField(
        _("pladser"),
        null=True,
        blank=True,
        help_text=_("Pladser efter ændringen (eller antal ommærkede / ekstra pladser)."),
    )
    legal_basis = models.ForeignKey(
        LegalBasis,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lovgrundlag"),
    )
    to_legal_basis = models.ForeignKey(
        LegalBasis,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ommærkes til lovgrundlag"),
    )
    new_operator_municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ny driftsherre (kommune)"),
    )
    new_operator_region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ny driftsherre (region)"),
    )
    justification = models.TextField(_("begrundelse"), blank=True)
    economic_consequences = models.TextField(_("økonomiske konsekvenser"), blank=True)
    decided_by_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offer_events",
        verbose_name=_("besluttet under dagsordenspunkt"),
    )
    decided_by_round = models.ForeignKey(
        WrittenRound,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offer_events",
        verbose_name=_("besluttet i skriftlig høring"),
    )
    notice_due = models.DateField(_("skulle varsles senest"), null=True, blank=True)
    announced_late = models.BooleanField(_("varslet for sent"), default=False, db_index=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("foreslået af"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("afgjort af"),
    )
    decided_at = models.DateTimeField(_("afgjort"), null=True, blank=True)
    decision_note = models.TextField(_("bemærkning til afgørelsen"), blank=True)

    if TYPE_CHECKING:
        capacities: RelatedManager[Capacity]

    class Meta:
        ordering = ["offer", "effective_date", "pk"]
        verbose_name = _("hændelse for tilbud")
        verbose_name_plural = _("hændelser for tilbud")
        constraints = [
            models.CheckConstraint(
                condition=Q(state=EventState.PROPOSED) | Q(decided_at__isnull=False),
                name="offerevent_decided_has_time",
            ),
            models.CheckConstraint(
                condition=Q(new_operator_municipality__isnull=True)
                | Q(new_operator_region__isnull=True),
                name="offerevent_one_new_operator",
            ),
        ]
        indexes = [models.Index(fields=["state", "effective_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.offer} ({self.effective_date})"

    @property
    def decision_source(self) -> AgendaItem | WrittenRound | None:
        return self.decided_by_item or self.decided_by_round


class ImportState(models.TextChoices):
    PREVIEW = "preview", _("Til gennemsyn")
    QUEUED = "queued", _("Venter")
    RUNNING = "running", _("I gang")
    DONE = "done", _("Gennemført")
    FAILED = "failed", _("Fejlet")


class ImportJob(models.Model):
    """An upload of offers from a Tilbudsportalen-like export (CSV or XLSX), kept from the
    preview to the import so that what is applied is the very file that was checked (its
    SHA-256 is recorded). The import itself runs in the background and counts its progress in
    `processed` of `total` rows (`offers.importers`)."""

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
    import_date = models.DateField(_("importdato"), null=True, blank=True)
    started_at = models.DateTimeField(_("startet"), null=True, blank=True)
    finished_at = models.DateTimeField(_("afsluttet"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import af tilbud")
        verbose_name_plural = _("importer af tilbud")
        constraints = [
            models.CheckConstraint(
                condition=Q(processed__lte=models.F("total")), name="importjob_progress_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("offers:import_job", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.state in (ImportState.QUEUED, ImportState.RUNNING)

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 0
