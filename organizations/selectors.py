"""Reads for the organisation pages. Every function runs a fixed number of queries."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, TextChoices
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.db import danish
from organizations.models import (
    ROLE_ORDER,
    Body,
    Contact,
    ContactArea,
    ContactFunction,
    ContactTopic,
    Membership,
    MembershipQuerySet,
    Municipality,
    Person,
    Region,
    Role,
)
from organizations.permissions import editable_municipality_ids, member_body_ids, visible_bodies


def portal_region() -> Region | None:
    return Region.objects.filter(code=settings.PORTAL_REGION_CODE).first()


def front_page_context() -> dict[str, Any]:
    region = portal_region()
    bodies: QuerySet[Body] = Body.objects.none()
    if region is not None:
        bodies = Body.objects.filter(region=region, is_public=True, parent__isnull=True).order_by(
            "order", danish("name")
        )
    return {"region": region, "top_bodies": bodies}


def search_organisation(query: str) -> dict[str, list[Any]]:
    """Bodies, municipalities and people whose names match; public bodies only."""
    term = query.strip()
    bodies = Body.objects.filter(is_public=True).filter(
        Q(name__icontains=term) | Q(short_name__icontains=term) | Q(mandate__icontains=term)
    )
    municipalities = Municipality.objects.filter(name__icontains=term).select_related("region")
    people = Person.objects.filter(Q(name__icontains=term) | Q(job_title__icontains=term))
    return {
        "bodies": list(bodies.order_by(danish("name"))[:25]),
        "municipalities": list(municipalities.order_by(danish("name"))[:25]),
        "people": list(
            people.select_related("municipality", "region", "organization").order_by(
                danish("name")
            )[:25]
        ),
    }


def roles_for_user(user: Any) -> dict[str, Any]:
    """The roles a logged-in user holds, for the profile page."""
    today = timezone.localdate()
    body_ids = member_body_ids(user, today)
    memberships = (
        Membership.objects.active_on(today)
        .filter(person__user=user, body_id__in=body_ids)
        .select_related("body")
        .order_by(danish("body__name"))
    )
    editor_ids = editable_municipality_ids(user) if not user.is_secretariat else frozenset()
    return {
        "is_secretariat": bool(user.is_secretariat),
        "memberships": list(memberships),
        "editor_for": list(Municipality.objects.filter(pk__in=editor_ids).order_by(danish("name"))),
    }


# --- public organisation pages --------------------------------------------------------------------

_MEMBERSHIP_AFFILIATION = ("municipality", "region", "organization")


@dataclass
class BodyNode:
    """A body in the organisation diagram with the bodies it has set up below it."""

    body: Body
    children: list[BodyNode] = field(default_factory=list)


@dataclass(frozen=True)
class RoleGroup:
    """The memberships of one role (formand, medlem …) in a body, in Danish name order."""

    role: str
    label: str
    memberships: list[Membership]


@dataclass(frozen=True)
class BodyMembers:
    """The memberships held in one body, grouped for a municipality's page."""

    body: Body
    memberships: list[Membership]


@dataclass(frozen=True)
class ContactRow:
    area: str
    topic: str
    people: list[Person]


@dataclass(frozen=True)
class ContactSection:
    """One function (myndighed or drift) of a municipality's contact directory."""

    function: str
    rows: list[ContactRow]


@dataclass(frozen=True)
class Diagram:
    region: Region | None
    tree: list[BodyNode]
    other_regions: list[Region]
    municipalities: list[Municipality]


@dataclass(frozen=True)
class BodyPage:
    body: Body
    day: datetime.date
    is_today: bool
    members: list[RoleGroup]
    former_members: list[Membership]
    children: list[Body]


@dataclass(frozen=True)
class MunicipalityPage:
    municipality: Municipality
    representation: list[BodyMembers]
    contacts: list[ContactSection]


@dataclass(frozen=True)
class PersonPage:
    person: Person
    current_memberships: list[Membership]
    former_memberships: list[Membership]
    contact_entries: list[Contact]


def build_body_tree(bodies: Iterable[Body]) -> list[BodyNode]:
    """Nest bodies under their parents, keeping the given order among siblings.

    A body whose parent is not in `bodies` (hidden from this user, or in another region) becomes a
    root; so does one link of a parent cycle, so that every body is shown exactly once.
    """
    nodes = {body.pk: BodyNode(body) for body in bodies}
    roots: list[BodyNode] = []
    for node in nodes.values():
        parent = nodes.get(node.body.parent_id) if node.body.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)

    reached: set[int] = set()

    def reach(node: BodyNode) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            reached.add(current.body.pk)
            stack.extend(child for child in current.children if child.body.pk not in reached)

    for root in roots:
        reach(root)
    for node in nodes.values():
        if node.body.pk in reached:
            continue
        parent = nodes[node.body.parent_id] if node.body.parent_id is not None else None
        if parent is not None:
            parent.children.remove(node)
        roots.append(node)
        reach(node)
    return roots


def organisation_diagram(user: Any, region_code: str) -> Diagram:
    """The bodies of a region as a tree, the other regions with bodies and the region's
    municipalities. Three queries (plus the user's memberships, once per request)."""
    bodies_visible = visible_bodies(user)
    regions = list(
        Region.objects.annotate(
            has_bodies=Exists(bodies_visible.filter(region=OuterRef("pk")))
        ).order_by(danish("name"))
    )
    region = next((r for r in regions if r.code == region_code), None)
    if region is None:
        return Diagram(region=None, tree=[], other_regions=[], municipalities=[])
    bodies = bodies_visible.filter(region=region).order_by("order", danish("name"))
    municipalities = Municipality.objects.filter(region=region).order_by(danish("name"))
    return Diagram(
        region=region,
        tree=build_body_tree(bodies),
        other_regions=[r for r in regions if r.has_bodies and r.pk != region.pk],
        municipalities=list(municipalities),
    )


def get_visible_body(user: Any, slug: str) -> Body:
    """The body with this slug if the user may see it, else Http404."""
    queryset = (
        visible_bodies(user)
        .select_related("region", "parent")
        .annotate(parent_is_visible=Exists(visible_bodies(user).filter(pk=OuterRef("parent_id"))))
    )
    return get_object_or_404(queryset, slug=slug)


def _memberships_with_people() -> MembershipQuerySet:
    return Membership.objects.select_related("person", *_MEMBERSHIP_AFFILIATION)


def group_by_role(memberships: Iterable[Membership]) -> list[RoleGroup]:
    """Memberships grouped in the order chair, vice chair, member, substitute, observer,
    secretary; the order within a group is kept."""
    by_role: dict[str, list[Membership]] = {}
    for membership in memberships:
        by_role.setdefault(membership.role, []).append(membership)
    labels = dict(Role.choices)
    return [
        RoleGroup(role=str(role), label=str(labels[role]), memberships=by_role[role])
        for role in ROLE_ORDER
        if role in by_role
    ]


def body_page(user: Any, body: Body, day: datetime.date | None = None) -> BodyPage:
    """A body's members on `day` (today by default) by role, its former members and the
    sub-bodies the user may see. Three queries."""
    today = timezone.localdate()
    day = day or today
    members = (
        _memberships_with_people()
        .active_on(day)
        .filter(body=body)
        .order_by(danish("person__name"), "start_date")
    )
    former = (
        _memberships_with_people()
        .ended_before(today)
        .filter(body=body)
        .order_by("-end_date", danish("person__name"))
    )
    children = visible_bodies(user).filter(parent=body).order_by("order", danish("name"))
    return BodyPage(
        body=body,
        day=day,
        is_today=day == today,
        members=group_by_role(members),
        former_members=list(former),
        children=list(children),
    )


def _choice_index(choices: type[TextChoices]) -> dict[str, int]:
    return {value: index for index, value in enumerate(choices.values)}


def contact_directory(contacts: Iterable[Contact]) -> list[ContactSection]:
    """Contacts grouped function × area × topic, in the order the choices are declared."""
    function_index = _choice_index(ContactFunction)
    area_index = _choice_index(ContactArea)
    topic_index = _choice_index(ContactTopic)
    ordered = sorted(
        contacts,
        key=lambda c: (
            function_index.get(c.function, len(function_index)),
            area_index.get(c.area, len(area_index)),
            topic_index.get(c.topic, len(topic_index)),
        ),
    )
    sections: list[ContactSection] = []
    for _function, function_group in groupby(ordered, key=lambda c: c.function):
        in_function = list(function_group)
        rows = [
            ContactRow(
                area=entries[0].get_area_display(),
                topic=entries[0].get_topic_display(),
                people=[entry.person for entry in entries],
            )
            for entries in (
                list(group) for _key, group in groupby(in_function, key=lambda c: (c.area, c.topic))
            )
        ]
        sections.append(ContactSection(function=in_function[0].get_function_display(), rows=rows))
    return sections


def municipality_page(user: Any, code: str) -> MunicipalityPage:
    """A municipality, the people who represent it in bodies today and its contact directory.
    Three queries. Municipal editors are not shown: they are logins, not contacts."""
    municipality = get_object_or_404(Municipality.objects.select_related("region"), code=code)
    today = timezone.localdate()
    memberships = (
        Membership.objects.active_on(today)
        .filter(municipality=municipality, body__in=visible_bodies(user))
        .select_related("person", "body")
        .order_by("body__order", danish("body__name"), danish("person__name"))
    )
    representation = [
        BodyMembers(
            body=group[0].body,
            memberships=[m for g in group_by_role(group) for m in g.memberships],
        )
        for group in (list(g) for _body_id, g in groupby(memberships, key=lambda m: m.body_id))
    ]
    contacts = (
        Contact.objects.filter(municipality=municipality)
        .select_related("person")
        .order_by(danish("person__name"))
    )
    return MunicipalityPage(
        municipality=municipality,
        representation=representation,
        contacts=contact_directory(contacts),
    )


def person_page(user: Any, pk: int) -> PersonPage:
    """A person with their memberships in the bodies the user may see, split into current
    (including ones that have not started yet) and former. Three queries."""
    person = get_object_or_404(
        Person.objects.select_related("municipality", "region", "organization"), pk=pk
    )
    today = timezone.localdate()
    memberships = (
        person.memberships.filter(body__in=visible_bodies(user))
        .select_related("body", *_MEMBERSHIP_AFFILIATION)
        .order_by("-start_date", danish("body__name"))
    )
    current: list[Membership] = []
    former: list[Membership] = []
    for membership in memberships:
        ended = membership.end_date is not None and membership.end_date < today
        (former if ended else current).append(membership)
    contact_entries = person.contact_entries.select_related("municipality").order_by(
        danish("municipality__name"), "function", "area", "topic"
    )
    return PersonPage(
        person=person,
        current_memberships=current,
        former_memberships=former,
        contact_entries=list(contact_entries),
    )
