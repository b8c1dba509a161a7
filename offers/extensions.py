"""Hooks through which the apps above `offers` add to an offer's page.

The offers app knows nothing of tariffs; the tariffs app registers a section here (the offer's
tariffs over the years) and the offer page renders every registered section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from offers.models import Offer


@dataclass(frozen=True)
class OfferSection:
    """A section on an offer's page; the context function runs a fixed number of queries,
    decides visibility itself, and returns {} to show nothing."""

    key: str
    template_name: str
    context: Callable[[HttpRequest, Offer], dict[str, Any]]
    order: int = 100


_offer_sections: dict[str, OfferSection] = {}


def register_offer_section(section: OfferSection) -> None:
    _offer_sections[section.key] = section


def render_offer_sections(request: HttpRequest, offer: Offer) -> list[tuple[str, dict[str, Any]]]:
    rendered = []
    for section in sorted(_offer_sections.values(), key=lambda s: (s.order, s.key)):
        context = section.context(request, offer)
        if context:
            rendered.append((section.template_name, context))
    return rendered
