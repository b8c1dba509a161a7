"""Who may see and do what in the organisation app. Views ask here and nowhere else."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.permissions import can_see_contact_details, is_secretariat
from organizations.models import Body, Membership, Municipality

__all__ = [
    "can_edit_organisation",
    "can_see_contact_details",
    "editable_municipality_ids",
    "is_secretariat",
    "member_body_ids",
    "visible_bodies",
]


def can_edit_organisation(user: Any) -> bool:
    """Bodies, people, memberships and contacts are edited by the secretariat only."""
    return is_secretariat(user)


def member_body_ids(user: Any, day: datetime.date | None = None) -> frozenset[int]:
    """The bodies the user is an active member of on `day` (today by default).

    Body membership is derived from the Person linked to the login, never stored on the user.
    """
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cache_name = "_member_body_ids_cache"
    day = day or timezone.localdate()
    cache: dict[datetime.date, frozenset[int]] = getattr(user, cache_name, None) or {}
    if day not in cache:
        cache[day] = frozenset(
            Membership.objects.active_on(day)
            .filter(person__user=user)
            .values_list("body_id", flat=True)
        )
        setattr(user, cache_name, cache)
    return cache[day]


def is_member_of(user: Any, body: Body, day: datetime.date | None = None) -> bool:
    return body.pk in member_body_ids(user, day)


def editable_municipality_ids(user: Any) -> frozenset[int]:
    """Municipalities whose offers and tariffs the user may edit (all, for the secretariat)."""
    if is_secretariat(user):
        return frozenset(Municipality.objects.values_list("pk", flat=True))
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(user.editor_grants.values_list("municipality_id", flat=True))


def visible_bodies(user: Any) -> QuerySet[Body]:
    """Public bodies for everyone; non-public ones for their members and the secretariat."""
    bodies = Body.objects.all()
    if is_secretariat(user):
        return bodies
    member_of = member_body_ids(user)
    if member_of:
        return bodies.filter(Q(is_public=True) | Q(pk__in=member_of))
    return bodies.filter(is_public=True)
