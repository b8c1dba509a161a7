"""Where the domain apps tell the delivery engine about their notices.

The engine knows no domain app. In its `AppConfig.ready()` a domain app registers:

- a *topic family* (the first segment of a topic key: "body" for "body:12:agenda") with a Danish
  label function for the subscription pages and, optionally, a provider of *default recipients*
  (members of a body get its agendas unless they opted out);
- a *renderer* per notice kind, called once per recipient, so the app applies its own visibility
  rule to each (closed items appear as "Lukket punkt" to outsiders).

    from notices.registry import Recipient, RenderedMail, register_renderer, register_topic_family

    register_topic_family("body", label=body_topic_label, default_recipients=body_members)
    register_renderer("meetings.agenda_published", render_agenda_notice)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from notices.models import Notice


@dataclass(frozen=True)
class Recipient:
    """Who a mail is for: the address, and the login behind it when there is one."""

    email: str
    user: Any | None = None  # settings.AUTH_USER_MODEL instance, or None for an address only
    name: str = ""


@dataclass(frozen=True)
class RenderedMail:
    """A mail's content: subject, plain text and HTML (a fragment: the engine adds the frame
    with the unsubscribe and manage links). `url` is the page the notice is about (used in
    digests)."""

    subject: str
    text: str
    html: str
    url: str = ""


Renderer = Callable[["Notice", Recipient], RenderedMail]
LabelFunction = Callable[[str], str]
RecipientProvider = Callable[[str], Iterable[Recipient]]


@dataclass(frozen=True)
class TopicFamily:
    prefix: str
    label: LabelFunction
    default_recipients: RecipientProvider | None = None


class UnknownNoticeKind(LookupError):
    """No renderer was registered for a notice's kind."""


_families: dict[str, TopicFamily] = {}
_renderers: dict[str, Renderer] = {}


def topic_family_of(topic: str) -> str:
    """The family of a topic key: its first ':'-separated segment."""
    return topic.split(":", 1)[0]


def register_topic_family(
    prefix: str,
    *,
    label: LabelFunction,
    default_recipients: RecipientProvider | None = None,
) -> None:
    """Declare the topics "<prefix>" and "<prefix>:…": how they are named, who gets them by
    default. Registering the same prefix again replaces the earlier registration."""
    if ":" in prefix or not prefix:
        raise ValueError(f"a topic family prefix has no ':' and is not empty: {prefix!r}")
    _families[prefix] = TopicFamily(prefix, label, default_recipients)


def register_renderer(kind: str, renderer: Renderer) -> None:
    """`renderer(notice, recipient) -> RenderedMail` renders every notice of `kind`."""
    _renderers[kind] = renderer


def unregister(*, prefix: str | None = None, kind: str | None = None) -> None:
    """Forget a registration (for tests that register their own)."""
    if prefix is not None:
        _families.pop(prefix, None)
    if kind is not None:
        _renderers.pop(kind, None)


def renderer_for(kind: str) -> Renderer:
    try:
        return _renderers[kind]
    except KeyError:
        raise UnknownNoticeKind(f"no renderer registered for notice kind {kind!r}") from None


def topic_label(topic: str) -> str:
    """The Danish name of a topic for the subscription pages; the key itself if unregistered."""
    family = _families.get(topic_family_of(topic))
    if family is None:
        return topic
    return family.label(topic)


def default_recipients(topic: str) -> Iterable[Recipient]:
    """Who receives the topic's notices without subscribing (before opt-outs are applied)."""
    family = _families.get(topic_family_of(topic))
    if family is None or family.default_recipients is None:
        return ()
    return family.default_recipients(topic)
