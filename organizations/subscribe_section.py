"""The "Følg <organ>" box on a body's page, and the body → topic mapping of the notices.

The notices engine knows topics ("body:12:agenda"), not bodies: this module says which topics a
body has, and offers them on the body's page through the body-section hook. The box is a plain
form that posts to the subscribe page (double opt-in), so it works without JavaScript.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from core.importing import normalise
from notices.models import Frequency
from organizations.extensions import BodySection, register_body_section
from organizations.models import Body
from organizations.notifications import AGENDA, MINUTES, ROUNDS, body_topic
from organizations.permissions import is_member_of


def body_topics(body: Body | int) -> list[str]:
    """The topic keys of a body's agendas, minutes and written rounds' results (see
    organizations.notifications)."""
    body_id = body if isinstance(body, int) else body.pk
    return [body_topic(body_id, what) for what in (AGENDA, MINUTES, ROUNDS)]


def body_topic_names() -> dict[str, list[str]]:
    """What may name a body in a subscriber import (its name, short name or slug) → its topics.
    One query."""
    names: dict[str, list[str]] = {}
    seen: set[str] = set()
    for body_id, name, short_name, slug in Body.objects.order_by("name").values_list(
        "pk", "name", "short_name", "slug"
    ):
        for value in (short_name, name, slug):
            if value and normalise(value) not in seen:  # "fu" and "FU" are one name
                seen.add(normalise(value))
                names[value] = body_topics(body_id)
    return names


def follow_box_context(request: HttpRequest, body: Body) -> dict[str, Any]:
    """The box's context; no query (the membership check uses the per-request cache)."""
    if not body.is_public:
        return {"hidden": True}
    topics = body_topics(body)
    user = request.user
    member = user.is_authenticated and is_member_of(user, body)
    return {
        "hidden": False,
        "title": _("Følg %(body)s") % {"body": body.display_short_name},
        "heading_id": "follow-heading",
        "topics": [
            (topics[0], _("Dagsordener")),
            (topics[1], _("Referater")),
            (topics[2], _("Resultater af skriftlige høringer")),
        ],
        "email": user.email if user.is_authenticated else "",
        "frequencies": Frequency.choices,
        "action": f"{reverse('notices:subscribe')}?{urlencode([('emne', t) for t in topics])}",
        "button": _("Følg %(body)s") % {"body": body.display_short_name},
        "member_note_url": f"{reverse('profile')}#medlemsmails" if member else "",
    }


def register() -> None:
    """Called from OrganizationsConfig.ready()."""
    register_body_section(
        BodySection(
            key="subscribe",
            template_name="notices/_follow_box.html",
            context=follow_box_context,
            order=90,
        )
    )
