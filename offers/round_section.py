"""The section "Berørte tilbud" on a written round's page (rounds.extensions): the offer
changes proposed with the round, and what became of them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from offers.models import EventState, LifecycleEvent
from offers.permissions import can_manage_offers
from rounds.extensions import RoundSection, register_round_section
from rounds.models import RoundState, WrittenRound
from rounds.permissions import RoundAccess


def round_offers_context(
    request: HttpRequest, round_: WrittenRound, access: RoundAccess
) -> dict[str, Any]:
    """One query. Outsiders (who see only a closed round's outcome) see the confirmed changes;
    the body, the respondents and the secretariat also see what is proposed or rejected."""
    events = LifecycleEvent.objects.filter(decided_by_round=round_).select_related(
        "offer", "legal_basis", "to_legal_basis"
    )
    if not access.can_see_answers:
        events = events.filter(state=EventState.CONFIRMED)
    rows = list(events.order_by("effective_date", "pk"))
    manage = can_manage_offers(request.user) and round_.state in (RoundState.DRAFT, RoundState.OPEN)
    if not rows and not manage:
        return {}
    return {"round": round_, "events": rows, "can_add": manage}


def register() -> None:
    register_round_section(
        RoundSection(
            key="offers",
            template_name="offers/_round_offers.html",
            context=round_offers_context,
            order=10,
        )
    )
