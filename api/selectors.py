"""What the API lists, per resource: the app's own visibility function for this reader, then
the client's filters. Never a rule of our own: who sees what is decided in the apps."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet

from meetings.models import AgendaItem, Attachment, Meeting
from meetings.visibility import items_readable_by, meetings_visible_to
from offers.models import Capacity, EventState, Offer
from offers.permissions import offers_visible_to
from organizations.models import Body, Membership, Municipality, Region
from organizations.permissions import visible_bodies
from rounds.models import WrittenRound
from rounds.permissions import rounds_visible_to
from tariffs.models import TariffSheet
from tariffs.permissions import sheets_visible_to


def regions() -> QuerySet[Region]:
    return Region.objects.order_by("pk")


def municipalities(*, region: int | None = None) -> QuerySet[Municipality]:
    rows = Municipality.objects.order_by("pk")
    return rows.filter(region_id=region) if region is not None else rows


def bodies(
    user: Any, *, region: int | None = None, modified_since: datetime.datetime | None = None
) -> QuerySet[Body]:
    rows = visible_bodies(user).order_by("pk")
    if region is not None:
        rows = rows.filter(region_id=region)
    if modified_since is not None:
        rows = rows.filter(updated_at__gte=modified_since)
    return rows


def memberships(
    user: Any,
    *,
    body: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    modified_since: datetime.datetime | None = None,
) -> QuerySet[Membership]:
    """Seats in the bodies the reader may see; `from`/`to` keep those held at some time in the
    range."""
    rows = (
        Membership.objects.filter(body__in=visible_bodies(user))
        .select_related("person", "body", "municipality", "region", "organization")
        .order_by("pk")
    )
    if body is not None:
        rows = rows.filter(body_id=body)
    if date_from is not None:
        rows = rows.filter(Q(end_date__isnull=True) | Q(end_date__gte=date_from))
    if date_to is not None:
        rows = rows.filter(start_date__lte=date_to)
    if modified_since is not None:
        rows = rows.filter(updated_at__gte=modified_since)
    return rows


def meetings(
    user: Any,
    *,
    body: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    modified_since: datetime.datetime | None = None,
) -> QuerySet[Meeting]:
    rows = meetings_visible_to(user).order_by("pk")
    if body is not None:
        rows = rows.filter(body_id=body)
    if date_from is not None:
        rows = rows.filter(starts_at__date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(starts_at__date__lte=date_to)
    if modified_since is not None:
        rows = rows.filter(updated_at__gte=modified_since)
    return rows


def agenda_items(
    user: Any,
    *,
    meeting: int | None = None,
    body: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    modified_since: datetime.datetime | None = None,
) -> QuerySet[AgendaItem]:
    """Every item on an agenda the reader may see, closed ones included: they are shown as
    `meetings.visibility.visible_item` gives them (number and "Lukket punkt" to outsiders)."""
    visible = meetings(user, body=body, date_from=date_from, date_to=date_to)
    rows = AgendaItem.objects.filter(meeting__in=visible.values("pk")).order_by("pk")
    if meeting is not None:
        rows = rows.filter(meeting_id=meeting)
    if modified_since is not None:
        rows = rows.filter(updated_at__gte=modified_since)
    return rows


def attachments(
    user: Any,
    *,
    meeting: int | None = None,
    item: int | None = None,
    body: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    modified_since: datetime.datetime | None = None,
) -> QuerySet[Attachment]:
    """Attachments of the items the reader may read in full (`items_readable_by`, the queryset
    form of `attachment_visible`)."""
    rows = (
        Attachment.objects.filter(item__in=items_readable_by(user).values("pk"))
        .select_related("item")
        .order_by("pk")
    )
    if meeting is not None:
        rows = rows.filter(item__meeting_id=meeting)
    if item is not None:
        rows = rows.filter(item_id=item)
    if body is not None:
        rows = rows.filter(item__meeting__body_id=body)
    if date_from is not None:
        rows = rows.filter(item__meeting__starts_at__date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(item__meeting__starts_at__date__lte=date_to)
    if modified_since is not None:
        rows = rows.filter(uploaded_at__gte=modified_since)
    return rows


def written_rounds(
    user: Any,
    *,
    body: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    modified_since: datetime.datetime | None = None,
) -> QuerySet[WrittenRound]:
    rows = rounds_visible_to(user).order_by("pk")
    if body is not None:
        rows = rows.filter(body_id=body)
    if date_from is not None:
        rows = rows.filter(decided_on__gte=date_from)
    if date_to is not None:
        rows = rows.filter(decided_on__lte=date_to)
    if modified_since is not None:
        rows = rows.filter(updated_at__gte=modified_since)
    return rows


def _in_municipality(municipality: int, prefix: str = "") -> Q:
    """Operated by or located in the municipality."""
    return Q(**{f"{prefix}operator_municipality_id": municipality}) | Q(
        **{f"{prefix}location_id": municipality}
    )


def offers(
    user: Any,
    *,
    municipality: int | None = None,
    region: int | None = None,
    status: str | None = None,
    modified_since: datetime.datetime | None = None,
) -> QuerySet[Offer]:
    rows = (
        offers_visible_to(user)
        .select_related("operator_municipality", "operator_region", "location")
        .prefetch_related("legal_bases", "target_groups", "events")
        .order_by("pk")
    )
    if municipality is not None:
        rows = rows.filter(_in_municipality(municipality))
    if region is not None:
        rows = rows.filter(operator_region_id=region)
    if status:
        rows = rows.filter(status=status)
    if modified_since is not None:
        rows = rows.filter(updated_at__gte=modified_since)
    return rows


def capacities(
    user: Any,
    *,
    offer: int | None = None,
    municipality: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    modified_since: datetime.datetime | None = None,
) -> QuerySet[Capacity]:
    """Capacity rows of the offers the reader may see; a row written by an event only once the
    event is confirmed (`offers.permissions.can_see_event`: confirmed events are public)."""
    rows = (
        Capacity.objects.filter(offer__in=offers_visible_to(user).values("pk"))
        .filter(Q(event__isnull=True) | Q(event__state=EventState.CONFIRMED))
        .select_related("offer", "legal_basis")
        .order_by("pk")
    )
    if offer is not None:
        rows = rows.filter(offer_id=offer)
    if municipality is not None:
        rows = rows.filter(_in_municipality(municipality, "offer__"))
    if date_from is not None:
        rows = rows.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=date_from))
    if date_to is not None:
        rows = rows.filter(valid_from__lte=date_to)
    if modified_since is not None:
        rows = rows.filter(created_at__gte=modified_since)
    return rows


def tariff_sheets(
    user: Any,
    *,
    year: int | None = None,
    offer: int | None = None,
    municipality: int | None = None,
    modified_since: datetime.datetime | None = None,
) -> QuerySet[TariffSheet]:
    rows = sheets_visible_to(user).select_related("offer").prefetch_related("lines").order_by("pk")
    if year is not None:
        rows = rows.filter(year=year)
    if offer is not None:
        rows = rows.filter(offer_id=offer)
    if municipality is not None:
        rows = rows.filter(_in_municipality(municipality, "offer__"))
    if modified_since is not None:
        rows = rows.filter(
            Q(created_at__gte=modified_since)
            | Q(submitted_at__gte=modified_since)
            | Q(reviewed_at__gte=modified_since)
            | Q(published_at__gte=modified_since)
        )
    return rows
