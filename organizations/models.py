"""Regions, municipalities, bodies, people and their memberships.

Memberships are effective-dated rows: a membership is ended, never deleted, so the composition
of a body on any past date can be answered.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


class Region(models.Model):
    """One of Denmark's five regions (official code 1081–1085)."""

    code = models.CharField(_("regionskode"), max_length=4, unique=True)
    name = models.CharField(_("navn"), max_length=100, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regioner")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organizations:region", args=[self.code])


class Municipality(models.Model):
    """A municipality (kommune) with its official three-digit kommunekode."""

    code = models.CharField(_("kommunekode"), max_length=3, unique=True)
    name = models.CharField(_("navn"), max_length=100, unique=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("region")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{3}$"), name="municipality_code_three_digits"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organizations:municipality", args=[self.code])


class Organization(models.Model):
    """An organisation that is neither a municipality nor a region: KKR, the secretariat, KL."""

    name = models.CharField(_("navn"), max_length=200, unique=True)
    short_name = models.CharField(_("forkortelse"), max_length=40, blank=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
        verbose_name=_("region"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("anden organisation")
        verbose_name_plural = _("andre organisationer")

    def __str__(self) -> str:
        return self.name


class Affiliation(models.Model):
    """Whom a person works for or a member represents: a municipality, a region or another
    organisation — exactly one of them."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kommune"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("anden organisation"),
    )

    class Meta:
        abstract = True

    @property
    def affiliation(self) -> Municipality | Region | Organization | None:
        return self.municipality or self.region or self.organization

    def clean(self) -> None:
        super().clean()
        # The check constraint says the same; this says it in Danish, at the field.
        chosen = [
            name
            for name in ("municipality", "region", "organization")
            if getattr(self, f"{name}_id") is not None
        ]
        if len(chosen) > 1:
            raise ValidationError(
                {
                    chosen[-1]: _(
                        "Vælg højst én af kommune, region og anden organisation – ikke flere."
                    )
                }
            )

    @property
    def affiliation_name(self) -> str:
        target = self.affiliation
        return str(target) if target else ""


def _at_most_one_affiliation(prefix: str) -> models.CheckConstraint:
    filled = [
        Q(municipality__isnull=False, region__isnull=True, organization__isnull=True),
        Q(municipality__isnull=True, region__isnull=False, organization__isnull=True),
        Q(municipality__isnull=True, region__isnull=True, organization__isnull=False),
        Q(municipality__isnull=True, region__isnull=True, organization__isnull=True),
    ]
    condition = filled[0] | filled[1] | filled[2] | filled[3]
    return models.CheckConstraint(condition=condition, name=f"{prefix}_one_affiliation")


class BodyKind(models.TextChoices):
    POLITICAL = "political", _("Politisk")
    ADMINISTRATIVE = "administrative", _("Administrativ")
    NETWORK = "network", _("Netværk")
    CONFERENCE = "conference", _("Konference")
    WORKING_GROUP = "working_group", _("Arbejdsgruppe")


class Body(TimeStampedModel):
    """A body (organ) of the cooperation: DASSOS, Forretningsudvalget, Takstgruppen, K17 …"""

    name = models.CharField(_("navn"), max_length=200)
    short_name = models.CharField(_("kort navn"), max_length=40, blank=True)
    slug = models.SlugField(_("kort adresse"), max_length=80, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=BodyKind.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="bodies", verbose_name=_("region")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("nedsat af"),
    )
    mandate = models.TextField(_("kommissorium"), blank=True)
    meeting_rhythm = models.CharField(_("mødefrekvens"), max_length=200, blank=True)
    is_public = models.BooleanField(
        _("offentligt"),
        default=True,
        help_text=_("Offentlige organer vises for alle; andre kun for medlemmer og sekretariatet."),
    )
    order = models.PositiveIntegerField(_("rækkefølge"), default=0)

    if TYPE_CHECKING:
        memberships: RelatedManager[Membership]
        children: RelatedManager[Body]

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("organ")
        verbose_name_plural = _("organer")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="body_unique_name_in_region"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="body_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organizations:body", args=[self.slug])

    @property
    def display_short_name(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        super().clean()
        if self.parent_id is None or self.pk is None:
            return
        # Walk up from the chosen parent: meeting this body again would make a circle.
        seen: set[int] = set()
        ancestor_id: int | None = self.parent_id
        while ancestor_id is not None and ancestor_id not in seen:
            if ancestor_id == self.pk:
                raise ValidationError(
                    {
                        "parent": _(
                            "Et organ kan ikke være nedsat af sig selv eller af et af sine "
                            "egne underorganer."
                        )
                    }
                )
            seen.add(ancestor_id)
            ancestor_id = (
                Body.objects.filter(pk=ancestor_id).values_list("parent_id", flat=True).first()
            )


class Person(TimeStampedModel, Affiliation):
    """A person in the cooperation. E-mail and phone are never shown to anonymous users."""

    name = models.CharField(_("navn"), max_length=200)
    job_title = models.CharField(_("stilling"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("login"),
    )

    if TYPE_CHECKING:
        memberships: RelatedManager[Membership]

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("personer")
        constraints = [_at_most_one_affiliation("person")]
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organizations:person", args=[self.pk])


class Role(models.TextChoices):
    CHAIR = "formand", _("Formand")
    VICE_CHAIR = "naestformand", _("Næstformand")
    MEMBER = "medlem", _("Medlem")
    SUBSTITUTE = "suppleant", _("Suppleant")
    OBSERVER = "observatoer", _("Observatør")
    SECRETARY = "sekretaer", _("Sekretær")


ROLE_ORDER = [
    Role.CHAIR,
    Role.VICE_CHAIR,
    Role.MEMBER,
    Role.SUBSTITUTE,
    Role.OBSERVER,
    Role.SECRETARY,
]


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active_on(self, day: datetime.date) -> MembershipQuerySet:
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day)

    def ended_before(self, day: datetime.date) -> MembershipQuerySet:
        return self.filter(end_date__lt=day)


class Membership(TimeStampedModel, Affiliation):
    """A person's seat in a body, with a role, whom they represent and the dates it held."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person")
    )
    body = models.ForeignKey(
        Body, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("organ")
    )
    role = models.CharField(_("rolle"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    voting_right = models.BooleanField(_("stemmeret"), default=True)
    start_date = models.DateField(_("fra"))
    end_date = models.DateField(_("til"), null=True, blank=True)
    note = models.CharField(_("bemærkning"), max_length=300, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["body", "start_date"]
        verbose_name = _("medlemskab")
        verbose_name_plural = _("medlemskaber")
        constraints = [
            _at_most_one_affiliation("membership"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["body", "start_date", "end_date"])]

    def __str__(self) -> str:
        return f"{self.person} – {self.body} ({self.get_role_display()})"

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    def clean(self) -> None:
        super().clean()
        # The check constraint says the same; this says it in Danish, at the field.
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {
                    "end_date": _("Slutdatoen kan ikke ligge før startdatoen (%(start)s).")
                    % {"start": date_format(self.start_date, "j. F Y")}
                }
            )


class MunicipalEditor(TimeStampedModel):
    """A login allowed to edit the offers and tariffs of one municipality (used by later apps)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="editor_grants",
        verbose_name=_("login"),
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="editors", verbose_name=_("kommune")
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("givet af"),
    )

    class Meta:
        verbose_name = _("kommunal redaktør")
        verbose_name_plural = _("kommunale redaktører")
        constraints = [
            models.UniqueConstraint(fields=["user", "municipality"], name="editor_unique_grant")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.municipality}"


class ContactFunction(models.TextChoices):
    AUTHORITY = "myndighed", _("Myndighed")
    OPERATOR = "drift", _("Drift")


class ContactArea(models.TextChoices):
    CHILDREN = "boern_unge", _("Børn og unge")
    ADULTS = "voksne", _("Voksne")


class ContactTopic(models.TextChoices):
    GENERAL = "generelt", _("Generelt")
    PAYMENT = "betalingsaftaler", _("Betalingsaftaler")
    DELEGATION = "delegationsaftaler", _("Delegationsaftaler")
    CHANGES = "aendringer", _("Varsling af ændringer i bevillinger")
    TARIFFS = "takster", _("Takster")
    CAPACITY = "kapacitet", _("Kapacitet og tilbud")


class Contact(TimeStampedModel):
    """An entry in the contact directory (seed 000): who to call in a municipality about what."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("kommune")
    )
    function = models.CharField(_("funktion"), max_length=20, choices=ContactFunction.choices)
    area = models.CharField(_("område"), max_length=20, choices=ContactArea.choices)
    topic = models.CharField(_("emne"), max_length=30, choices=ContactTopic.choices)
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="contact_entries", verbose_name=_("person")
    )

    class Meta:
        ordering = ["municipality", "function", "area", "topic"]
        verbose_name = _("kontaktperson")
        verbose_name_plural = _("kontaktpersoner")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "function", "area", "topic", "person"],
                name="contact_unique_entry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.person}"
