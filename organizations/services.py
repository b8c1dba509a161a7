"""Writes for the organisation: bodies, people, memberships, contacts and the CSV imports.

Every write validates the whole object (full_clean) before saving, so the model's Danish error
messages reach the form or the import row at fault. Memberships are never deleted: a seat is
ended by giving it an end date, so the composition of a body on any past date can be answered.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from core.importing import ImportResult, ImportSpec, normalise, run_import
from organizations.importers import (
    ContactImporter,
    ContactRow,
    MemberImporter,
    MemberRow,
    PersonRow,
)
from organizations.models import (
    Body,
    Contact,
    ContactArea,
    ContactFunction,
    ContactTopic,
    Membership,
    Municipality,
    Organization,
    Person,
    Region,
)

# Whom a person works for, or a member represents: exactly one of these, or nobody.
AffiliationTarget = Municipality | Region | Organization | None

_SLUG_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def affiliation_fields(target: AffiliationTarget) -> dict[str, Any]:
    """The three affiliation columns for `target`, at most one of them filled."""
    return {
        "municipality": target if isinstance(target, Municipality) else None,
        "region": target if isinstance(target, Region) else None,
        "organization": target if isinstance(target, Organization) else None,
    }


def _set_affiliation(instance: Person | Membership, target: AffiliationTarget) -> None:
    for name, value in affiliation_fields(target).items():
        setattr(instance, name, value)


# --- bodies ----------------------------------------------------------------------------------


def unique_body_slug(name: str, *, exclude_pk: int | None = None) -> str:
    """A free slug made from the name: 'Kontaktudvalget' -> 'kontaktudvalget', then '-2' …"""
    max_length = Body._meta.get_field("slug").max_length or 80
    base = slugify(name.translate(_SLUG_LETTERS))[: max_length - 4].strip("-") or "organ"
    others = Body.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    taken = set(others.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def body_create(
    *,
    name: str,
    kind: str,
    region: Region,
    slug: str = "",
    short_name: str = "",
    parent: Body | None = None,
    mandate: str = "",
    meeting_rhythm: str = "",
    is_public: bool = True,
    order: int = 0,
) -> Body:
    """Create a body (organ) of the cooperation. Without a slug one is made from the name."""
    body = Body(
        name=name,
        short_name=short_name,
        slug=slug or unique_body_slug(name),
        kind=kind,
        region=region,
        parent=parent,
        mandate=mandate,
        meeting_rhythm=meeting_rhythm,
        is_public=is_public,
        order=order,
    )
    body.full_clean()
    body.save()
    return body


@transaction.atomic
def body_update(
    *,
    body: Body,
    name: str,
    kind: str,
    region: Region,
    slug: str,
    short_name: str,
    parent: Body | None,
    mandate: str,
    meeting_rhythm: str,
    is_public: bool,
    order: int,
) -> Body:
    """Change everything about a body; its meetings and memberships stay with it."""
    body.name = name
    body.kind = kind
    body.region = region
    body.slug = slug or unique_body_slug(name, exclude_pk=body.pk)
    body.short_name = short_name
    body.parent = parent
    body.mandate = mandate
    body.meeting_rhythm = meeting_rhythm
    body.is_public = is_public
    body.order = order
    body.full_clean()
    body.save()
    return body


# --- people ----------------------------------------------------------------------------------


@transaction.atomic
def person_create(
    *,
    name: str,
    job_title: str = "",
    email: str = "",
    phone: str = "",
    affiliation: AffiliationTarget = None,
    user: User | None = None,
) -> Person:
    """Create a person, working for at most one municipality, region or other organisation."""
    person = Person(name=name, job_title=job_title, email=email, phone=phone, user=user)
    _set_affiliation(person, affiliation)
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    name: str,
    job_title: str,
    email: str,
    phone: str,
    affiliation: AffiliationTarget,
    user: User | None,
) -> Person:
    """Change a person. Their memberships keep whom they represented at the time."""
    person.name = name
    person.job_title = job_title
    person.email = email
    person.phone = phone
    person.user = user
    _set_affiliation(person, affiliation)
    person.full_clean()
    person.save()
    return person


# --- memberships -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPerson:
    """A person to create together with their first membership."""

    name: str
    email: str = ""
    job_title: str = ""


@transaction.atomic
def membership_add(
    *,
    body: Body,
    person: Person | NewPerson,
    role: str,
    start_date: datetime.date,
    represents: AffiliationTarget = None,
    voting_right: bool = True,
    end_date: datetime.date | None = None,
    note: str = "",
) -> Membership:
    """Give a person a seat in a body. A new person works for whom they represent."""
    if isinstance(person, NewPerson):
        person = person_create(
            name=person.name,
            email=person.email,
            job_title=person.job_title,
            affiliation=represents,
        )
    membership = Membership(
        body=body,
        person=person,
        role=role,
        voting_right=voting_right,
        start_date=start_date,
        end_date=end_date,
        note=note,
    )
    _set_affiliation(membership, represents)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def membership_update(
    *,
    membership: Membership,
    role: str,
    represents: AffiliationTarget,
    voting_right: bool,
    start_date: datetime.date,
    end_date: datetime.date | None,
    note: str,
) -> Membership:
    """Correct a membership. To record that a seat ended, use membership_end."""
    membership.role = role
    membership.voting_right = voting_right
    membership.start_date = start_date
    membership.end_date = end_date
    membership.note = note
    _set_affiliation(membership, represents)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, end_date: datetime.date) -> Membership:
    """End a seat on `end_date` (the last day it held). The row is kept, never deleted."""
    if membership.end_date is not None:
        raise ValidationError(
            {
                "end_date": _("Medlemskabet er allerede afsluttet den %(date)s.")
                % {"date": date_format(membership.end_date, "j. F Y")}
            }
        )
    membership.end_date = end_date
    membership.full_clean()
    membership.save(update_fields=["end_date", "updated_at"])
    return membership


# --- contacts --------------------------------------------------------------------------------


@transaction.atomic
def contact_add(
    *,
    municipality: Municipality,
    function: ContactFunction,
    area: ContactArea,
    topic: ContactTopic,
    person: Person,
) -> Contact:
    """Put a person in the contact directory for a municipality, function, area and topic."""
    contact = Contact(
        municipality=municipality, function=function, area=area, topic=topic, person=person
    )
    contact.full_clean()
    contact.save()
    return contact


# --- imports ---------------------------------------------------------------------------------


def _affiliation_key(target: AffiliationTarget) -> tuple[str, int] | None:
    return None if target is None else (type(target).__name__, target.pk)


class _PersonIndex:
    """Finds the person a file row means: by e-mail (any case) when the row has one, else by
    name and affiliation. People are loaded once, so Danish letters compare case-insensitively
    on every database, and people created by earlier rows of the same file are found too."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        self.by_email: dict[str, Person] = {}
        self.by_name: dict[tuple[str, tuple[str, int] | None], list[Person]] = {}
        self.updated: set[int] = set()
        people = Person.objects.select_related("municipality", "region", "organization")
        for person in people.order_by("pk"):
            self._remember(person)

    def _remember(self, person: Person) -> None:
        if person.email:
            self.by_email.setdefault(person.email.casefold(), person)
        key = (normalise(person.name), _affiliation_key(person.affiliation))
        self.by_name.setdefault(key, []).append(person)

    def find(self, row: PersonRow, affiliation: AffiliationTarget) -> Person | None:
        if row.email and (person := self.by_email.get(row.email.casefold())):
            return person
        candidates = self.by_name.get((normalise(row.name), _affiliation_key(affiliation)), [])
        if row.email:
            # A namesake with another address is another person; one without any may be ours.
            candidates = [person for person in candidates if not person.email]
        return candidates[0] if candidates else None

    def get_or_create(self, row: PersonRow, affiliation: AffiliationTarget) -> Person:
        person = self.find(row, affiliation)
        if person is None:
            person = person_create(
                name=row.name,
                job_title=row.job_title,
                email=row.email,
                phone=row.phone,
                affiliation=affiliation,
            )
            self.result.count(_("nye personer"))
            self._remember(person)
            return person
        # The file may add what the portal lacks or has changed; it never blanks a field.
        job_title = row.job_title or person.job_title
        phone = row.phone or person.phone
        email = person.email or row.email
        target = person.affiliation or affiliation
        changed = (job_title, phone, email) != (person.job_title, person.phone, person.email)
        if changed or target is not person.affiliation:
            person_update(
                person=person,
                name=person.name,
                job_title=job_title,
                email=email,
                phone=phone,
                affiliation=target,
                user=person.user,
            )
            if person.pk not in self.updated:
                self.updated.add(person.pk)
                self.result.count(_("opdaterede personer"))
            self._remember(person)
        return person


class _MemberWriter:
    def __init__(self) -> None:
        self.people: _PersonIndex | None = None

    def __call__(self, row: MemberRow, result: ImportResult) -> None:
        if self.people is None:
            self.people = _PersonIndex(result)
        person = self.people.get_or_create(row.person, row.represents)
        existing = Membership.objects.filter(
            person=person, body=row.body, role=row.role, start_date=row.start_date
        ).first()
        if existing is None:
            membership_add(
                body=row.body,
                person=person,
                role=row.role,
                represents=row.represents,
                voting_right=row.voting_right,
                start_date=row.start_date,
                end_date=row.end_date,
            )
            result.count(_("nye medlemskaber"))
            return
        unchanged = (
            existing.end_date == row.end_date
            and existing.voting_right == row.voting_right
            and existing.affiliation == row.represents
        )
        if unchanged:
            result.count(_("uændrede medlemskaber"))
            return
        membership_update(
            membership=existing,
            role=existing.role,
            represents=row.represents,
            voting_right=row.voting_right,
            start_date=existing.start_date,
            end_date=row.end_date,
            note=existing.note,
        )
        result.count(_("opdaterede medlemskaber"))


class _ContactWriter:
    def __init__(self) -> None:
        self.people: _PersonIndex | None = None

    def __call__(self, row: ContactRow, result: ImportResult) -> None:
        if self.people is None:
            self.people = _PersonIndex(result)
        person = self.people.get_or_create(row.person, row.municipality)
        exists = Contact.objects.filter(
            municipality=row.municipality,
            function=row.function,
            area=row.area,
            topic=row.topic,
            person=person,
        ).exists()
        if exists:
            result.count(_("uændrede kontakter"))
            return
        contact_add(
            municipality=row.municipality,
            function=row.function,
            area=row.area,
            topic=row.topic,
            person=person,
        )
        result.count(_("nye kontakter"))


@transaction.atomic
def members_import(
    *, upload: UploadedFile | IO[bytes] | bytes, max_bytes: int | None = None
) -> ImportResult:
    """Import members from CSV: people (matched, never duplicated) and their memberships.

    Columns: navn, email, telefon, stilling, organ, rolle, repræsenterer, stemmeret, fra, til.
    Nothing is written unless every row is valid.
    """
    importer = MemberImporter()
    spec = ImportSpec(
        columns=importer.columns,
        validate=importer.validate,
        write=_MemberWriter(),
        field_columns=importer.field_columns,
    )
    return run_import(spec, upload, max_bytes=max_bytes)


@transaction.atomic
def contacts_import(
    *, upload: UploadedFile | IO[bytes] | bytes, max_bytes: int | None = None
) -> ImportResult:
    """Import the contact directory from CSV: who to call in which municipality about what.

    Columns: kommune, funktion, område, emne, navn, email, telefon, stilling.
    Nothing is written unless every row is valid.
    """
    importer = ContactImporter()
    spec = ImportSpec(
        columns=importer.columns,
        validate=importer.validate,
        write=_ContactWriter(),
        field_columns=importer.field_columns,
    )
    return run_import(spec, upload, max_bytes=max_bytes)
