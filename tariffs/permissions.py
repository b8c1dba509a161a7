"""Who may do what with tariffs: the one place this is decided.

- The public reads published tariffs only.
- A municipal editor enters, edits and submits the tariffs of the offers their municipality
  operates, and reads those sheets in any state; nothing else.
- The secretariat and the tariff group's members (Takstgruppen, `TARIFFS_REVIEW_BODY_SLUG`)
  review: read every sheet, approve or return with a comment. The secretariat publishes, keeps
  the PL index and the tariff rules, and may enter tariffs for any offer (the Region's too).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from core.permissions import is_secretariat
from offers.models import Offer
from offers.permissions import can_edit_offer
from organizations.models import Body
from organizations.permissions import editable_municipality_ids, member_body_ids
from tariffs.models import SheetState, TariffSheet

EDITABLE_STATES = (SheetState.DRAFT, SheetState.RETURNED)


def _review_body_id() -> int | None:
    return (
        Body.objects.filter(slug=settings.TARIFFS_REVIEW_BODY_SLUG)
        .values_list("pk", flat=True)
        .first()
    )


def can_review(user: Any) -> bool:
    """The secretariat, and active members of the tariff group."""
    if is_secretariat(user):
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cached: bool | None = getattr(user, "_tariffs_can_review", None)
    if cached is None:
        body_id = _review_body_id()
        cached = body_id is not None and body_id in member_body_ids(user)
        user._tariffs_can_review = cached
    return cached


def can_review_sheet(user: Any, sheet: TariffSheet) -> bool:
    """A reviewer decides on other municipalities' sheets, not their own: a Takstgruppen member
    who also enters the offer's tariffs may not approve or return them (the secretariat may)."""
    if is_secretariat(user):
        return True
    return can_review(user) and not can_enter_tariffs(user, sheet.offer)


def can_publish(user: Any) -> bool:
    return is_secretariat(user)


def can_manage_tables(user: Any) -> bool:
    """The PL index, the tariff rules and the tariff years."""
    return is_secretariat(user)


def can_enter_tariffs(user: Any, offer: Offer) -> bool:
    """Whoever edits the offer (its municipality's editors, the secretariat) enters its tariffs."""
    return can_edit_offer(user, offer)


def can_edit_sheet(user: Any, sheet: TariffSheet) -> bool:
    return sheet.state in EDITABLE_STATES and can_enter_tariffs(user, sheet.offer)


def sheets_visible_to(user: Any) -> QuerySet[TariffSheet]:
    """Published sheets for everyone; every sheet for reviewers; an editor's own offers' sheets
    in any state."""
    sheets = TariffSheet.objects.all()
    if can_review(user):
        return sheets
    published = Q(state=SheetState.PUBLISHED)
    if getattr(user, "is_authenticated", False):
        own = editable_municipality_ids(user)
        if own:
            return sheets.filter(published | Q(offer__operator_municipality_id__in=own))
    return sheets.filter(published)


def can_see_sheet(user: Any, sheet: TariffSheet) -> bool:
    if sheet.state == SheetState.PUBLISHED:
        return True
    return can_review(user) or can_enter_tariffs(user, sheet.offer)


def can_see_history(user: Any) -> bool:
    """The change history (django-simple-history) is for the secretariat."""
    return is_secretariat(user)
