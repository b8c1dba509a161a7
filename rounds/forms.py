"""Forms for the written rounds' pages. They check what a form can check (a choice is made, a
date is a date) and say it in Danish at the field; the rules of a round (deadline in the future,
a comment with an objection, drafts only) are the services', whose errors
`meetings.forms.add_service_errors` puts on the form."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from meetings.forms import RICH_TEXT_HELP, PersonChoiceField, TimeInput
from organizations.forms import DateInput, DkfdsMixin
from organizations.models import Body, Municipality, Person, Region
from rounds.models import Answer, Respondent, WrittenRound

# Model field names the services use → the fields of these forms.
DEADLINE_ALIASES = {"deadline": "deadline_date"}


class _ObjectChoiceField(forms.ChoiceField):
    """One of a list of objects loaded once by the view (no query to validate)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=(), **kwargs)
        self.objects: dict[str, Any] = {}

    def load(self, objects: Iterable[Any], empty_label: str, key: str = "pk") -> None:
        self.objects = {str(getattr(obj, key)): obj for obj in objects}
        self.choices = [("", empty_label), *((k, str(obj)) for k, obj in self.objects.items())]

    def clean(self, value: Any) -> Any:
        chosen = super().clean(value)
        return self.objects.get(chosen) if chosen else None


# --- the list's filter ---------------------------------------------------------------------------


class RoundFilterForm(forms.Form):
    """The list's filters as plain GET parameters (?status=…&organ=<slug>), so a filtered list
    can be bookmarked and linked to from a body's page."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        error_messages={"invalid_choice": _("Vælg en status fra listen.")},
    )
    organ = _ObjectChoiceField(
        label=_("Organ"),
        required=False,
        error_messages={"invalid_choice": _("Vælg et organ fra listen.")},
    )

    def __init__(
        self, *args: Any, bodies: Iterable[Body], states: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        if isinstance(status, forms.ChoiceField):
            status.choices = [("", _("Alle")), *states]
        organ = self.fields["organ"]
        if isinstance(organ, _ObjectChoiceField):
            organ.load(bodies, str(_("Alle organer")), key="slug")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filters(self) -> tuple[str, Body | None]:
        """(state, body) to filter by; a value that is not on the lists is ignored (and shown
        as an error at its field)."""
        if not self.is_bound:
            return "", None
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("status", ""), data.get("organ")

    @property
    def is_filtered(self) -> bool:
        return bool(self.is_bound and any(self.data.get(name) for name in self.fields))


# --- writing a round -----------------------------------------------------------------------------


def _deadline_help() -> str:
    days = settings.ROUNDS_DEFAULT_WORKING_DAYS
    return ngettext(
        "Standard: %(days)d arbejdsdag, weekender og helligdage springes over.",
        "Standard: %(days)d arbejdsdage, weekender og helligdage springes over.",
        days,
    ) % {"days": days}


class DeadlineFields(DkfdsMixin, forms.Form):
    """A deadline typed as a local date and time (Danish time), combined into `deadline`."""

    deadline_date = forms.DateField(
        label=_("Svarfrist, dato"),
        widget=DateInput(),
        error_messages={
            "required": _("Skriv datoen for svarfristen."),
            "invalid": _("Skriv en gyldig dato, fx 14-12-2026."),
        },
    )
    deadline_time = forms.TimeField(
        label=_("Svarfrist, klokkeslæt"),
        widget=TimeInput(),
        error_messages={
            "required": _("Skriv klokkeslættet for svarfristen."),
            "invalid": _("Skriv et gyldigt klokkeslæt, fx 12:00."),
        },
    )

    def __init__(
        self, *args: Any, deadline: datetime.datetime | None = None, **kwargs: Any
    ) -> None:
        if deadline is not None:
            local = timezone.localtime(deadline)
            initial = kwargs.setdefault("initial", {})
            initial.setdefault("deadline_date", local.date())
            initial.setdefault("deadline_time", local.time())
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, time = data.get("deadline_date"), data.get("deadline_time")
        if day and time:
            data["deadline"] = datetime.datetime.combine(
                day, time, tzinfo=ZoneInfo(settings.TIME_ZONE)
            )
        return data


class RoundForm(DeadlineFields):
    """A round's text, proposer, deadline and confidentiality (create and edit a draft)."""

    ALIASES = DEADLINE_ALIASES

    title = forms.CharField(
        label=_("Titel"),
        max_length=300,
        error_messages={"required": _("Skriv høringens titel.")},
    )
    proposal = forms.CharField(
        label=_("Forslag"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=RICH_TEXT_HELP,
        error_messages={"required": _("Skriv forslaget.")},
    )
    justification = forms.CharField(
        label=_("Begrundelse"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=RICH_TEXT_HELP,
    )
    proposed_decision = forms.CharField(
        label=_("Forslag til beslutning"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Den beslutning, der træffes, hvis ingen gør indsigelse. Du kan formatere teksten "
            "som forslaget."
        ),
    )
    proposer_municipality = _ObjectChoiceField(
        label=_("Forslagsstiller: kommune"),
        required=False,
        help_text=_("Vælg en kommune eller regionen – ikke begge."),
        error_messages={"invalid_choice": _("Vælg en kommune fra listen.")},
    )
    proposer_region = _ObjectChoiceField(
        label=_("Forslagsstiller: region"),
        required=False,
        error_messages={"invalid_choice": _("Vælg en region fra listen.")},
    )
    is_confidential = forms.BooleanField(
        label=_("Fortrolig"),
        required=False,
        help_text=_("Resultatet vises kun for organets medlemmer og sekretariatet."),
    )

    field_order = [
        "title",
        "proposal",
        "justification",
        "proposed_decision",
        "proposer_municipality",
        "proposer_region",
        "deadline_date",
        "deadline_time",
        "is_confidential",
    ]

    def __init__(
        self,
        *args: Any,
        municipalities: Iterable[Municipality],
        regions: Iterable[Region],
        round_: WrittenRound | None = None,
        **kwargs: Any,
    ) -> None:
        if round_ is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": round_.title,
                "proposal": round_.proposal,
                "justification": round_.justification,
                "proposed_decision": round_.proposed_decision,
                "proposer_municipality": round_.proposer_municipality_id or "",
                "proposer_region": round_.proposer_region_id or "",
                "is_confidential": round_.is_confidential,
            }
            kwargs["deadline"] = round_.deadline
        super().__init__(*args, **kwargs)
        self.fields["deadline_date"].help_text = _deadline_help()
        municipality = self.fields["proposer_municipality"]
        region = self.fields["proposer_region"]
        if isinstance(municipality, _ObjectChoiceField):
            municipality.load(municipalities, str(_("– ingen –")))
        if isinstance(region, _ObjectChoiceField):
            region.load(regions, str(_("– ingen –")))
        self.style_widgets()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "title",
                "proposal",
                "justification",
                "proposed_decision",
                "proposer_municipality",
                "proposer_region",
                "deadline",
                "is_confidential",
            )
        }


class DeadlineForm(DeadlineFields):
    """A new deadline for a draft or an open round (an open round's only later)."""

    ALIASES = DEADLINE_ALIASES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deadline_date"].label = _("Ny svarfrist, dato")
        self.fields["deadline_time"].label = _("Ny svarfrist, klokkeslæt")
        self.style_widgets()


class WithdrawForm(DkfdsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Begrundelse"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Vises på høringens side og sendes til høringsparterne, hvis den er sendt."),
        error_messages={"required": _("Skriv, hvorfor høringen trækkes tilbage.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()


# --- respondents ---------------------------------------------------------------------------------


class RespondentsForm(DkfdsMixin, forms.Form):
    """Who is asked: the body's members (ticked when asked now) and anyone else from the
    picker."""

    people = forms.TypedMultipleChoiceField(
        label=_("Høringsparter"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Organets medlemmer (ikke suppleanter) og dem, der allerede er spurgt."),
        error_messages={"invalid_choice": _("Vælg høringsparter fra listen.")},
    )
    extra = PersonChoiceField(
        label=_("Tilføj en anden person"),
        required=False,
        help_text=_("Fx en kontaktperson i en kommune, der ikke er medlem af organet."),
        error_messages={"invalid_choice": _("Vælg en person fra listen.")},
    )

    def __init__(
        self,
        *args: Any,
        candidates: Iterable[tuple[Person, str]],
        people: Iterable[Person],
        current_ids: set[int],
        **kwargs: Any,
    ) -> None:
        candidates = list(candidates)
        kwargs.setdefault("initial", {"people": sorted(current_ids)})
        super().__init__(*args, **kwargs)
        self.people_by_pk = {person.pk: person for person in people}
        for person, _represents in candidates:
            self.people_by_pk.setdefault(person.pk, person)
        field = self.fields["people"]
        if isinstance(field, forms.TypedMultipleChoiceField):
            field.choices = [
                (person.pk, f"{person.name} ({represents})" if represents else person.name)
                for person, represents in candidates
            ]
        extra = self.fields["extra"]
        if isinstance(extra, PersonChoiceField):
            extra.load(self.people_by_pk.values(), str(_("– ingen –")))
        self.style_widgets()
        field.widget.attrs["class"] = "form-checkbox"

    def chosen_people(self) -> list[Person]:
        chosen = [self.people_by_pk[pk] for pk in self.cleaned_data["people"]]
        extra = self.cleaned_data.get("extra")
        if extra is not None and extra.pk not in {p.pk for p in chosen}:
            chosen.append(extra)
        return chosen


# --- answering -----------------------------------------------------------------------------------


class AnswerForm(DkfdsMixin, forms.Form):
    """One respondent's answer. Each respondent the reader may answer for has a form of their
    own on the page, told apart by its prefix."""

    answer = forms.ChoiceField(
        label=_("Svar"),
        choices=Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Vælg et svar."), "invalid_choice": _("Vælg et svar.")},
    )
    comment = forms.CharField(
        label=_("Bemærkning"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Skal udfyldes ved indsigelse eller bemærkninger."),
    )

    def __init__(self, *args: Any, respondent: Respondent, **kwargs: Any) -> None:
        self.respondent = respondent
        kwargs.setdefault("prefix", f"svar-{respondent.pk}")
        if respondent.has_answered:
            kwargs.setdefault(
                "initial", {"answer": respondent.answer, "comment": respondent.comment}
            )
        super().__init__(*args, **kwargs)
        self.style_widgets()
        self.fields["answer"].widget.attrs["class"] = "form-radio"
