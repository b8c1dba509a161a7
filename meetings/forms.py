"""Forms for the secretariat's meeting pages. They validate and say what is wrong in Danish, at
the field; the writes are in meetings.services."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from meetings.models import AgendaItem, ItemKind, Meeting
from meetings.sanitize import ALLOWED_TAGS
from meetings.selectors import follow_up_candidates
from organizations.forms import DateInput, DkfdsMixin
from organizations.models import Person

# The order staff read the allowed tags in: text, lists, links, headings, tables.
_TAG_ORDER = ["p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "a", "h3", "h4"]
_TAGS_HELP = ", ".join(f"<{tag}>" for tag in _TAG_ORDER if tag in ALLOWED_TAGS)

RICH_TEXT_HELP = format_lazy(
    _(
        "Du kan formatere teksten med HTML: {tags}, <blockquote> og enkle tabeller. Alt andet "
        "fjernes, når teksten gemmes."
    ),
    tags=_TAGS_HELP,
)


class TimeInput(forms.TimeInput):
    """The browser's time picker; it sends HH:MM whatever the language."""

    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M", attrs={"class": "input-width-xs"})


def add_service_errors(
    form: forms.BaseForm, error: ValidationError, aliases: Mapping[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form: at the field when the form has it (a model
    field name may be known to the form under another name, given in `aliases`)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        field = (aliases or {}).get(name, name)
        if field == NON_FIELD_ERRORS or field not in form.fields:
            form.add_error(None, errors)
        else:
            form.add_error(field, errors)


# --- meetings ------------------------------------------------------------------------------------


class MeetingForm(DkfdsMixin, forms.Form):
    """A meeting's facts, its time given as a local date and two local times (Danish time)."""

    # Model field names the services use → the fields of this form.
    ALIASES = {"starts_at": "start_time", "ends_at": "end_time"}

    title = forms.CharField(
        label=_("Titel"),
        max_length=200,
        required=False,
        help_text=_("Lad feltet stå tomt for at bruge organets navn."),
    )
    date = forms.DateField(
        label=_("Dato"),
        widget=DateInput(),
        error_messages={
            "required": _("Skriv mødets dato."),
            "invalid": _("Skriv en gyldig dato, fx 14-12-2026."),
        },
    )
    start_time = forms.TimeField(
        label=_("Starter kl."),
        widget=TimeInput(),
        error_messages={
            "required": _("Skriv, hvornår mødet begynder."),
            "invalid": _("Skriv et gyldigt klokkeslæt, fx 10:00."),
        },
    )
    end_time = forms.TimeField(
        label=_("Slutter kl."),
        widget=TimeInput(),
        error_messages={
            "required": _("Skriv, hvornår mødet slutter."),
            "invalid": _("Skriv et gyldigt klokkeslæt, fx 12:00."),
        },
    )
    place = forms.CharField(label=_("Sted"), max_length=200, required=False)
    case_number = forms.CharField(label=_("Sagsnr."), max_length=40, required=False)
    document_number = forms.CharField(label=_("Dok.nr."), max_length=40, required=False)

    def __init__(self, *args: Any, meeting: Meeting | None = None, **kwargs: Any) -> None:
        if meeting is not None and "initial" not in kwargs:
            starts = timezone.localtime(meeting.starts_at)
            ends = timezone.localtime(meeting.ends_at)
            kwargs["initial"] = {
                "title": meeting.title,
                "date": starts.date(),
                "start_time": starts.time(),
                "end_time": ends.time(),
                "place": meeting.place,
                "case_number": meeting.case_number,
                "document_number": meeting.document_number,
            }
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        if day and start and end:
            zone = ZoneInfo(settings.TIME_ZONE)
            data["starts_at"] = datetime.datetime.combine(day, start, tzinfo=zone)
            data["ends_at"] = datetime.datetime.combine(day, end, tzinfo=zone)
            if end < start:
                self.add_error("end_time", _("Mødet kan ikke slutte, før det begynder."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "place": data["place"],
            "case_number": data["case_number"],
            "document_number": data["document_number"],
        }


# --- agenda items --------------------------------------------------------------------------------


class EarlierItemChoiceField(forms.ChoiceField):
    """An item of an earlier meeting, from a list loaded once (one query for the select and its
    validation), labelled "<meeting date> – <number>. <title>"."""

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
        label = f"{date_format(item.meeting.local_date, 'j. F Y')} – {item}"
        return f"{label} ({_('lukket punkt')})" if item.is_closed else label

    def clean(self, value: Any) -> AgendaItem | None:
        key = super().clean(value)
        return self.items.get(key) if key else None


class AgendaItemForm(DkfdsMixin, forms.Form):
    """An item's content. The number is never typed: it follows from the item's place."""

    title = forms.CharField(
        label=_("Titel"),
        max_length=300,
        error_messages={"required": _("Skriv punktets titel.")},
    )
    kind = forms.ChoiceField(label=_("Type"), choices=ItemKind.choices, initial=ItemKind.DECISION)
    presenter = forms.CharField(
        label=_("Indleder"),
        max_length=300,
        required=False,
        help_text=_("Hvem indleder punktet, fx “Formand for FU, Jan Nielsen”."),
    )
    case_text = forms.CharField(
        label=_("Sagsfremstilling"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=RICH_TEXT_HELP,
    )
    recommendation = forms.CharField(
        label=_("Indstilling"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=format_lazy(
            "{} {}", _("Fx “at …”-punkter i en punktopstilling (<ul>)."), RICH_TEXT_HELP
        ),
    )
    is_closed = forms.BooleanField(
        label=_("Lukket punkt"),
        required=False,
        help_text=_(
            "Kun organets medlemmer og sekretariatet kan læse et lukket punkt. Alle andre ser "
            "kun nummeret og “Lukket punkt”."
        ),
    )
    follows_up = EarlierItemChoiceField(
        label=_("Opfølgning på punkt"),
        required=False,
        help_text=_("Et punkt fra et af organets tidligere møder, som dette punkt følger op på."),
        error_messages={
            "invalid_choice": _("Vælg et punkt fra et af organets tidligere møder på listen.")
        },
    )
    parent = forms.ModelChoiceField(
        queryset=AgendaItem.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(
        self, *args: Any, meeting: Meeting, item: AgendaItem | None = None, **kwargs: Any
    ) -> None:
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": item.title,
                "kind": item.kind,
                "presenter": item.presenter,
                "case_text": item.case_text,
                "recommendation": item.recommendation,
                "is_closed": item.is_closed,
                "follows_up": item.follows_up_id or "",
            }
        super().__init__(*args, **kwargs)
        follows_up = self.fields["follows_up"]
        if isinstance(follows_up, EarlierItemChoiceField):
            current = item.follows_up_id if item is not None else None
            follows_up.load(follow_up_candidates(meeting, current=current), str(_("– intet –")))
        parent_field = self.fields["parent"]
        if item is not None:
            del self.fields["parent"]  # an item keeps its place; it is moved, not re-parented
        elif isinstance(parent_field, forms.ModelChoiceField):
            # Sub-items go one level deep: only a top-level item of this meeting can be a parent.
            parent_field.queryset = AgendaItem.objects.filter(meeting=meeting, parent__isnull=True)
            parent_field.error_messages["invalid_choice"] = _(
                "Underpunktet kan kun tilføjes til et punkt på dette mødes dagsorden."
            )
        self.style_widgets()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = {
            name: data[name]
            for name in (
                "title",
                "kind",
                "presenter",
                "case_text",
                "recommendation",
                "is_closed",
                "follows_up",
            )
        }
        if "parent" in self.fields:
            kwargs["parent"] = data["parent"]
        return kwargs


class AttachmentForm(DkfdsMixin, forms.Form):
    """An attachment (bilag) to upload. Its type is checked by content in the service."""

    file = forms.FileField(
        label=_("Bilag"),
        help_text=_("PDF, Word (docx), Excel (xlsx), PNG eller JPEG."),
        error_messages={
            "required": _("Vælg en fil at vedhæfte."),
            "empty": _("Filen er tom."),
            "invalid": _("Vælg en fil at vedhæfte."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()


# --- attendance ----------------------------------------------------------------------------------


class PersonChoiceField(forms.ChoiceField):
    """A person from a list loaded once by the view (one query for every select on the page)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=(), **kwargs)
        self.people: dict[str, Person] = {}

    def load(self, people: Iterable[Person], empty_label: str) -> None:
        self.people = {str(person.pk): person for person in people}
        self.choices = [("", empty_label), *((pk, p.name) for pk, p in self.people.items())]

    def clean(self, value: Any) -> Person | None:
        key = super().clean(value)
        return self.people.get(key) if key else None


class AttendanceActions:
    PRESENT = "present"
    INVITED = "invited"
    APOLOGIES = "apologies"
    GUEST = "guest"
    ALL = (PRESENT, INVITED, APOLOGIES, GUEST)


class AttendanceForm(DkfdsMixin, forms.Form):
    """One attendance action: mark present, reset to invited, register apologies (afbud) with
    an optional substitute, or invite a guest."""

    action = forms.ChoiceField(
        choices=[(action, action) for action in AttendanceActions.ALL], widget=forms.HiddenInput
    )
    person = PersonChoiceField(label=_("Person"), error_messages={"required": _("Vælg en person.")})
    substitute = PersonChoiceField(
        label=_("Stedfortræder"),
        required=False,
        help_text=_("Den, der møder i stedet, hvis nogen."),
    )

    def __init__(
        self,
        *args: Any,
        invited: Iterable[Person],
        people: Iterable[Person],
        action: str = "",
        **kwargs: Any,
    ) -> None:
        if action:
            kwargs.setdefault("initial", {})["action"] = action
        super().__init__(*args, **kwargs)
        people = list(people)
        guest = action == AttendanceActions.GUEST or self.data.get("action") == "guest"
        person = self.fields["person"]
        substitute = self.fields["substitute"]
        if isinstance(person, PersonChoiceField):
            person.load(people if guest else invited, str(_("– vælg –")))
        if isinstance(substitute, PersonChoiceField):
            substitute.load(people, str(_("– ingen –")))
        if guest:
            person.label = _("Gæst")
            del self.fields["substitute"]
        self.style_widgets()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        person, substitute = data.get("person"), data.get("substitute")
        if person is not None and substitute is not None and person.pk == substitute.pk:
            self.add_error(
                "substitute",
                _("En stedfortræder skal være en anden end den, der melder afbud."),
            )
        return data


class ApologyForm(forms.Form):
    """A member's own apology (afbud): register (optionally with a substitute) or withdraw."""

    action = forms.ChoiceField(choices=[("register", "register"), ("withdraw", "withdraw")])
    substitute = forms.TypedChoiceField(
        label=_("Stedfortræder (valgfri)"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Vælg en stedfortræder fra listen.")},
    )

    def __init__(self, *args: Any, substitutes: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        substitute = cast(forms.TypedChoiceField, self.fields["substitute"])
        substitute.choices = [("", ""), *substitutes]


# --- minutes -------------------------------------------------------------------------------------


def minutes_field_name(item: AgendaItem) -> str:
    return f"minutes_{item.pk}"


class MinutesForm(DkfdsMixin, forms.Form):
    """The minutes (referat) of every item in one form: saving never loses another item's text.
    With `with_reason`, a correction of published minutes, which must say why."""

    reason = forms.CharField(
        label=_("Begrundelse for rettelsen"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Vises for læserne af referatet sammen med tidspunktet for rettelsen."),
        error_messages={"required": _("Skriv, hvorfor referatet rettes.")},
    )

    def __init__(
        self, *args: Any, items: Iterable[AgendaItem], with_reason: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not with_reason:
            del self.fields["reason"]
        self.items = list(items)
        for item in self.items:
            self.fields[minutes_field_name(item)] = forms.CharField(
                label=str(item),
                required=False,
                initial=item.minutes,
                widget=forms.Textarea(attrs={"rows": 5}),
                help_text=RICH_TEXT_HELP,
            )
        self.style_widgets()

    def item_fields(self) -> list[tuple[AgendaItem, forms.BoundField]]:
        return [(item, self[minutes_field_name(item)]) for item in self.items]

    def minutes(self) -> dict[int, str]:
        """Item id → the minutes as typed."""
        return {item.pk: self.cleaned_data[minutes_field_name(item)] for item in self.items}

    def changed_items(self) -> list[AgendaItem]:
        return [item for item in self.items if minutes_field_name(item) in self.changed_data]
