"""Who may do what with offers: the one place this is decided.

- Everyone reads the offers covered by the agreement (and the secretariat all of them).
- The secretariat creates and edits every offer, and confirms or rejects proposed events.
- A municipal editor (organizations.MunicipalEditor) edits the offers their municipality
  operates and proposes lifecycle events for them; nothing else.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from core.permissions import is_secretariat
from offers.models import EventKind, EventState, LifecycleEvent, Offer
from organizations.permissions import editable_municipality_ids

__all__ = [
    "can_confirm_events",
    "can_edit_offer",
    "can_manage_offers",
    "can_propose_event",
    "can_see_event",
    "editable_offers",
    "offers_visible_to",
]


def can_manage_offers(user: Any) -> bool:
    """Creating offers, the maintained tables, imports and confirming events: the secretariat."""
    return is_secretariat(user)


def can_confirm_events(user: Any) -> bool:
    return is_secretariat(user)


def _editor_municipalities(user: Any) -> frozenset[int]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached: frozenset[int] | None = getattr(user, "_offer_editor_municipalities", None)
    if cached is None:
        cached = editable_municipality_ids(user) if not is_secretariat(user) else frozenset()
        user._offer_editor_municipalities = cached
    return cached


def can_edit_offer(user: Any, offer: Offer) -> bool:
    """The secretariat, or an editor of the municipality that operates the offer."""
    if is_secretariat(user):
        return True
    municipality_id = offer.operator_municipality_id
    return municipality_id is not None and municipality_id in _editor_municipalities(user)


def can_propose_event(user: Any, offer: Offer, kind: str = "") -> bool:
    """The offer's editors propose its changes; a takeover of a regional offer (SEL § 186) is
    proposed by the municipality it lies in."""
    if can_edit_offer(user, offer):
        return True
    return (
        kind == EventKind.TAKEOVER
        and offer.operator_region_id is not None
        and offer.location_id in _editor_municipalities(user)
    )


def can_see_event(user: Any, event: LifecycleEvent) -> bool:
    """Confirmed events are public with their offer; proposals and rejections are for the
    secretariat and the offer's editors."""
    if event.state == EventState.CONFIRMED:
        return True
    return can_edit_offer(user, event.offer)


def offers_visible_to(user: Any) -> QuerySet[Offer]:
    """The public reads the offers covered by the agreement; the secretariat all; an editor also
    their own municipality's offers that are not covered."""
    offers = Offer.objects.all()
    if is_secretariat(user):
        return offers
    own = _editor_municipalities(user)
    if own:
        return offers.filter(Q(is_covered=True) | Q(operator_municipality_id__in=own))
    return offers.filter(is_covered=True)


def editable_offers(user: Any) -> QuerySet[Offer]:
    if is_secretariat(user):
        return Offer.objects.all()
    return Offer.objects.filter(operator_municipality_id__in=_editor_municipalities(user))
