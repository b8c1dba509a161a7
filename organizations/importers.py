"""What the member and contact CSV files look like, and how one row is validated.

The generic machinery (reading, separators, row errors, all-or-nothing) is in core.importing;
the writes are in organizations.services (members_import, contacts_import).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.importing import (
    CellError,
    Column,
    CsvRow,
    RowChecker,
    choice_parser,
    normalise,
    parse_date,
    parse_optional_date,
    parse_yes_no,
)
from organizations.models import (
    Body,
    ContactArea,
    ContactFunction,
    ContactTopic,
    Municipality,
    Organization,
    Person,
    Region,
    Role,
)

Party = Municipality | Region | Organization

NAME_MAX = Person._meta.get_field("name").max_length or 200
JOB_TITLE_MAX = Person._meta.get_field("job_title").max_length or 200
PHONE_MAX = Person._meta.get_field("phone").max_length or 40
EMAIL_MAX = 254

PERSON_COLUMNS = (
    Column("navn"),
    Column("email", required=False, aliases=("e-mail", "mail", "e-mailadresse")),
    Column("telefon", required=False, aliases=("tlf", "tlf.", "telefonnummer")),
    Column("stilling", required=False, aliases=("titel", "jobtitel")),
)

MEMBER_COLUMNS = (
    *PERSON_COLUMNS,
    Column("organ"),
    Column("rolle"),
    Column("repræsenterer", required=False, aliases=("repraesentant", "repræsentant")),
    Column("stemmeret", required=False),
    Column("fra", aliases=("startdato", "start")),
    Column("til", required=False, aliases=("slutdato", "slut")),
)

CONTACT_COLUMNS = (
    Column("kommune"),
    Column("funktion"),
    Column("område", aliases=("omraade", "omrade")),
    Column("emne", required=False),
    *PERSON_COLUMNS,
)

# Which column a model field's error belongs to, when a write is refused at the last moment.
MEMBER_FIELD_COLUMNS = {
    "name": "navn",
    "email": "email",
    "phone": "telefon",
    "job_title": "stilling",
    "body": "organ",
    "role": "rolle",
    "municipality": "repræsenterer",
    "region": "repræsenterer",
    "organization": "repræsenterer",
    "voting_right": "stemmeret",
    "start_date": "fra",
    "end_date": "til",
}
CONTACT_FIELD_COLUMNS = {
    "name": "navn",
    "email": "email",
    "phone": "telefon",
    "job_title": "stilling",
    "municipality": "kommune",
    "function": "funktion",
    "area": "område",
    "topic": "emne",
}


def _choice_table[C: models.TextChoices](
    choices: type[C], extra: Mapping[str, C] | None = None
) -> dict[str, C]:
    """A lookup from both the stored value and the Danish label of each choice."""
    table: dict[str, C] = {}
    for member in choices:
        table[member.value] = member
        table[member.value.replace("_", " ")] = member
        table[str(member.label)] = member
    table.update(extra or {})
    return table


def _choice_parser[C: models.TextChoices](
    choices: type[C], message: str, extra: Mapping[str, C] | None = None
) -> Callable[[str], C]:
    """`message` has %(value)s for the cell and %(valid)s for the list of valid values."""
    valid = ", ".join(str(label).lower() for label in choices.labels)
    return choice_parser(_choice_table(choices, extra), message=message.replace("%(valid)s", valid))


@dataclass(frozen=True)
class PersonRow:
    name: str
    email: str
    phone: str
    job_title: str


@dataclass(frozen=True)
class MemberRow:
    person: PersonRow
    body: Body
    role: Role
    represents: Party | None
    voting_right: bool
    start_date: datetime.date
    end_date: datetime.date | None


@dataclass(frozen=True)
class ContactRow:
    person: PersonRow
    municipality: Municipality
    function: ContactFunction
    area: ContactArea
    topic: ContactTopic


class Lookups:
    """Bodies, municipalities, regions and organisations by every name a file may use.

    Loaded once per import (four queries), so validating a long file costs no more queries.
    """

    def __init__(self) -> None:
        self.bodies: dict[str, list[Body]] = defaultdict(list)
        for body in Body.objects.select_related("region"):
            for key in {normalise(body.slug), normalise(body.name), normalise(body.short_name)}:
                if key:
                    self.bodies[key].append(body)
        self.municipalities: dict[str, Municipality] = {}
        for municipality in Municipality.objects.all():
            name = normalise(municipality.name)
            self.municipalities[municipality.code] = municipality
            self.municipalities[name] = municipality
            self.municipalities.setdefault(name.removesuffix(" kommune"), municipality)
        self.regions: dict[str, Region] = {}
        for region in Region.objects.all():
            name = normalise(region.name)
            self.regions[region.code] = region
            self.regions[name] = region
            self.regions.setdefault(name.removeprefix("region "), region)
        self.organizations: dict[str, Organization] = {}
        for organization in Organization.objects.all():
            self.organizations[normalise(organization.name)] = organization
            if organization.short_name:
                self.organizations.setdefault(normalise(organization.short_name), organization)

    def body(self, value: str) -> Body:
        key = normalise(value)
        by_slug = [body for body in self.bodies.get(key, []) if body.slug == value.strip()]
        found = by_slug or self.bodies.get(key, [])
        if len(found) == 1:
            return found[0]
        if found:
            raise CellError(
                _("Flere organer hedder '%(value)s'. Brug organets korte adresse: %(slugs)s.")
                % {"value": value.strip(), "slugs": ", ".join(body.slug for body in found)}
            )
        raise CellError(
            _(
                "Organet '%(value)s' findes ikke i portalen. Skriv organets korte adresse "
                "(fx 'fu') eller navn."
            )
            % {"value": value.strip()}
        )

    def municipality(self, value: str) -> Municipality:
        municipality = self.municipalities.get(normalise(value))
        if municipality is None:
            raise CellError(
                _(
                    "'%(value)s' er ikke en kommune i portalen. Skriv kommunens navn "
                    "eller kommunekode."
                )
                % {"value": value.strip()}
            )
        return municipality

    def party(self, value: str) -> Party | None:
        """A municipality (name or kommunekode), a region (name) or another organisation."""
        key = normalise(value)
        if not key:
            return None
        found: Party | None = (
            self.municipalities.get(key) or self.regions.get(key) or self.organizations.get(key)
        )
        if found is None:
            raise CellError(
                _(
                    "'%(value)s' er hverken en kommune (navn eller kommunekode), en region "
                    "eller en anden organisation i portalen."
                )
                % {"value": value.strip()}
            )
        return found


def _email(value: str) -> str:
    email = value.strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise CellError(
            _("'%(value)s' er ikke en gyldig e-mailadresse.") % {"value": email}
        ) from None
    if len(email) > EMAIL_MAX:
        raise CellError(_("E-mailadressen er for lang."))
    return email


def _person(check: RowChecker) -> PersonRow:
    return PersonRow(
        name=check.text("navn", required=True, max_length=NAME_MAX),
        email=check.cell("email", _email) or "",
        phone=check.text("telefon", max_length=PHONE_MAX),
        job_title=check.text("stilling", max_length=JOB_TITLE_MAX),
    )


# --- members ---------------------------------------------------------------------------------


class MemberImporter:
    """Validates one row of a member file: navn, email, telefon, stilling, organ, rolle,
    repræsenterer, stemmeret, fra, til."""

    columns = MEMBER_COLUMNS
    field_columns = MEMBER_FIELD_COLUMNS

    def __init__(self) -> None:
        self.lookups = Lookups()
        self.parse_role = _choice_parser(
            Role, _("'%(value)s' er ikke en gyldig rolle. Gyldige roller: %(valid)s.")
        )

    def validate(self, row: CsvRow, check: RowChecker) -> MemberRow | None:
        person = _person(check)
        body = check.cell("organ", self.lookups.body, required=True)
        role = check.cell("rolle", self.parse_role, required=True)
        represents = check.cell("repræsenterer", self.lookups.party)
        voting_right = check.cell("stemmeret", lambda value: parse_yes_no(value, default=True))
        start_date = check.cell("fra", parse_date, required=True)
        end_date = check.cell("til", parse_optional_date)
        if start_date and end_date and end_date < start_date:
            check.error(
                "til",
                _("Slutdatoen %(end)s ligger før startdatoen %(start)s.")
                % {
                    "end": date_format(end_date, "j. F Y"),
                    "start": date_format(start_date, "j. F Y"),
                },
            )
        if check.errors or body is None or role is None or start_date is None:
            return None
        return MemberRow(
            person=person,
            body=body,
            role=role,
            represents=represents,
            voting_right=True if voting_right is None else voting_right,
            start_date=start_date,
            end_date=end_date,
        )


# --- contacts --------------------------------------------------------------------------------


class ContactImporter:
    """Validates one row of a contact file: kommune, funktion, område, emne, navn, email,
    telefon, stilling."""

    columns = CONTACT_COLUMNS
    field_columns = CONTACT_FIELD_COLUMNS

    def __init__(self) -> None:
        self.lookups = Lookups()
        self.parse_function = _choice_parser(
            ContactFunction,
            _("'%(value)s' er ikke en gyldig funktion. Gyldige funktioner: %(valid)s."),
        )
        self.parse_area = _choice_parser(
            ContactArea,
            _("'%(value)s' er ikke et gyldigt område. Gyldige områder: %(valid)s."),
            {"børn": ContactArea.CHILDREN, "børn/unge": ContactArea.CHILDREN},
        )
        self.parse_topic = _choice_parser(
            ContactTopic,
            _("'%(value)s' er ikke et gyldigt emne. Gyldige emner: %(valid)s."),
            {
                "betalingsaftale": ContactTopic.PAYMENT,
                "delegationsaftale": ContactTopic.DELEGATION,
                "varsling": ContactTopic.CHANGES,
                "takst": ContactTopic.TARIFFS,
                "kapacitet": ContactTopic.CAPACITY,
            },
        )

    def _topic(self, value: str) -> ContactTopic:
        return self.parse_topic(value) if value.strip() else ContactTopic.GENERAL

    def validate(self, row: CsvRow, check: RowChecker) -> ContactRow | None:
        municipality = check.cell("kommune", self.lookups.municipality, required=True)
        function = check.cell("funktion", self.parse_function, required=True)
        area = check.cell("område", self.parse_area, required=True)
        topic = check.cell("emne", self._topic)
        person = _person(check)
        if (
            check.errors
            or municipality is None
            or function is None
            or area is None
            or topic is None
        ):
            return None
        return ContactRow(
            person=person, municipality=municipality, function=function, area=area, topic=topic
        )
