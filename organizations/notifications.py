"""The bodies' topics for the notices engine: "body:<id>:agenda", "body:<id>:minutes" and
"body:<id>:rounds" (results of written rounds).

Anyone may subscribe to a body's topics; the body's members get them without subscribing (the
engine applies their opt-outs: a Subscription row for (email, topic) that is not pending decides).
Registered in `OrganizationsConfig.ready()`; what is sent on these topics is rendered by the
meetings app (`meetings.notifications`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from notices.registry import Recipient, register_topic_family
from organizations.models import Body, Membership, Person

FAMILY = "body"
AGENDA = "agenda"
MINUTES = "minutes"
ROUNDS = "rounds"
WHATS = (AGENDA, MINUTES, ROUNDS)

# Body names for the topic labels, which the engine asks for once per mail: kept briefly, so a
# mass send costs one query per body rather than one per recipient, and a renamed body shows its
# new name within a minute.
_NAME_TTL = 60.0
_names: dict[int, tuple[float, str | None]] = {}


def body_topic(body_id: int, what: str) -> str:
    """The topic key of a body's agendas (`AGENDA`), minutes (`MINUTES`) or written rounds'
    results (`ROUNDS`)."""
    return f"{FAMILY}:{body_id}:{what}"


def parse_body_topic(topic: str) -> tuple[int, str] | None:
    """(body id, "agenda" / "minutes" / "rounds" / "") of a body topic key; None if it is not
    one."""
    parts = topic.split(":")
    if len(parts) not in (2, 3) or parts[0] != FAMILY or not parts[1].isdigit():
        return None
    what = parts[2] if len(parts) == 3 else ""
    if what not in ("", *WHATS):
        return None
    return int(parts[1]), what


def _body_name(body_id: int) -> str | None:
    now = time.monotonic()
    known = _names.get(body_id)
    if known is not None and known[0] > now:
        return known[1]
    name = Body.objects.filter(pk=body_id).values_list("name", flat=True).first()
    _names[body_id] = (now + _NAME_TTL, name)
    return name


def body_topic_label(topic: str) -> str:
    """ "body:12:agenda" → "Dagsordener fra Forretningsudvalget"; the key itself if unknown."""
    parsed = parse_body_topic(topic)
    if parsed is None:
        return topic
    body_id, what = parsed
    name = _body_name(body_id)
    if name is None:
        return topic
    if what == AGENDA:
        return _("Dagsordener fra %(body)s") % {"body": name}
    if what == MINUTES:
        return _("Referater fra %(body)s") % {"body": name}
    if what == ROUNDS:
        return _("Skriftlige høringer i %(body)s") % {"body": name}
    return _("Nyt fra %(body)s") % {"body": name}


def body_members(topic: str) -> Iterable[Recipient]:
    """The body's active members today with an e-mail address (the person's own, else their
    login's), with their login when it is active: they get the body's agendas, minutes and
    rounds' results without subscribing. One query."""
    parsed = parse_body_topic(topic)
    if parsed is None or parsed[1] not in WHATS:
        return []
    body_id = parsed[0]
    active = Membership.objects.active_on(timezone.localdate()).filter(body_id=body_id)
    people = (
        Person.objects.filter(pk__in=active.values("person_id"))
        .select_related("user")
        .order_by("pk")
    )
    recipients: list[Recipient] = []
    seen: set[str] = set()
    for person in people:
        user = person.user if person.user is not None and person.user.is_active else None
        address = (person.email or (person.user.email if person.user is not None else "")).strip()
        if not address or address.lower() in seen:
            continue
        seen.add(address.lower())
        recipients.append(Recipient(email=address.lower(), user=user, name=person.name))
    return recipients


def register() -> None:
    register_topic_family(FAMILY, label=body_topic_label, default_recipients=body_members)
