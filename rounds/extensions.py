"""Hooks through which the apps above `rounds` add to a round's page.

The rounds app knows nothing of offers; the offers app registers a section here (the capacity
changes proposed with the round) and the round page renders every registered section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from rounds.models import WrittenRound
from rounds.permissions import RoundAccess


@dataclass(frozen=True)
class RoundSection:
    """A section on a round's page. The context function gets the reader's access to the round
    and must run a fixed number of queries; it returns {} to show nothing."""

    key: str
    template_name: str
    context: Callable[[HttpRequest, WrittenRound, RoundAccess], dict[str, Any]]
    order: int = 100


_round_sections: dict[str, RoundSection] = {}


def register_round_section(section: RoundSection) -> None:
    _round_sections[section.key] = section


def render_round_sections(
    request: HttpRequest, round_: WrittenRound, access: RoundAccess
) -> list[tuple[str, dict[str, Any]]]:
    """(template name, context) for each registered section with something to show."""
    rendered = []
    for section in sorted(_round_sections.values(), key=lambda s: (s.order, s.key)):
        context = section.context(request, round_, access)
        if context:
            rendered.append((section.template_name, context))
    return rendered
