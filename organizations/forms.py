"""Forms for the secretariat's pages. They validate and say what is wrong in Danish, at the
field; the writes are in organizations.services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from organizations.models import Body, Membership, Municipality, Organization, Person, Region
from organizations.services import (
    AffiliationTarget,
    NewPerson,
    affiliation_fields,
    unique_body_slug,
)

_CLASSES: list[tuple[type[forms.Widget], str]] = [
    (forms.CheckboxInput, "form-checkbox"),
    (forms.Select, "form-select"),
    (forms.FileInput, "form-file-input"),
]


class DkfdsMixin:
    """Gives each widget the DKFDS class it needs (form-input, form-select, form-checkbox)."""

    fields: dict[str, forms.Field]

    def style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            css = next((c for kind, c in _CLASSES if isinstance(widget, kind)), "form-input")
            existing = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{css} {existing}".strip()


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: at the field when the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        field = name if name in form.fields else None
        if field is None and name in ("municipality", "region", "organization"):
            field = next((f for f in ("affiliation", "represents") if f in form.fields), None)
        form.add_error(field if name != NON_FIELD_ERRORS else None, errors)


class DateInput(forms.DateInput):
    """The browser's date picker; it sends YYYY-MM-DD whatever the language."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d", attrs={"class": "input-width-s"})


# --- affiliation: one municipality, region or other organisation, or nobody ----------------------

_PREFIXES: dict[str, type[Municipality] | type[Region] | type[Organization]] = {
    "kommune": Municipality,
    "region": Region,
    "organisation": Organization,
}


def affiliation_key(target: AffiliationTarget) -> str:
    if target is None:
        return ""
    prefix = next(p for p, model in _PREFIXES.items() if isinstance(target, model))
    return f"{prefix}:{target.pk}"


class AffiliationField(forms.ChoiceField):
    """One list with municipalities, regions and other organisations, so a person or a
    membership can never be tied to more than one of them."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(choices=(), **kwargs)
        self.targets: dict[str, Municipality | Region | Organization] = {}

    def load(self) -> None:
        """Fill the list (three queries); called from the form's __init__."""
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        for label, queryset in (
            (_("Kommuner"), Municipality.objects.order_by("name")),
            (_("Regioner"), Region.objects.order_by("code")),
            (_("Andre organisationer"), Organization.objects.order_by("name")),
        ):
            options = []
            for target in queryset:
                key = affiliation_key(target)
                self.targets[key] = target
                options.append((key, str(target)))
            if options:
                groups.append((str(label), options))
        self.choices = [("", _("– ingen –")), *groups]

    def clean(self, value: Any) -> AffiliationTarget:
        key = super().clean(value)
        return self.targets.get(key) if key else None


# --- bodies ------------------------------------------------------------------------------------


class BodyForm(DkfdsMixin, forms.ModelForm):
    class Meta:
        model = Body
        fields = [
            "name",
            "short_name",
            "slug",
            "kind",
            "region",
            "parent",
            "mandate",
            "meeting_rhythm",
            "is_public",
            "order",
        ]
        help_texts = {
            "short_name": _("Fx 'FU' for Forretningsudvalget."),
            "slug": _(
                "Bruges i organets adresse, fx 'fu'. Kun små bogstaver a–z, tal og "
                "bindestreger. Lad feltet stå tomt for at danne den ud fra navnet."
            ),
            "parent": _("Det organ, der har nedsat dette organ, hvis der er et."),
            "mandate": _("Organets opgaver og sammensætning (kommissorium)."),
            "meeting_rhythm": _("Fx '3 møder i foråret og 3 i efteråret'."),
            "order": _("Organer med lavere tal vises først."),
        }
        error_messages = {
            "slug": {
                "unique": _("Et andet organ har allerede denne korte adresse."),
                "invalid": _(
                    "Den korte adresse må kun indeholde små bogstaver a–z, tal, "
                    "bindestreger og understregninger."
                ),
            },
        }
        widgets = {"mandate": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        parent = cast(forms.ModelChoiceField, self.fields["parent"])
        parents = Body.objects.select_related("region").order_by("name")
        if self.instance.pk is not None:
            parents = parents.exclude(pk=self.instance.pk)
        parent.queryset = parents
        parent.empty_label = _("– intet –")
        if self.instance.pk is None and not self.is_bound:
            region = Region.objects.filter(code=settings.PORTAL_REGION_CODE).first()
            if region is not None:
                self.initial.setdefault("region", region.pk)
        self.style_widgets()

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data.get("slug", "")
        if not slug and self.cleaned_data.get("name"):
            pk = self.instance.pk
            slug = unique_body_slug(self.cleaned_data["name"], exclude_pk=pk)
        return slug

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


# --- people ------------------------------------------------------------------------------------


class _UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.name} <{obj.email}>" if obj.name else obj.email


class PersonForm(DkfdsMixin, forms.ModelForm):
    affiliation = AffiliationField(
        label=_("Tilknytning"),
        help_text=_("Den kommune, region eller anden organisation personen er ansat i."),
    )
    user = _UserChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("email"),
        required=False,
        label=_("Brugerkonto"),
        empty_label=_("– ingen brugerkonto –"),
        help_text=_(
            "Personens brugerkonto i portalen. Som medlem af et organ kan personen så læse "
            "organets lukkede punkter."
        ),
        error_messages={
            "unique": _("Denne brugerkonto er allerede knyttet til en anden person."),
        },
    )

    class Meta:
        model = Person
        fields = ["name", "job_title", "affiliation", "email", "phone", "user"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        affiliation = cast(AffiliationField, self.fields["affiliation"])
        affiliation.load()
        if self.instance.pk is not None and not self.is_bound:
            self.initial["affiliation"] = affiliation_key(self.instance.affiliation)
        self.style_widgets()

    def clean_email(self) -> str:
        email: str = self.cleaned_data.get("email", "")
        if email:
            others = Person.objects.filter(email__iexact=email)
            if self.instance.pk is not None:
                others = others.exclude(pk=self.instance.pk)
            other = others.first()
            if other is not None:
                raise ValidationError(
                    _("%(name)s har allerede denne e-mailadresse."),
                    code="duplicate",
                    params={"name": other.name},
                )
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        # Set on the instance too, so the model's own checks see the chosen affiliation.
        for name, value in affiliation_fields(self.cleaned_data.get("affiliation")).items():
            setattr(self.instance, name, value)
        return self.cleaned_data

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


# --- memberships -------------------------------------------------------------------------------


class MembershipForm(DkfdsMixin, forms.ModelForm):
    """Edit a membership: role, whom it represents, voting right, dates and a note."""

    represents = AffiliationField(
        label=_("Repræsenterer"),
        help_text=_("Den kommune, region eller organisation medlemmet sidder for."),
    )

    class Meta:
        model = Membership
        fields = ["role", "represents", "voting_right", "start_date", "end_date", "note"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        help_texts = {
            "end_date": _("Den sidste dag medlemskabet gælder. Tom, hvis det stadig gælder."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        represents = cast(AffiliationField, self.fields["represents"])
        represents.load()
        if self.instance.pk is not None and not self.is_bound:
            self.initial["represents"] = affiliation_key(self.instance.affiliation)
        self.style_widgets()

    def clean(self) -> dict[str, Any]:
        super().clean()
        for name, value in affiliation_fields(self.cleaned_data.get("represents")).items():
            setattr(self.instance, name, value)
        return self.cleaned_data

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class _PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        details = ", ".join(part for part in (obj.job_title, obj.affiliation_name) if part)
        return f"{obj.name} ({details})" if details else obj.name


class MembershipAddForm(MembershipForm):
    """Add a member to a body: an existing person, or a new one created with the membership."""

    person = _PersonChoiceField(
        queryset=Person.objects.select_related("municipality", "region", "organization").order_by(
            "name"
        ),
        required=False,
        label=_("Person"),
        empty_label=_("– vælg en person –"),
    )
    new_person_name = forms.CharField(
        label=_("Navn på ny person"),
        required=False,
        max_length=200,
        help_text=_("Udfyld kun, hvis personen ikke findes i listen ovenfor."),
    )
    new_person_email = forms.EmailField(label=_("Den nye persons e-mail"), required=False)
    new_person_job_title = forms.CharField(
        label=_("Den nye persons stilling"), required=False, max_length=200
    )

    field_order = [
        "person",
        "new_person_name",
        "new_person_email",
        "new_person_job_title",
        "role",
        "represents",
        "voting_right",
        "start_date",
        "end_date",
        "note",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("start_date", timezone.localdate())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        person = cleaned.get("person")
        new_name = cleaned.get("new_person_name", "").strip()
        if person is None and not new_name and "person" not in self.errors:
            self.add_error(
                "person", _("Vælg en person, eller skriv navnet på en ny person nedenfor.")
            )
        elif person is not None and new_name:
            self.add_error(
                "new_person_name",
                _("Vælg enten en person i listen eller opret en ny – ikke begge dele."),
            )
        return cleaned

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        person = self.cleaned_data["person"]
        kwargs["person"] = person or NewPerson(
            name=self.cleaned_data["new_person_name"].strip(),
            email=self.cleaned_data["new_person_email"],
            job_title=self.cleaned_data["new_person_job_title"].strip(),
        )
        return kwargs


class MembershipEndForm(DkfdsMixin, forms.Form):
    end_date = forms.DateField(
        label=_("Sidste dag i organet"),
        widget=DateInput(),
        help_text=_("Medlemskabet gælder til og med denne dag. Det slettes ikke."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("end_date", timezone.localdate())
        self.style_widgets()


# --- imports -----------------------------------------------------------------------------------


class ImportForm(DkfdsMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV-fil"),
        help_text=_(
            "En CSV-fil i UTF-8 med komma eller semikolon som skilletegn, fx gemt fra Excel "
            "som 'CSV UTF-8 (kommasepareret)'."
        ),
        error_messages={
            "required": _("Vælg en fil."),
            "empty": _("Filen er tom."),
            "invalid": _("Der blev ikke sendt en fil. Tjek formularens kodning."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,text/csv,text/plain"
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


class CompositionDateForm(forms.Form):
    """The date at which to show a body's composition (?dato=YYYY-MM-DD)."""

    dato = forms.DateField(
        label=_("Vis sammensætningen pr. dato"),
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text=_("Skriv datoen som ÅÅÅÅ-MM-DD, fx 2023-03-01."),
        error_messages={
            "invalid": _("Datoen er ikke gyldig. Skriv den som ÅÅÅÅ-MM-DD, fx 2023-03-01.")
        },
    )
