"""Hooks through which the apps above `organizations` add to its pages.

The organisation app knows nothing of meetings or written rounds; those apps register a
section here (in their AppConfig.ready) and the body page renders every registered section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from organizations.models import Body


@dataclass(frozen=True)
class BodySection:
    """A section on a body's page: a template and a function that builds its context.

    The context function must run a fixed number of queries and decide visibility itself.
    """

    key: str
    template_name: str
    context: Callable[[HttpRequest, Body], dict[str, Any]]
    order: int = 100


_body_sections: dict[str, BodySection] = {}


def register_body_section(section: BodySection) -> None:
    _body_sections[section.key] = section


def render_body_sections(request: HttpRequest, body: Body) -> list[tuple[str, dict[str, Any]]]:
    """(template name, context) for each registered section, in order."""
    return [
        (section.template_name, section.context(request, body))
        for section in sorted(_body_sections.values(), key=lambda s: (s.order, s.key))
    ]
