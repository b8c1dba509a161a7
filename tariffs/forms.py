"""Forms for the tariffs' staff pages. They validate and say what is wrong in Danish, at the
field; the writes are in tariffs.services (sheets, lines, settlements) and tariffs.importers.

Amounts are typed as a Dane writes them ("2.345,50"), the same way the import reads them
(`tariffs.importers.parse_decimal`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.importing import CellError, normalise
from offers.models import Offer
from organizations.forms import DateInput, DkfdsMixin
from tariffs.importers import MAX_DAYS, MAX_PLACES, MAX_YEAR, MIN_YEAR, parse_decimal
from tariffs.models import PriceIndex, TariffLine, TariffRules, TariffSheet, TariffYear

NEGATIVE = _("Beløbet kan ikke være negativt.")


class AmountField(forms.DecimalField):
    """A decimal number typed the Danish way (decimal comma, '.' or space between thousands)."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.error_messages.setdefault("invalid", str(_("Skriv et tal, fx 2.345,50.")))

    # django-stubs derive DecimalField from IntegerField, whose to_python gives an int.
    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_decimal(str(value))
        except CellError as exc:
            raise ValidationError(str(exc), code="invalid") from None


def _amount_messages() -> dict[str, Any]:
    return {
        "max_digits": _("Beløbet er for stort."),
        "max_whole_digits": _("Beløbet er for stort."),
        "max_decimal_places": _("Højst to decimaler (øre)."),
    }


def _percent_messages() -> dict[str, Any]:
    return {
        "min_value": _("Procenten kan ikke være negativ."),
        "max_value": _("Procenten må højst være 100."),
    }


# --- a tariff line -------------------------------------------------------------------------------

AMOUNT_FIELDS = ("amount", "base_amount", "service_amount")
COST_FIELDS = ("staff_costs", "operating_costs", "indirect_costs", "building_costs")
DECIMAL_FIELDS = (
    *AMOUNT_FIELDS,
    *COST_FIELDS,
    "overhead_percent",
    "occupancy_percent",
    "settlement",
)


class LineForm(DkfdsMixin, forms.ModelForm):
    """A tariff and its calculation basis. The basis may be incomplete while the sheet is a
    draft (submitting it is refused until it is complete); what is entered must make sense."""

    GROUPS = (
        (_("Taksten"), ("service", "label", "unit", "amount", "base_amount", "service_amount")),
        (
            _("Beregningsgrundlag (budget for året)"),
            (*COST_FIELDS, "overhead_percent", "places", "days", "occupancy_percent"),
        ),
        (_("Efterregulering"), ("settlement",)),
    )

    places = forms.IntegerField(
        label=_("Pladser"),
        required=False,
        min_value=1,
        max_value=MAX_PLACES,
        error_messages={
            "invalid": _("Skriv et helt antal pladser."),
            "min_value": _("Der skal være mindst 1 plads."),
            "max_value": _("Det er ikke et sandsynligt antal pladser."),
        },
    )
    days = forms.IntegerField(
        label=_("Dage"),
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        help_text=_("Antal dage om året, taksten regnes over, fx 365."),
        error_messages={
            "invalid": _("Skriv et helt antal dage."),
            "min_value": _("Der skal være mindst 1 dag."),
            "max_value": _("Et år har højst 366 dage."),
        },
    )

    class Meta:
        model = TariffLine
        fields = [
            "service",
            "label",
            "unit",
            "amount",
            "base_amount",
            "service_amount",
            *COST_FIELDS,
            "overhead_percent",
            "places",
            "days",
            "occupancy_percent",
            "settlement",
        ]
        field_classes = dict.fromkeys(DECIMAL_FIELDS, AmountField)
        help_texts = {
            "label": _("Fx »Niveau 2«. Skiller flere takster med samme ydelse og enhed ad."),
            "base_amount": _("Kun ved en grund- og ydelsestakst: de to skal give taksten."),
            "building_costs": _("Husleje, afskrivning og forrentning."),
            "occupancy_percent": _("Budgetteret belægning: over 0 og højst 100."),
            "settlement": _(
                "Over- eller underskud fra tidligere år, der indregnes i årets udgifter: + for "
                "et underskud, − for et overskud."
            ),
        }
        error_messages = {
            "service": {"required": _("Vælg ydelsen.")},
            "unit": {"required": _("Vælg enheden.")},
            "amount": {"required": _("Skriv taksten."), **_amount_messages()},
            "base_amount": _amount_messages(),
            "service_amount": _amount_messages(),
            **{name: _amount_messages() for name in COST_FIELDS},
            "overhead_percent": _percent_messages(),
            "occupancy_percent": _percent_messages(),
            "settlement": _amount_messages(),
        }

    def __init__(
        self,
        *args: Any,
        sheet: TariffSheet | None = None,
        default_overhead: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        overhead = self.fields["overhead_percent"]
        if default_overhead is not None:
            overhead.help_text = _("Tom: aftaleperiodens regel, %(percent)s %%.") % {
                "percent": f"{default_overhead}".replace(".", ",")
            }
            if self.instance.pk is None and not self.is_bound:
                self.initial.setdefault("overhead_percent", default_overhead)
        self.fields["settlement"].required = False
        self.style_widgets()

    def clean_overhead_percent(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get("overhead_percent")
        if value is not None and not (0 <= value <= 100):
            raise ValidationError(_("Overhead skal være mellem 0 og 100 %."), code="range")
        return value

    def clean_occupancy_percent(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get("occupancy_percent")
        if value is not None and not (0 < value <= 100):
            raise ValidationError(
                _("Belægningsprocenten skal være over 0 og højst 100."), code="range"
            )
        return value

    def clean_settlement(self) -> Decimal:
        value: Decimal | None = self.cleaned_data.get("settlement")
        return Decimal(0) if value is None else value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in (*AMOUNT_FIELDS, *COST_FIELDS):
            value = data.get(name)
            if value is not None and value < 0:
                self.add_error(name, NEGATIVE)
        self._clean_unique(data)
        amount, base, part = (data.get(name) for name in AMOUNT_FIELDS)
        if "base_amount" in self.errors or "service_amount" in self.errors:
            return data
        if (base is None) != (part is None):
            self.add_error(
                "service_amount" if part is None else "base_amount",
                _("Angiv både grundtakst og ydelsestakst, eller ingen af dem."),
            )
        elif base is not None and part is not None and amount is not None and base + part != amount:
            self.add_error("amount", _("Grundtakst og ydelsestakst giver ikke taksten."))
        return data

    def _clean_unique(self, data: dict[str, Any]) -> None:
        """One tariff per service, unit and label on a sheet: it is how a tariff is compared
        with last year's and found again by the import."""
        service, unit = data.get("service"), data.get("unit")
        if self.sheet is None or not service or not unit:
            return
        label = normalise(data.get("label") or "")
        others = self.sheet.lines.filter(service=service, unit=unit)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        if any(normalise(other.label) == label for other in others):
            self.add_error(
                "label",
                _(
                    "Takstbladet har allerede en takst med denne ydelse, enhed og betegnelse. "
                    "Giv taksten en anden betegnelse, fx »Niveau 2«."
                ),
            )

    def _post_clean(self) -> None:
        # The line is written by tariffs.services.line_save, which validates it in full.
        pass

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.GROUPS]

    def service_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


# --- review, correction --------------------------------------------------------------------------


class ApproveForm(DkfdsMixin, forms.Form):
    comment = forms.CharField(
        label=_("Kommentar"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Vises på takstbladet for kommunen."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "approve")
        super().__init__(*args, **kwargs)
        self.style_widgets()


class ReturnForm(DkfdsMixin, forms.Form):
    comment = forms.CharField(
        label=_("Hvad skal rettes?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kommunen ser kommentaren på takstbladet og kan rette og indsende igen."),
        error_messages={"required": _("Skriv, hvad der skal rettes.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "return")
        super().__init__(*args, **kwargs)
        self.style_widgets()


class CorrectionForm(DkfdsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Hvorfor rettes taksterne?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Begrundelsen vises med rettelsen. De offentliggjorte takster gælder, indtil "
            "rettelsen er godkendt og offentliggjort."
        ),
        error_messages={"required": _("Skriv, hvorfor taksterne rettes.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()


# --- the tables ----------------------------------------------------------------------------------


def _year_field(**kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("År"),
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        error_messages={
            "required": _("Skriv året."),
            "invalid": _("Skriv et årstal, fx 2027."),
            "min_value": _("Skriv et årstal, fx 2027."),
            "max_value": _("Skriv et årstal, fx 2027."),
        },
        **kwargs,
    )


class PriceIndexForm(DkfdsMixin, forms.ModelForm):
    class Meta:
        model = PriceIndex
        fields = ["year", "index"]
        field_classes = {"index": AmountField}
        help_texts = {
            "index": _("Pris- og lønindekset for året, fx 104,3. Basisåret er ligegyldigt."),
        }
        error_messages = {
            "year": {"required": _("Skriv året."), "invalid": _("Skriv et årstal, fx 2027.")},
            "index": {
                "required": _("Skriv indekset."),
                "min_value": _("Indekset skal være større end 0."),
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def clean_year(self) -> int:
        year = int(self.cleaned_data["year"])
        if not (MIN_YEAR <= year <= MAX_YEAR):
            raise ValidationError(_("Skriv et årstal, fx 2027."), code="invalid")
        clash = PriceIndex.objects.filter(year=year).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("Der er allerede et indeks for %(year)d.") % {"year": year})
        return year

    def validate_unique(self) -> None:
        pass  # clean_year says it in Danish


class TariffRulesForm(DkfdsMixin, forms.ModelForm):
    class Meta:
        model = TariffRules
        fields = [
            "overhead_percent",
            "settlement_next_year_percent",
            "change_warning_percent",
            "occupancy_warning_percent",
        ]
        field_classes = dict.fromkeys(fields, AmountField)
        help_texts = {
            "overhead_percent": _(
                "Bruges, når en takst ikke har sin egen overhead. Kommunerne i Hovedstaden "
                "bruger i gennemsnit 6 %."
            ),
            "change_warning_percent": _(
                "Takstgruppen advares, når en takst ændres mere end dette fra sidste år i "
                "faste priser."
            ),
        }
        error_messages = {
            name: {"required": _("Skriv en procent."), **_percent_messages()} for name in fields
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()


class TariffYearForm(DkfdsMixin, forms.ModelForm):
    """A tariff year and its deadline, given as a local date and time (Danish time)."""

    deadline_date = forms.DateField(
        label=_("Frist for indberetning"),
        widget=DateInput(),
        error_messages={
            "required": _("Skriv fristens dato."),
            "invalid": _("Skriv en gyldig dato, fx 01-09-2026."),
        },
    )
    deadline_time = forms.TimeField(
        label=_("Klokkeslæt"),
        initial=datetime.time(12, 0),
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "class": "input-width-xs"}),
        error_messages={
            "required": _("Skriv klokkeslættet."),
            "invalid": _("Skriv et klokkeslæt, fx 12:00."),
        },
    )

    class Meta:
        model = TariffYear
        fields = ["year"]
        help_texts = {"year": _("Det år, taksterne gælder for.")}
        error_messages = {
            "year": {"required": _("Skriv året."), "invalid": _("Skriv et årstal, fx 2027.")}
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deadline = self.instance.submission_deadline if self.instance.pk else None
        if deadline is not None:
            local = timezone.localtime(deadline)
            self.initial.setdefault("deadline_date", local.date())
            self.initial.setdefault("deadline_time", local.time().replace(second=0))
        if self.instance.pk is not None:
            self.fields["year"].disabled = True
        self.style_widgets()

    def clean_year(self) -> int:
        year = int(self.cleaned_data["year"])
        if not (MIN_YEAR <= year <= MAX_YEAR):
            raise ValidationError(_("Skriv et årstal, fx 2027."), code="invalid")
        if TariffYear.objects.filter(year=year).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Takståret %(year)d findes allerede.") % {"year": year})
        return year

    def validate_unique(self) -> None:
        pass  # clean_year says it in Danish

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, time = data.get("deadline_date"), data.get("deadline_time")
        if day is not None and time is not None:
            self.instance.submission_deadline = timezone.make_aware(
                datetime.datetime.combine(day, time)
            )
        return data


# --- efterregulering -----------------------------------------------------------------------------


class SettlementForm(DkfdsMixin, forms.Form):
    """A past year's result for one of the offers the user enters tariffs for."""

    offer = forms.ModelChoiceField(
        label=_("Tilbud"),
        queryset=Offer.objects.none(),
        empty_label=_("– vælg –"),
        error_messages={
            "required": _("Vælg tilbuddet."),
            "invalid_choice": _("Vælg et tilbud på listen."),
        },
    )
    year = _year_field(help_text=_("Det afsluttede regnskabsår, resultatet gælder."))
    budget = AmountField(
        label=_("Budget (kr.)"),
        max_digits=14,
        decimal_places=2,
        error_messages={"required": _("Skriv budgettet.")},
    )
    actual_revenue = AmountField(
        label=_("Faktiske indtægter (kr.)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        error_messages={"required": _("Skriv de faktiske indtægter."), "min_value": NEGATIVE},
    )
    actual_costs = AmountField(
        label=_("Faktiske udgifter (kr.)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        error_messages={"required": _("Skriv de faktiske udgifter."), "min_value": NEGATIVE},
    )

    def __init__(self, *args: Any, offers: QuerySet[Offer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer = self.fields["offer"]
        if isinstance(offer, forms.ModelChoiceField):
            offer.queryset = offers
        self.style_widgets()

    def clean_year(self) -> int:
        year = int(self.cleaned_data["year"])
        if year >= timezone.localdate().year:
            raise ValidationError(
                _("Regnskabsåret skal være afsluttet: skriv %(year)d eller tidligere.")
                % {"year": timezone.localdate().year - 1}
            )
        return year


# --- import --------------------------------------------------------------------------------------


class TariffImportForm(DkfdsMixin, forms.Form):
    year = _year_field(help_text=_("Alle rækker i filen skal være for dette år."))
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
