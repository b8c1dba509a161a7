"""Forms for the offer registry's staff pages. They validate and say what is wrong in Danish, at
the field; the writes are in offers.services (offers, lifecycle events) and offers.importers.

What a municipal editor may not change (operator, whether the offer is covered, its status,
its agreement periods; the decision behind an event) is not offered to them at all: the form is
built for the user (`secretariat=False`), and the services refuse it anyway.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from meetings.models import AGENDA_PUBLISHED_STATES, AgendaItem, MeetingState
from offers.models import (
    AgreementPeriod,
    Area,
    Coverage,
    EventKind,
    LegalBasis,
    Offer,
    OfferStatus,
    OfferType,
    TargetGroup,
)
from organizations.forms import DateInput, DkfdsMixin
from organizations.models import Municipality, Region
from rounds.models import RoundState, WrittenRound

# How far back (and ahead) the agenda items offered as "decided under" reach.
DECISION_ITEMS_DAYS_BACK = 400
DECISION_ITEMS_DAYS_AHEAD = 120
DECISION_ITEMS_MAX = 300
MAX_NOTICE_MONTHS = 60

Operator = Municipality | Region


def _int_error_messages() -> dict[str, Any]:
    return {"invalid": _("Skriv et helt tal."), "min_value": _("Antallet kan ikke være negativt.")}


def _date_error_messages(required: Any = None) -> dict[str, Any]:
    messages = {"invalid": _("Skriv en gyldig dato, fx 01-07-2027.")}
    if required is not None:
        messages["required"] = required
    return messages


# --- choices loaded once -------------------------------------------------------------------------


class OperatorField(forms.ChoiceField):
    """A municipality or the region, in one list (an offer has exactly one operator)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=(), **kwargs)
        self.targets: dict[str, Operator] = {}

    @staticmethod
    def key(target: Operator | None) -> str:
        if target is None:
            return ""
        prefix = "kommune" if isinstance(target, Municipality) else "region"
        return f"{prefix}:{target.pk}"

    def load(self, empty_label: str) -> None:
        """Fill the list (two queries); called from the form's __init__."""
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        for label, targets in (
            (str(_("Regioner")), list(Region.objects.order_by("code"))),
            (str(_("Kommuner")), list(Municipality.objects.order_by("name"))),
        ):
            options: list[tuple[str, str]] = []
            for target in targets:
                self.targets[self.key(target)] = target
                options.append((self.key(target), str(target)))
            if options:
                groups.append((label, options))
        self.choices = [("", empty_label), *groups]

    def clean(self, value: Any) -> Operator | None:
        key = super().clean(value)
        return self.targets.get(key) if key else None


def split_operator(operator: Operator | None) -> tuple[Municipality | None, Region | None]:
    if isinstance(operator, Municipality):
        return operator, None
    if isinstance(operator, Region):
        return None, operator
    return None, None


class LegalBasisChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        basis: LegalBasis = obj
        return f"{basis.label} – {basis.title}" if basis.title else basis.label


class DecisionItemField(forms.ChoiceField):
    """An agenda item of a recent published meeting, loaded once, labelled
    "<date> – <body> – <number>. <title>"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=(), **kwargs)
        self.items: dict[str, AgendaItem] = {}

    def load(self, items: Iterable[AgendaItem], empty_label: str) -> None:
        self.items = {str(item.pk): item for item in items}
        self.choices = [
            ("", empty_label),
            *((pk, self.label_for(item)) for pk, item in self.items.items()),
        ]

    @staticmethod
    def label_for(item: AgendaItem) -> str:
        meeting = item.meeting
        body = meeting.body.short_name or meeting.body.name
        return f"{date_format(meeting.local_date, 'j. F Y')} – {body} – {item}"

    def clean(self, value: Any) -> AgendaItem | None:
        key = super().clean(value)
        return self.items.get(key) if key else None


def decision_items(*, today: datetime.date | None = None) -> QuerySet[AgendaItem]:
    """Items of published meetings around now: what a change may have been decided under."""
    today = today or timezone.localdate()
    published = [*AGENDA_PUBLISHED_STATES, MeetingState.MINUTES_PUBLISHED]
    return (
        AgendaItem.objects.filter(
            meeting__state__in=published,
            meeting__cancelled=False,
            meeting__starts_at__date__gte=today - datetime.timedelta(days=DECISION_ITEMS_DAYS_BACK),
            meeting__starts_at__date__lte=today
            + datetime.timedelta(days=DECISION_ITEMS_DAYS_AHEAD),
        )
        .select_related("meeting", "meeting__body")
        .order_by("-meeting__starts_at", "meeting_id", "order", "pk")[:DECISION_ITEMS_MAX]
    )


# --- offers --------------------------------------------------------------------------------------


class OfferForm(DkfdsMixin, forms.Form):
    """An offer's facts. For an editor (`secretariat=False`) without operator, covered, status
    and agreement periods; for a new offer (`offer=None`) with its first number of places."""

    SECRETARIAT_ONLY = (
        "operator",
        "is_covered",
        "steering_category",
        "status",
        "agreement_periods",
    )
    CREATE_ONLY = ("places", "places_from")
    # Names the services use → the fields of this form.
    ALIASES = {"operator_municipality": "operator", "operator_region": "operator"}

    name = forms.CharField(
        label=_("Navn"), max_length=200, error_messages={"required": _("Skriv tilbuddets navn.")}
    )
    tilbudsportalen_id = forms.CharField(
        label=_("Tilbudsportalen-id"),
        max_length=20,
        required=False,
        help_text=_("Tilbuddets id i den nationale Tilbudsportalen."),
    )
    operator = OperatorField(
        label=_("Driftsherre"),
        help_text=_("Den kommune eller region, der driver tilbuddet."),
        error_messages={"required": _("Vælg driftsherren.")},
    )
    location = forms.ModelChoiceField(
        label=_("Beliggenhedskommune"),
        queryset=Municipality.objects.order_by("name"),
        empty_label=_("– vælg –"),
        error_messages={
            "required": _("Vælg den kommune, tilbuddet ligger i."),
            "invalid_choice": _("Vælg en kommune på listen."),
        },
    )
    address = forms.CharField(label=_("Adresse"), max_length=200, required=False)
    postal_code = forms.RegexField(
        label=_("Postnummer"),
        regex=r"^\d{4}$",
        required=False,
        error_messages={"invalid": _("Skriv et postnummer med fire cifre, fx 8800.")},
    )
    city = forms.CharField(label=_("By"), max_length=100, required=False)
    area = forms.ChoiceField(label=_("Område"), choices=Area.choices)
    offer_type = forms.ChoiceField(label=_("Tilbudstype"), choices=OfferType.choices)
    legal_bases = LegalBasisChoices(
        label=_("Lovgrundlag"),
        queryset=LegalBasis.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Vælg mindst ét lovgrundlag."),
            "invalid_choice": _("Vælg lovgrundlag på listen."),
        },
    )
    target_groups = forms.ModelMultipleChoiceField(
        label=_("Målgrupper"),
        queryset=TargetGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": _("Vælg målgrupper på listen.")},
    )
    is_covered = forms.BooleanField(
        label=_("Omfattet af styringsaftalen"), required=False, initial=True
    )
    steering_category = forms.CharField(
        label=_("Kategori i styringsaftalen"),
        max_length=100,
        required=False,
        help_text=_("Fx “Højt specialiserede tilbud” eller “Øvrige tilbud med takst”."),
    )
    coverage = forms.ChoiceField(
        label=_("Dækning"), choices=Coverage.choices, initial=Coverage.REGIONAL
    )
    description = forms.CharField(
        label=_("Beskrivelse"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=OfferStatus.choices,
        initial=OfferStatus.ACTIVE,
        help_text=_("Oprettelse og lukning følger ellers af de bekræftede ændringer."),
    )
    agreement_periods = forms.ModelMultipleChoiceField(
        label=_("Aftaleperioder"),
        queryset=AgreementPeriod.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": _("Vælg aftaleperioder på listen.")},
    )
    places = forms.IntegerField(
        label=_("Pladser"),
        min_value=0,
        required=False,
        help_text=_(
            "Antal pladser, når tilbuddet oprettes. Senere ændringer registreres som "
            "ændringer på tilbuddet."
        ),
        error_messages=_int_error_messages(),
    )
    places_from = forms.DateField(
        label=_("Pladserne gælder fra"),
        widget=DateInput(),
        required=False,
        error_messages=_date_error_messages(),
    )

    def __init__(
        self, *args: Any, offer: Offer | None = None, secretariat: bool, **kwargs: Any
    ) -> None:
        self.offer = offer
        if offer is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": offer.name,
                "tilbudsportalen_id": offer.tilbudsportalen_id,
                "operator": OperatorField.key(offer.operator),
                "location": offer.location_id,
                "address": offer.address,
                "postal_code": offer.postal_code,
                "city": offer.city,
                "area": offer.area,
                "offer_type": offer.offer_type,
                "legal_bases": [b.pk for b in offer.legal_bases.all()],
                "target_groups": [g.pk for g in offer.target_groups.all()],
                "is_covered": offer.is_covered,
                "steering_category": offer.steering_category,
                "coverage": offer.coverage,
                "description": offer.description,
                "status": offer.status,
                "agreement_periods": [p.pk for p in offer.agreement_periods.all()],
            }
        elif offer is None:
            kwargs.setdefault("initial", {}).setdefault("places_from", timezone.localdate())
        super().__init__(*args, **kwargs)
        # Only what is in use is offered, but what the offer already has stays ticked.
        current_bases = Q(pk__in=offer.legal_bases.all()) if offer is not None else Q(pk__in=[])
        current_groups = Q(pk__in=offer.target_groups.all()) if offer is not None else Q(pk__in=[])
        self._queryset("legal_bases", LegalBasis.objects.filter(Q(is_active=True) | current_bases))
        self._queryset(
            "target_groups", TargetGroup.objects.filter(Q(is_active=True) | current_groups)
        )
        self._queryset("agreement_periods", AgreementPeriod.objects.select_related("region").all())
        if not secretariat:
            for name in self.SECRETARIAT_ONLY:
                del self.fields[name]
        else:
            operator = self.fields["operator"]
            if isinstance(operator, OperatorField):
                operator.load(str(_("– vælg –")))
        if offer is not None:
            for name in self.CREATE_ONLY:
                del self.fields[name]
        self.style_widgets()

    def _queryset(self, name: str, queryset: QuerySet[Any]) -> None:
        field = self.fields[name]
        if isinstance(field, forms.ModelMultipleChoiceField):
            field.queryset = queryset

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_tilbudsportalen_id(self) -> str:
        value = str(self.cleaned_data["tilbudsportalen_id"]).strip()
        if value:
            other = Offer.objects.filter(tilbudsportalen_id=value)
            if self.offer is not None:
                other = other.exclude(pk=self.offer.pk)
            taken = other.first()
            if taken is not None:
                raise ValidationError(
                    _("Tilbuddet “%(name)s” har allerede Tilbudsportalen-id %(id)s."),
                    code="taken",
                    params={"name": taken.name, "id": value},
                )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("places") is not None
            and "places_from" in self.fields
            and data.get("places_from") is None
            and "places_from" not in self.errors
        ):
            self.add_error("places_from", _("Skriv, fra hvilken dato pladserne gælder."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        names = [
            "name",
            "tilbudsportalen_id",
            "location",
            "address",
            "postal_code",
            "city",
            "area",
            "offer_type",
            "coverage",
            "description",
            "legal_bases",
            "target_groups",
        ]
        kwargs: dict[str, Any] = {name: data[name] for name in names}
        kwargs["legal_bases"] = list(data["legal_bases"])
        kwargs["target_groups"] = list(data["target_groups"])
        if "operator" in self.fields:
            municipality, region = split_operator(data["operator"])
            kwargs["operator_municipality"] = municipality
            kwargs["operator_region"] = region
            kwargs["is_covered"] = data["is_covered"]
            kwargs["steering_category"] = data["steering_category"]
            kwargs["status"] = data["status"]
            kwargs["agreement_periods"] = list(data["agreement_periods"])
        if "places" in self.fields:
            kwargs["places"] = data["places"]
            kwargs["places_from"] = data["places_from"]
        return kwargs


# --- lifecycle events ----------------------------------------------------------------------------


class EventForm(DkfdsMixin, forms.Form):
    """A change to an offer: proposed by its editor, or proposed or recorded as decided by the
    secretariat, who may also tie it to an agenda item or send it in a written round."""

    SECRETARIAT_ONLY = ("decided_by_item", "decided_by_round", "record")
    ALIASES = {
        "new_operator_municipality": "new_operator",
        "new_operator_region": "new_operator",
    }

    kind = forms.ChoiceField(
        label=_("Hvad ændres"),
        choices=EventKind.choices,
        initial=EventKind.CAPACITY,
        error_messages={"required": _("Vælg, hvad der ændres.")},
    )
    effective_date = forms.DateField(
        label=_("Gælder fra"),
        widget=DateInput(),
        error_messages=_date_error_messages(_("Skriv den dato, ændringen gælder fra.")),
    )
    announced_on = forms.DateField(
        label=_("Varslet"),
        widget=DateInput(),
        help_text=_("Den dag, ændringen blev meldt ud. Normalt i dag."),
        error_messages=_date_error_messages(_("Skriv den dato, ændringen blev varslet.")),
    )
    places = forms.IntegerField(
        label=_("Pladser"),
        min_value=0,
        required=False,
        help_text=_(
            "Ved oprettelse og kapacitetsændring: antal pladser efter ændringen. Ved "
            "overbelægning: antal ekstra pladser. Ved ommærkning: antal pladser, der ommærkes."
        ),
        error_messages=_int_error_messages(),
    )
    end_date = forms.DateField(
        label=_("Overbelægningen slutter"),
        widget=DateInput(),
        required=False,
        help_text=_("Kun ved midlertidig overbelægning: den sidste dag med ekstra pladser."),
        error_messages=_date_error_messages(),
    )
    legal_basis = forms.ModelChoiceField(
        label=_("Lovgrundlag"),
        queryset=LegalBasis.objects.none(),
        required=False,
        empty_label=_("– hele tilbuddet –"),
        help_text=_(
            "Hvis pladserne er fordelt på lovgrundlag: det lovgrundlag, ændringen gælder (ved "
            "ommærkning: det, pladserne flyttes fra)."
        ),
        error_messages={"invalid_choice": _("Vælg et lovgrundlag på listen.")},
    )
    to_legal_basis = forms.ModelChoiceField(
        label=_("Ommærkes til lovgrundlag"),
        queryset=LegalBasis.objects.none(),
        required=False,
        empty_label=_("– vælg –"),
        help_text=_("Kun ved ommærkning."),
        error_messages={"invalid_choice": _("Vælg et lovgrundlag på listen.")},
    )
    new_operator = OperatorField(
        label=_("Ny driftsherre"),
        required=False,
        help_text=_("Kun ved overtagelse og skift af driftsherre."),
        error_messages={"invalid_choice": _("Vælg en kommune eller region på listen.")},
    )
    justification = forms.CharField(
        label=_("Begrundelse"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Skriv, hvorfor tilbuddet ændres.")},
    )
    economic_consequences = forms.CharField(
        label=_("Økonomiske konsekvenser"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Fx betydning for taksten og for de kommuner, der køber pladser."),
    )
    decided_by_item = DecisionItemField(
        label=_("Besluttet under dagsordenspunkt"),
        required=False,
        help_text=_(
            "Et punkt på et offentliggjort møde, hvor ændringen er besluttet eller varslet."
        ),
        error_messages={"invalid_choice": _("Vælg et dagsordenspunkt på listen.")},
    )
    decided_by_round = forms.ModelChoiceField(
        label=_("Sendes i skriftlig høring"),
        queryset=WrittenRound.objects.none(),
        required=False,
        empty_label=_("– ingen –"),
        help_text=_(
            "En høring i kladde eller i høring. Ændringen bekræftes automatisk, når høringen "
            "godkendes, og afvises, hvis høringen trækkes tilbage."
        ),
        error_messages={"invalid_choice": _("Vælg en høring i kladde eller i høring.")},
    )
    record = forms.BooleanField(
        label=_("Registrér som besluttet"),
        required=False,
        help_text=_("Ændringen bekræftes med det samme, i stedet for at vente i køen."),
    )

    def __init__(self, *args: Any, offer: Offer, secretariat: bool, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("announced_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.offer = offer
        bases = LegalBasis.objects.filter(Q(is_active=True) | Q(offers=offer)).distinct()
        for name in ("legal_basis", "to_legal_basis"):
            field = self.fields[name]
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = bases
        new_operator = self.fields["new_operator"]
        if isinstance(new_operator, OperatorField):
            new_operator.load(str(_("– ingen –")))
        if secretariat:
            item = self.fields["decided_by_item"]
            if isinstance(item, DecisionItemField):
                item.load(decision_items(), str(_("– intet –")))
            round_field = self.fields["decided_by_round"]
            if isinstance(round_field, forms.ModelChoiceField):
                round_field.queryset = (
                    WrittenRound.objects.filter(state__in=[RoundState.DRAFT, RoundState.OPEN])
                    .select_related("body")
                    .order_by("deadline", "pk")
                )
        else:
            for name in self.SECRETARIAT_ONLY:
                del self.fields[name]
        self.style_widgets()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("record") and data.get("decided_by_round") is not None:
            self.add_error(
                "decided_by_round",
                _(
                    "En ændring, der sendes i skriftlig høring, bekræftes, når høringen "
                    "godkendes. Fjern markeringen i »Registrér som besluttet«, eller vælg ingen "
                    "høring."
                ),
            )
        if data.get("decided_by_item") is not None and data.get("decided_by_round") is not None:
            self.add_error(
                "decided_by_round",
                _("Vælg enten et dagsordenspunkt eller en skriftlig høring, ikke begge."),
            )
        return data

    @property
    def records(self) -> bool:
        return bool(self.cleaned_data.get("record"))

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        municipality, region = split_operator(data["new_operator"])
        return {
            "kind": data["kind"],
            "effective_date": data["effective_date"],
            "announced_on": data["announced_on"],
            "places": data["places"],
            "end_date": data["end_date"],
            "legal_basis": data["legal_basis"],
            "to_legal_basis": data["to_legal_basis"],
            "new_operator_municipality": municipality,
            "new_operator_region": region,
            "justification": data["justification"],
            "economic_consequences": data["economic_consequences"],
            "decided_by_item": data.get("decided_by_item"),
            "decided_by_round": data.get("decided_by_round"),
        }


class EventConfirmForm(DkfdsMixin, forms.Form):
    note = forms.CharField(
        label=_("Bemærkning"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Vises sammen med ændringen, fx hvor den er besluttet."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "confirm")
        super().__init__(*args, **kwargs)
        self.style_widgets()


class EventRejectForm(DkfdsMixin, forms.Form):
    ALIASES = {"note": "reason"}

    reason = forms.CharField(
        label=_("Begrundelse for afvisningen"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Den, der foreslog ændringen, kan se begrundelsen."),
        error_messages={"required": _("Skriv, hvorfor ændringen afvises.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "reject")
        super().__init__(*args, **kwargs)
        self.style_widgets()


# --- the maintained tables -----------------------------------------------------------------------


class LegalBasisForm(DkfdsMixin, forms.ModelForm):
    class Meta:
        model = LegalBasis
        fields = ["law", "paragraph", "title", "is_active", "order"]
        help_texts = {
            "paragraph": _("Paragraffen uden §, fx “108”, “101a” eller “43, stk. 3”."),
            "title": _("Fx “Længerevarende botilbud”."),
            "is_active": _("Et lovgrundlag, der ikke er i brug, kan ikke vælges til nye tilbud."),
            "order": _("Lovgrundlag med lavere tal vises først."),
        }
        error_messages = {
            "law": {"required": _("Vælg loven.")},
            "paragraph": {"required": _("Skriv paragraffen.")},
            "order": {"invalid": _("Skriv et helt tal.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def clean_paragraph(self) -> str:
        value = " ".join(str(self.cleaned_data["paragraph"]).replace("§", " ").split())
        if not value or not value[0].isdigit():
            raise ValidationError(
                _("Skriv paragraffens nummer, fx “108” eller “43, stk. 3”."), code="invalid"
            )
        return value

    def validate_unique(self) -> None:
        law, paragraph = self.cleaned_data.get("law"), self.cleaned_data.get("paragraph")
        if law and paragraph:
            clash = LegalBasis.objects.filter(law=law, paragraph__iexact=paragraph)
            if self.instance.pk is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("paragraph", _("Lovgrundlaget findes allerede i tabellen."))
                return
        super().validate_unique()


class TargetGroupForm(DkfdsMixin, forms.ModelForm):
    class Meta:
        model = TargetGroup
        fields = ["name", "is_active", "order"]
        help_texts = {
            "name": _("Fx “Voksne med udviklingshæmning”."),
            "is_active": _("En målgruppe, der ikke er i brug, kan ikke vælges til nye tilbud."),
            "order": _("Målgrupper med lavere tal vises først."),
        }
        error_messages = {
            "name": {"required": _("Skriv målgruppens navn.")},
            "order": {"invalid": _("Skriv et helt tal.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def clean_name(self) -> str:
        return " ".join(str(self.cleaned_data["name"]).split())

    def validate_unique(self) -> None:
        name = self.cleaned_data.get("name")
        if name:
            clash = TargetGroup.objects.filter(name__iexact=name)
            if self.instance.pk is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", _("Målgruppen findes allerede."))
                return
        super().validate_unique()


class AgreementPeriodForm(DkfdsMixin, forms.ModelForm):
    class Meta:
        model = AgreementPeriod
        fields = [
            "region",
            "name",
            "start_date",
            "end_date",
            "notice_months_opening",
            "notice_months_capacity",
            "notice_months_closure",
            "notice_months_redesignation",
            "notice_months_operator",
        ]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        help_texts = {
            "name": _("Fx “Rammeaftale 2027-2028”."),
            "notice_months_closure": _(
                "Varslerne er styringsaftalens: så mange måneder før ændringen skal den meldes "
                "ud. En ændring, der meldes senere, markeres som varslet for sent."
            ),
        }
        error_messages = {
            "region": {"required": _("Vælg regionen.")},
            "name": {"required": _("Skriv aftaleperiodens navn.")},
            "start_date": {
                "required": _("Skriv periodens første dag."),
                "invalid": _("Skriv en gyldig dato, fx 01-01-2027."),
            },
            "end_date": {
                "required": _("Skriv periodens sidste dag."),
                "invalid": _("Skriv en gyldig dato, fx 31-12-2028."),
            },
            **{
                name: {
                    "required": _("Skriv antal måneder (0, hvis der ikke er noget varsel)."),
                    "invalid": _("Skriv et helt antal måneder."),
                    "min_value": _("Antal måneder kan ikke være negativt."),
                }
                for name in (
                    "notice_months_opening",
                    "notice_months_capacity",
                    "notice_months_closure",
                    "notice_months_redesignation",
                    "notice_months_operator",
                )
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        if isinstance(region, forms.ModelChoiceField):
            region.queryset = Region.objects.order_by("code")
            region.empty_label = str(_("– vælg –"))
        for name, field in self.fields.items():
            if name.startswith("notice_months_"):
                field.validators.append(
                    MaxValueValidator(MAX_NOTICE_MONTHS, message=_("Højst 60 måneder."))
                )
        self.style_widgets()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end, region = data.get("start_date"), data.get("end_date"), data.get("region")
        if start and end and end < start:
            self.add_error("end_date", _("Perioden kan ikke slutte, før den begynder."))
        elif start and end and region:
            overlap = AgreementPeriod.objects.filter(
                region=region, start_date__lte=end, end_date__gte=start
            )
            if self.instance.pk is not None:
                overlap = overlap.exclude(pk=self.instance.pk)
            clash = overlap.first()
            if clash is not None:
                self.add_error(
                    "start_date",
                    _("Perioden overlapper “%(name)s” (%(start)s – %(end)s) for samme region.")
                    % {
                        "name": clash.name,
                        "start": date_format(clash.start_date, "j. F Y"),
                        "end": date_format(clash.end_date, "j. F Y"),
                    },
                )
        return data

    def validate_unique(self) -> None:
        name, region = self.cleaned_data.get("name"), self.cleaned_data.get("region")
        if name and region:
            clash = AgreementPeriod.objects.filter(region=region, name__iexact=name.strip())
            if self.instance.pk is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", _("Regionen har allerede en aftaleperiode med det navn."))
                return
        super().validate_unique()


# --- import --------------------------------------------------------------------------------------


class OfferImportForm(DkfdsMixin, forms.Form):
    file = forms.FileField(
        label=_("Regneark eller CSV-fil"),
        help_text=_(
            "Et Excel-regneark (.xlsx) eller en CSV-fil i UTF-8 med komma eller semikolon som "
            "skilletegn."
        ),
        error_messages={
            "required": _("Vælg en fil."),
            "empty": _("Filen er tom."),
            "invalid": _("Der blev ikke sendt en fil. Tjek formularens kodning."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,.csv,.txt,text/csv,text/plain,"
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        self.style_widgets()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                _("Filen er for stor (%(size)s kB). Den må højst fylde %(limit)s kB."),
                code="too_large",
                params={"size": upload.size // 1024, "limit": limit // 1024},
            )
        return upload
