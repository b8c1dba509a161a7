"""Forms of the subscription pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notices.models import Frequency


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Din e-mailadresse"), max_length=254)
    name = forms.CharField(label=_("Dit navn (valgfrit)"), max_length=200, required=False)
    frequency = forms.ChoiceField(
        label=_("Hvor ofte vil du have mail?"),
        choices=Frequency.choices,
        initial=Frequency.IMMEDIATELY,
        widget=forms.RadioSelect,
    )
    topics = forms.MultipleChoiceField(
        label=_("Emner"), widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args: object, topic_choices: list[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["topics"].choices = topic_choices  # type: ignore[attr-defined]


class SubscriptionChangeForm(forms.Form):
    topic = forms.CharField(max_length=200, widget=forms.HiddenInput)
    frequency = forms.ChoiceField(
        label=_("Hyppighed"),
        choices=[*Frequency.choices, ("off", _("Afmeldt"))],
    )
