"""Building the mails: template triplets, the frame every notice mail shares, signed links.

Every mail is Danish, HTML with a plain-text alternative, has a stable Message-ID, and carries
a one-click unsubscribe (RFC 8058) and a link to manage the subscriptions.
"""

from __future__ import annotations

import email.policy
import re
from email._header_value_parser import UnstructuredTokenList, get_unstructured
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from notices.registry import Recipient, RenderedMail

CONFIRM_SALT = "notices.confirm"
UNSUBSCRIBE_SALT = "notices.unsubscribe"
MANAGE_SALT = "notices.manage"

_SPACES = re.compile(r"\s+")


# --- signed links -------------------------------------------------------------------------------


class TokenError(Exception):
    """A link that cannot be used; the message (Danish) says why and what to do."""


def _load(token: str, *, salt: str, max_age: int | None) -> dict[str, Any]:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise TokenError(
            _("Linket er udløbet. Bestil et nyt link, og brug det inden for den angivne tid.")
        ) from exc
    except signing.BadSignature as exc:
        raise TokenError(
            _("Linket er ugyldigt. Kopiér hele linket fra mailen, eller bestil et nyt.")
        ) from exc
    if not isinstance(value, dict) or not isinstance(value.get("e"), str):
        raise TokenError(
            _("Linket er ugyldigt. Kopiér hele linket fra mailen, eller bestil et nyt.")
        )
    return value


def confirm_token(email: str, subscription_ids: list[int]) -> str:
    return signing.dumps({"e": email, "s": subscription_ids}, salt=CONFIRM_SALT, compress=True)


def read_confirm_token(token: str) -> tuple[str, list[int]]:
    value = _load(token, salt=CONFIRM_SALT, max_age=settings.NOTICES_CONFIRM_MAX_AGE)
    ids = value.get("s")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise TokenError(
            _("Linket er ugyldigt. Kopiér hele linket fra mailen, eller bestil et nyt.")
        )
    return value["e"], ids


def unsubscribe_token(email: str, *, topic: str | None = None, frequency: str | None = None) -> str:
    """One topic, or (for a digest) every subscription of that frequency. Never expires: an
    unsubscribe link must work as long as the mail exists."""
    payload: dict[str, str] = {"e": email}
    if topic is not None:
        payload["t"] = topic
    if frequency is not None:
        payload["f"] = frequency
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> dict[str, str]:
    value = _load(token, salt=UNSUBSCRIBE_SALT, max_age=None)
    return {key: str(value[key]) for key in ("e", "t", "f") if key in value}


def manage_token(email: str) -> str:
    return signing.dumps({"e": email}, salt=MANAGE_SALT)


def read_manage_token(token: str) -> str:
    return str(_load(token, salt=MANAGE_SALT, max_age=settings.NOTICES_MANAGE_MAX_AGE)["e"])


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(token: str) -> str:
    return absolute_url(reverse("notices:unsubscribe", args=[token]))


def manage_url(email: str) -> str:
    return absolute_url(reverse("notices:manage", args=[manage_token(email)]))


def confirm_url(email: str, subscription_ids: list[int]) -> str:
    return absolute_url(reverse("notices:confirm", args=[confirm_token(email, subscription_ids)]))


# --- the message ------------------------------------------------------------------------------


class _VerbatimTokens(UnstructuredTokenList):
    as_ew_allowed = False  # the folder then leaves a too-long token whole, on its own line


class _VerbatimHeader(UnstructuredHeader):
    """A header that must reach the mail client as written (`<https://…>` in List-Unsubscribe):
    folded at spaces only, never turned into RFC 2047 encoded words, however long."""

    @staticmethod
    def value_parser(value: str) -> Any:
        return _VerbatimTokens(get_unstructured(value))


class _HeaderFactory(HeaderRegistry):
    """The standard registry, but it builds each header class once (the stdlib builds a new
    class on every lookup, a large share of the time spent per mail in a mass send)."""

    def __init__(self) -> None:
        super().__init__()
        # typeshed types the mixin UnstructuredHeader apart from BaseHeader, which it becomes here.
        self.map_to_type("list-unsubscribe", _VerbatimHeader)  # type: ignore[arg-type]
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


_HEADERS = _HeaderFactory()
_POLICIES: dict[int, tuple[email.policy.EmailPolicy, email.policy.EmailPolicy]] = {}


def _policy(policy: email.policy.EmailPolicy) -> email.policy.EmailPolicy:
    known = _POLICIES.get(id(policy))
    if known is None or known[0] is not policy:
        known = _POLICIES[id(policy)] = (policy, policy.clone(header_factory=_HEADERS))
    return known[1]


class NoticeEmail(EmailMultiAlternatives):
    """A notice mail: Django's message with the header registry above."""

    def message(self, *, policy: Any = email.policy.default) -> Any:
        if isinstance(policy, email.policy.EmailPolicy):
            policy = _policy(policy)
        return super().message(policy=policy)


# --- templates --------------------------------------------------------------------------------


def render_mail(prefix: str, context: dict[str, Any], *, url: str = "") -> RenderedMail:
    """Render the triplet `<prefix>_subject.txt`, `<prefix>_body.txt`, `<prefix>_body.html`."""
    subject = render_to_string(f"{prefix}_subject.txt", context)
    return RenderedMail(
        subject=_SPACES.sub(" ", subject).strip(),
        text=render_to_string(f"{prefix}_body.txt", context).strip() + "\n",
        html=render_to_string(f"{prefix}_body.html", context),
        url=url,
    )


def message_domain() -> str:
    return settings.NOTICES_MESSAGE_ID_DOMAIN or urlparse(settings.SITE_URL).hostname or "localhost"


def build_message(
    *,
    recipient: Recipient,
    content: RenderedMail,
    message_id: str,
    unsubscribe_token_value: str,
    reason: str,
) -> EmailMultiAlternatives:
    """The mail as sent: the content inside the shared frame, with the RFC 8058 headers."""
    unsubscribe = unsubscribe_url(unsubscribe_token_value)
    context = {
        "content_text": content.text,
        "content_html": mark_safe(content.html),  # noqa: S308 - rendered by a template
        "unsubscribe_url": unsubscribe,
        "manage_url": manage_url(recipient.email),
        "reason": reason,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
    }
    message = NoticeEmail(
        subject=content.subject,
        body=render_to_string("notices/mail/frame_body.txt", context),
        to=[recipient.email],
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.SITE_NAME} <notices.{message_domain()}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(
        render_to_string("notices/mail/frame_body.html", context), "text/html"
    )
    return message


def build_plain_message(*, to: str, content: RenderedMail) -> EmailMultiAlternatives:
    """A one-off mail (a confirmation request): no list headers, nobody is subscribed yet."""
    context = {
        "content_text": content.text,
        "content_html": mark_safe(content.html),  # noqa: S308 - rendered by a template
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=render_to_string("notices/mail/frame_body.txt", context),
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("notices/mail/frame_body.html", context), "text/html"
    )
    return message


# --- the engine's own notice kind ------------------------------------------------------------

MESSAGE_KIND = "notices.message"


def render_message_notice(notice: Any, recipient: Recipient) -> RenderedMail:
    """A plain announcement from the secretariat: payload {"subject", "text", "url"?}."""
    payload = notice.payload
    return render_mail(
        "notices/mail/message",
        {
            "subject": payload.get("subject", ""),
            "text": payload.get("text", ""),
            "url": payload.get("url", ""),
            "recipient": recipient,
        },
        url=str(payload.get("url", "")),
    )
