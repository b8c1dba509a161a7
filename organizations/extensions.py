"""Hooks through which the apps above `organizations` add to its pages.

The organisation app knows nothing of meetings, written rounds or offers; those apps register a
section here (in their AppConfig.ready) and the body and municipality pages render every
registered section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from organizations.models import Body, Municipality


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
_municipality_sections: dict[str, MunicipalitySection] = {}


@dataclass(frozen=True)
class MunicipalitySection:
    """A section on a municipality's page (the offers it operates, its capacity by area)."""

    key: str
    template_name: str
    context: Callable[[HttpRequest, Municipality], dict[str, Any]]
    order: int = 100


def register_municipality_section(section: MunicipalitySection) -> None:
    _municipality_sections[section.key] = section


def render_municipality_sections(
    request: HttpRequest, municipality: Municipality
) -> list[tuple[str, dict[str, Any]]]:
    """(template name, context) for each registered section, in order."""
    return [
        (section.template_name, section.context(request, municipality))
        for section in sorted(_municipality_sections.values(), key=lambda s: (s.order, s.key))
    ]


def register_body_section(section: BodySection) -> None:
    _body_sections[section.key] = section


def render_body_sections(request: HttpRequest, body: Body) -> list[tuple[str, dict[str, Any]]]:
    """(template name, context) for each registered section, in order."""
    return [
        (section.template_name, section.context(request, body))
        for section in sorted(_body_sections.values(), key=lambda s: (s.order, s.key))
    ]
