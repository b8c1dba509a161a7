"""Forms of the subscription pages (and of the subscriber import, whose page the organisation
app serves because only it knows the bodies behind the topics)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notices.models import Frequency
from notices.services import ImportMode


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("Din e-mailadresse"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-input", "autocomplete": "email"}),
        error_messages={
            "required": _("Skriv din e-mailadresse."),
            "invalid": _("Skriv en gyldig e-mailadresse, fx navn@kommune.dk."),
        },
    )
    name = forms.CharField(
        label=_("Dit navn (valgfrit)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-input", "autocomplete": "name"}),
    )
    frequency = forms.ChoiceField(
        label=_("Hvor ofte vil du have mail?"),
        choices=Frequency.choices,
        initial=Frequency.IMMEDIATELY,
        widget=forms.RadioSelect(attrs={"class": "form-radio"}),
        error_messages={"invalid_choice": _("Vælg, hvor ofte du vil have mail.")},
    )
    topics = forms.MultipleChoiceField(
        label=_("Emner"),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-checkbox"}),
        choices=(),
        error_messages={
            "required": _("Vælg mindst ét emne."),
            "invalid_choice": _("Vælg blandt de viste emner."),
        },
    )

    def __init__(self, *args: Any, topic_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = topic_choices  # type: ignore[attr-defined]


class SubscriptionChangeForm(forms.Form):
    """One subscription on the manage page or the profile: a new frequency, or "off"."""

    topic = forms.CharField(max_length=200, widget=forms.HiddenInput)
    frequency = forms.ChoiceField(
        label=_("Hyppighed"),
        choices=[*Frequency.choices, ("off", _("Afmeldt"))],
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class ProfileSubscriptionForm(SubscriptionChangeForm):
    """On the profile a user may have several verified addresses: the form names which."""

    email = forms.EmailField(max_length=254, widget=forms.HiddenInput)


class SubscriberImportForm(forms.Form):
    """The secretariat's import of an existing mailing list."""

    file = forms.FileField(
        label=_("CSV-fil"),
        help_text=_(
            "En CSV-fil i UTF-8 med komma eller semikolon som skilletegn, fx gemt fra Excel "
            "som 'CSV UTF-8 (kommasepareret)'."
        ),
        widget=forms.ClearableFileInput(attrs={"class": "form-file-input", "accept": ".csv"}),
        error_messages={
            "required": _("Vælg en fil."),
            "empty": _("Filen er tom."),
            "invalid": _("Der blev ikke sendt en fil. Tjek formularens kodning."),
        },
    )
    mode = forms.ChoiceField(
        label=_("Samtykke"),
        choices=[
            (
                ImportMode.SEND_CONFIRMATION,
                _("Send bekræftelse: modtagerne får først mail, når de har klikket på linket"),
            ),
            (
                ImportMode.ALREADY_CONSENTED,
                _(
                    "Har allerede givet samtykke: modtagerne tilmeldes med det samme "
                    "(det noteres, hvem der importerede dem og hvornår)"
                ),
            ),
        ],
        widget=forms.RadioSelect(attrs={"class": "form-radio"}),
        error_messages={"required": _("Vælg, om modtagerne skal bekræfte.")},
    )
    frequency = forms.ChoiceField(
        label=_("Hyppighed"),
        choices=Frequency.choices,
        initial=Frequency.IMMEDIATELY,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
