"""Reads for the organisation pages. Every function runs a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.db import danish
from organizations.models import Body, Membership, Municipality, Person, Region
from organizations.permissions import editable_municipality_ids, member_body_ids


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
