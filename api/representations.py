"""Rows as the API shows them: dicts matching `api.schemas`. Links are absolute URLs on
SITE_URL, so ids stay the same whichever host name a client used."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse

from api.schemas import LOCAL, OPARL
from meetings.models import AgendaItem, Attachment, Meeting
from meetings.visibility import FullItem, ItemView
from offers.models import Capacity, Offer
from offers.permissions import can_see_event
from organizations.models import Body, Membership, Municipality, Region
from rounds.models import WrittenRound
from tariffs.models import TariffSheet


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def api_url(name: str, pk: int | None = None) -> str:
    return absolute(reverse(f"api:{name}", kwargs={"pk": pk} if pk is not None else None))


def list_url(name: str, **query: int) -> str:
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return f"{api_url(name)}?{params}"


def region(row: Region) -> dict[str, Any]:
    return {
        "id": api_url("region", row.pk),
        "pk": row.pk,
        "type": f"{LOCAL}Region",
        "code": row.code,
        "name": row.name,
        "web": absolute(row.get_absolute_url()),
        "municipalities": list_url("municipalities", region=row.pk),
    }


def municipality(row: Municipality) -> dict[str, Any]:
    return {
        "id": api_url("municipality", row.pk),
        "pk": row.pk,
        "type": f"{LOCAL}Municipality",
        "code": row.code,
        "name": row.name,
        "region": api_url("region", row.region_id),
        "web": absolute(row.get_absolute_url()),
    }


def body(row: Body) -> dict[str, Any]:
    return {
        "id": api_url("body", row.pk),
        "pk": row.pk,
        "type": f"{OPARL}Organization",
        "name": row.name,
        "short_name": row.short_name,
        "slug": row.slug,
        "kind": row.kind,
        "region": api_url("region", row.region_id),
        "parent": api_url("body", row.parent_id) if row.parent_id else None,
        "mandate": row.mandate,
        "meeting_rhythm": row.meeting_rhythm,
        "memberships": list_url("memberships", body=row.pk),
        "meetings": list_url("meetings", body=row.pk),
        "web": absolute(row.get_absolute_url()),
        "created": row.created_at,
        "modified": row.updated_at,
    }


def _affiliation(row: Membership) -> tuple[str | None, str | None]:
    if row.municipality_id:
        return "municipality", api_url("municipality", row.municipality_id)
    if row.region_id:
        return "region", api_url("region", row.region_id)
    if row.organization_id:
        return "organization", None
    return None, None


def membership(row: Membership) -> dict[str, Any]:
    """Name, role, body, whom the member represents and the dates: never contact details."""
    kind, url = _affiliation(row)
    return {
        "id": api_url("membership", row.pk),
        "pk": row.pk,
        "type": f"{OPARL}Membership",
        "person": row.person.name,
        "role": row.role,
        "role_label": str(row.get_role_display()),
        "body": api_url("body", row.body_id),
        "body_name": row.body.name,
        "affiliation": row.affiliation_name,
        "affiliation_kind": kind,
        "affiliation_url": url,
        "voting_right": row.voting_right,
        "start_date": row.start_date,
        "end_date": row.end_date,
        "created": row.created_at,
        "modified": row.updated_at,
    }


def meeting(row: Meeting) -> dict[str, Any]:
    return {
        "id": api_url("meeting", row.pk),
        "pk": row.pk,
        "type": f"{OPARL}Meeting",
        "name": row.title,
        "body": api_url("body", row.body_id),
        "body_name": row.body.name,
        "start": row.starts_at,
        "end": row.ends_at,
        "location": row.place,
        "cancelled": row.cancelled,
        "state": row.state,
        "agenda_published_at": row.agenda_published_at,
        "minutes_published_at": row.minutes_published_at if row.minutes_are_published else None,
        "agenda_items": list_url("agenda_items", meeting=row.pk),
        "web": absolute(reverse("meetings:detail", args=[row.pk])),
        "created": row.created_at,
        "modified": row.updated_at,
    }


def agenda_item(
    view: ItemView,
    *,
    meeting_id: int,
    stamps: tuple[datetime.datetime, datetime.datetime] | None,
) -> dict[str, Any]:
    """An item exactly as `meetings.visibility` gives it; a `RedactedItem` carries its number
    and "Lukket punkt" and nothing else, so nothing else can be shown."""
    shown: dict[str, Any] = {
        "id": api_url("agenda_item", view.pk),
        "pk": view.pk,
        "type": f"{OPARL}AgendaItem",
        "meeting": api_url("meeting", meeting_id),
        "number": view.number,
        "parent": api_url("agenda_item", view.parent_id) if view.parent_id else None,
        "title": str(view.title),
        "redacted": view.is_redacted,
        "is_closed": view.is_closed,
        "kind": None,
        "presenter": None,
        "case_text": None,
        "recommendation": None,
        "minutes": None,
        "follows_up": None,
        "attachments": [],
        "created": None,
        "modified": None,
    }
    if isinstance(view, FullItem):
        shown |= {
            "kind": view.kind,
            "presenter": view.presenter,
            "case_text": str(view.case_text),
            "recommendation": str(view.recommendation),
            "minutes": str(view.minutes),
            "follows_up": api_url("agenda_item", view.follows_up.pk) if view.follows_up else None,
            "attachments": [api_url("attachment", a.pk) for a in view.attachments],
            "created": stamps[0] if stamps else None,
            "modified": stamps[1] if stamps else None,
        }
    return shown


def item_stamps(
    items: Iterable[AgendaItem],
) -> dict[int, tuple[datetime.datetime, datetime.datetime]]:
    return {item.pk: (item.created_at, item.updated_at) for item in items}


def attachment(row: Attachment) -> dict[str, Any]:
    return {
        "id": api_url("attachment", row.pk),
        "pk": row.pk,
        "type": f"{OPARL}File",
        "name": row.original_name,
        "mime_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "agenda_item": api_url("agenda_item", row.item_id),
        "meeting": api_url("meeting", row.item.meeting_id),
        "access_url": absolute(reverse("meetings:attachment", args=[row.pk])),
        "created": row.uploaded_at,
        "modified": row.uploaded_at,
    }


def written_round(row: WrittenRound) -> dict[str, Any]:
    """The outcome only: no proposal text, answers or respondents."""
    return {
        "id": api_url("written_round", row.pk),
        "pk": row.pk,
        "type": f"{LOCAL}WrittenRound",
        "title": row.title,
        "body": api_url("body", row.body_id),
        "state": row.state,
        "decided_on": row.decided_on,
        "resolution": row.resolution,
        "web": absolute(reverse("rounds:detail", args=[row.pk])),
    }


def offer(row: Offer, user: Any) -> dict[str, Any]:
    if row.operator_municipality_id:
        operator: str | None = api_url("municipality", row.operator_municipality_id)
    elif row.operator_region_id:
        operator = api_url("region", row.operator_region_id)
    else:
        operator = None
    events = sorted(
        (event for event in row.events.all() if can_see_event(user, event)),
        key=lambda event: (event.effective_date, event.pk),
    )
    return {
        "id": api_url("offer", row.pk),
        "pk": row.pk,
        "type": f"{LOCAL}Offer",
        "name": row.name,
        "tilbudsportalen_id": row.tilbudsportalen_id,
        "operator": operator,
        "operator_name": str(row.operator or ""),
        "location": api_url("municipality", row.location_id),
        "location_name": row.location.name,
        "address": row.address,
        "postal_code": row.postal_code,
        "city": row.city,
        "area": row.area,
        "offer_type": row.offer_type,
        "coverage": row.coverage,
        "is_covered": row.is_covered,
        "steering_category": row.steering_category,
        "status": row.status,
        "description": row.description,
        "legal_bases": [str(basis) for basis in row.legal_bases.all()],
        "target_groups": [str(group) for group in row.target_groups.all()],
        "events": [
            {
                "kind": event.kind,
                "state": event.state,
                "effective_date": event.effective_date,
                "end_date": event.end_date,
                "announced_on": event.announced_on,
                "places": event.places,
            }
            for event in events
        ],
        "capacity": list_url("capacities", offer=row.pk),
        "tariffs": list_url("tariff_sheets", offer=row.pk),
        "web": absolute(row.get_absolute_url()),
        "created": row.created_at,
        "modified": row.updated_at,
    }


def capacity(row: Capacity) -> dict[str, Any]:
    return {
        "id": api_url("capacity", row.pk),
        "pk": row.pk,
        "type": f"{LOCAL}Capacity",
        "offer": api_url("offer", row.offer_id),
        "offer_name": row.offer.name,
        "kind": row.kind,
        "legal_basis": str(row.legal_basis) if row.legal_basis else None,
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
        "places": row.places,
        "created": row.created_at,
    }


def tariff_sheet(row: TariffSheet) -> dict[str, Any]:
    stamps = [
        stamp
        for stamp in (row.created_at, row.submitted_at, row.reviewed_at, row.published_at)
        if stamp is not None
    ]
    return {
        "id": api_url("tariff_sheet", row.pk),
        "pk": row.pk,
        "type": f"{LOCAL}TariffSheet",
        "offer": api_url("offer", row.offer_id),
        "offer_name": row.offer.name,
        "year": row.year,
        "version": row.version,
        "state": row.state,
        "published_at": row.published_at,
        "lines": [
            {
                "service": line.service,
                "label": line.label,
                "unit": line.unit,
                "amount": str(line.amount),
                "places": line.places,
                "days": line.days,
                "occupancy_percent": (
                    str(line.occupancy_percent) if line.occupancy_percent is not None else None
                ),
            }
            for line in sorted(row.lines.all(), key=lambda line: (line.order, line.pk))
        ],
        "created": row.created_at,
        "modified": max(stamps),
    }
