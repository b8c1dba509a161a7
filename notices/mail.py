"""Building the mails: template triplets, the frame every notice mail shares, signed links.

Every mail is Danish, HTML with a plain-text alternative, has a stable Message-ID, and carries
a one-click unsubscribe (RFC 8058) and a link to manage the subscriptions.
"""

from __future__ import annotations

import binascii
import datetime
import email.message
import email.policy
import email.utils
import hashlib
import hmac
import html
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from email._header_value_parser import UnstructuredTokenList, get_unstructured
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes, punycode
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
    return signing.dumps(
        _unsubscribe_payload(email, topic, frequency), salt=UNSUBSCRIBE_SALT, compress=True
    )


def _unsubscribe_payload(email: str, topic: str | None, frequency: str | None) -> dict[str, str]:
    payload: dict[str, str] = {"e": email}
    if topic is not None:
        payload["t"] = topic
    if frequency is not None:
        payload["f"] = frequency
    return payload


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
_POLICIES: dict[int, tuple[email.policy.EmailPolicy[Any], email.policy.EmailPolicy[Any]]] = {}


def _policy(policy: email.policy.EmailPolicy[Any]) -> email.policy.EmailPolicy[Any]:
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


def _frame_context(
    content: RenderedMail, reason: str, unsubscribe: str, manage: str
) -> dict[str, Any]:
    return {
        "content_text": content.text,
        "content_html": mark_safe(content.html),  # noqa: S308 - rendered by a template
        "unsubscribe_url": unsubscribe,
        "manage_url": manage,
        "reason": reason,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
    }


def build_message(
    *,
    recipient: Recipient,
    content: RenderedMail,
    message_id: str,
    unsubscribe_token_value: str,
    reason: str,
    links: tuple[str, str] | None = None,
) -> EmailMultiAlternatives:
    """The mail as sent: the content inside the shared frame, with the RFC 8058 headers.

    `links` are the (unsubscribe, manage) URLs when the caller has made them already."""
    if links is None:
        links = (unsubscribe_url(unsubscribe_token_value), manage_url(recipient.email))
    unsubscribe, manage = links
    context = _frame_context(content, reason, unsubscribe, manage)
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


# --- the mail as sent over SMTP, built once per distinct content ---------------------------
#
# A mass send gives most recipients the same content; only To, Date, Message-ID, the
# List-Unsubscribe header and the two links in the frame differ. A MailFactory (one per batch)
# renders the frame once per distinct (subject, text, html, reason) with placeholder links,
# serialises the fixed headers once and quoted-printable-encodes the lines without links once.
# Per recipient it writes the varying headers, puts the links into the (decoded) lines that hold
# the placeholders and encodes just those lines (binascii, in C): the placeholders never meet
# the transfer encoding. Addresses or links that cannot stand as written take Django's path.

_SLOT = secrets.token_hex(8)
_UNSUBSCRIBE_SLOT = f"notices-unsubscribe-{_SLOT}"
_MANAGE_SLOT = f"notices-manage-{_SLOT}"
_TOKEN_SLOT = f"notices-token-{_SLOT}"
# A plain addr-spec (dot-atom @ ASCII domain): no quoting, no IDNA, no encoded word.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*", re.ASCII)
# What signing.dumps produces (URL-safe base64, ':' and a leading '.' when compressed).
_TOKEN = re.compile(r"[A-Za-z0-9_.:-]+", re.ASCII)
# A link that stands in a header or a body as written.
_PLAIN_URL = re.compile(r"[!#-;=?-~]+", re.ASCII)  # printable ASCII without space, '<', '>', '"'
_MESSAGE_ID = re.compile(r"<[!#-;=?-~]+>", re.ASCII)
# A link that is also the same HTML-escaped (no '&', "'" either).
_SAFE_URL = re.compile(r"[!#-%(-;=?-~]+", re.ASCII)
_CRLF = b"\r\n"


@dataclass(slots=True)
class PreparedMail:
    """One recipient's mail. `data` is the whole mail as sent over SMTP (None: only Django's
    message can carry it, e.g. a non-ASCII address); `message()` builds Django's message (for
    the other mail backends and for that case)."""

    to: str
    message_id: str
    data: bytes | None
    build: Callable[[], EmailMultiAlternatives]

    def message(self) -> EmailMultiAlternatives:
        return self.build()


@dataclass(frozen=True)
class _Frame:
    head: bytes  # MIME-Version, Content-Type, Subject, From
    tail: bytes  # List-Unsubscribe-Post, List-Id, Auto-Submitted, the blank line
    # Per part: (headers after the boundary, pieces of the encoded body, html?). A piece is
    # bytes (encoded lines without links) or str (a line with placeholders, still to encode).
    parts: tuple[tuple[bytes, tuple[bytes | str, ...], bool], ...]
    end: bytes  # the closing boundary


def _qp(text: str) -> bytes:
    """Quoted-printable of text (lines ending in \\n), CRLF line ends, lines of at most 76."""
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", _CRLF)


def _qp_pieces(text: str) -> tuple[bytes | str, ...]:
    """The encoded body in pieces: quoted-printable works line by line (a soft break never
    crosses a hard one), so the lines without a link are encoded once, and only a line with a
    placeholder is left to encode per recipient, after the links are put in."""
    lines = text.split("\n")
    lines = [f"{line}\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    pieces: list[bytes | str] = []
    run: list[str] = []  # consecutive lines of the same kind
    linked = False
    for line in [*lines, None]:
        has_link = line is not None and (_UNSUBSCRIBE_SLOT in line or _MANAGE_SLOT in line)
        if run and (line is None or has_link != linked):
            pieces.append("".join(run) if linked else _qp("".join(run)))
            run = []
        if line is not None:
            run.append(line)
            linked = has_link
    return tuple(pieces)


class _BatchSigner(signing.TimestampSigner):
    """Django's TimestampSigner with the HMAC key derived once instead of per signature (what
    salted_hmac does on every call): the same tokens, for a batch of them."""

    def __init__(self, *, salt: str) -> None:
        super().__init__(salt=salt)
        key_salt = force_bytes(self.salt) + b"signer"
        self._derived = hashlib.new(self.algorithm, key_salt + force_bytes(self.key)).digest()
        self._second, self._stamp = -1, ""

    def timestamp(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second, self._stamp = second, signing.b62_encode(second)
        return self._stamp

    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        if key is not None and key != self.key:
            return super().signature(value, key)
        digest = hmac.digest(self._derived, force_bytes(value), self.algorithm)
        return signing.b64_encode(digest).decode()

    def sign_payload(self, payload: dict[str, str]) -> str:
        """`sign_object(payload)` (JSON, not compressed), without its per-call set-up."""
        data = _COMPACT_JSON.encode(payload).encode("latin-1")
        return self.sign(signing.b64_encode(data).decode())


# What signing.JSONSerializer writes, made once.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


class MailFactory:
    """Builds the mails of one batch (one per recipient, same guarantees as build_message)."""

    def __init__(self) -> None:
        self._frames: dict[tuple[str, str, str, str], _Frame] = {}
        self._around: dict[str, tuple[str, str] | None] = {}  # made on first use, in compose
        self.domain = message_domain()
        self._list_id = f"{settings.SITE_NAME} <notices.{self.domain}>"
        self._localtime = bool(getattr(settings, "EMAIL_USE_LOCALTIME", False))
        self._date: tuple[int, bytes] = (-1, b"")
        # The same tokens as unsubscribe_token() and manage_token(), one signer per batch.
        self._unsubscribe_signer = _BatchSigner(salt=UNSUBSCRIBE_SALT)
        self._manage_signer = _BatchSigner(salt=MANAGE_SALT)

    def unsubscribe_token(
        self, email: str, *, topic: str | None = None, frequency: str | None = None
    ) -> str:
        """A token read_unsubscribe_token() reads, as unsubscribe_token() makes it, but without
        trying zlib: it does not shorten a payload this small, and trying cost more than the
        signature (the token is the same whenever compressing would not have shortened it)."""
        return self._unsubscribe_signer.sign_payload(_unsubscribe_payload(email, topic, frequency))

    def _date_header(self) -> bytes:
        """`Date: …` as Django writes it (EMAIL_USE_LOCALTIME), made once per second."""
        second = int(time.time())
        if self._date[0] != second:
            now = datetime.datetime.fromtimestamp(
                second, timezone.get_current_timezone() if self._localtime else datetime.UTC
            )
            self._date = (second, f"Date: {email.utils.format_datetime(now)}\r\n".encode("ascii"))
        return self._date[1]

    @staticmethod
    def _url_around_token(name: str) -> tuple[str, str] | None:
        """(before, after) the token in the absolute URL of `name`, so that a link is two
        concatenations instead of a reverse() per recipient; None unless both are plain."""
        url = absolute_url(reverse(name, args=[_TOKEN_SLOT]))
        before, found, after = url.partition(_TOKEN_SLOT)
        if not found or not _SAFE_URL.fullmatch(before + after):
            return None
        return before, after

    def _link(self, name: str, token: str) -> tuple[str, bool]:
        """The absolute URL of `name` for `token`, and whether it is known to be plain (stands
        as written in a header, in text and in HTML, so no check and no escaping is needed)."""
        if name not in self._around:
            self._around[name] = self._url_around_token(name)
        around = self._around[name]
        if around is None or not _TOKEN.fullmatch(token):
            return absolute_url(reverse(name, args=[token])), False
        return f"{around[0]}{token}{around[1]}", True

    def prepare(
        self,
        *,
        recipient: Recipient,
        content: RenderedMail,
        message_id: str,
        unsubscribe_token_value: str,
        reason: str,
    ) -> PreparedMail:
        unsubscribe, unsubscribe_safe = self._link("notices:unsubscribe", unsubscribe_token_value)
        manage_value = self._manage_signer.sign_payload({"e": recipient.email})
        manage, manage_safe = self._link("notices:manage", manage_value)

        def build() -> EmailMultiAlternatives:
            return build_message(
                recipient=recipient,
                content=content,
                message_id=message_id,
                unsubscribe_token_value=unsubscribe_token_value,
                reason=reason,
                links=(unsubscribe, manage),
            )

        address = recipient.email
        if not (
            _SIMPLE_ADDRESS.fullmatch(address)
            and (unsubscribe_safe or _PLAIN_URL.fullmatch(unsubscribe))
            and (manage_safe or _PLAIN_URL.fullmatch(manage))
            and _MESSAGE_ID.fullmatch(message_id)
        ):
            return PreparedMail(address, message_id, None, build)
        key = (content.subject, content.text, content.html, reason)
        frame = self._frames.get(key)
        if frame is None:
            frame = self._frames[key] = self._frame(content, reason)
        html_unsubscribe = unsubscribe if unsubscribe_safe else html.escape(unsubscribe)
        html_manage = manage if manage_safe else html.escape(manage)
        chunks = [frame.head, b"To: ", address.encode("ascii"), _CRLF, self._date_header()]
        chunks += [b"Message-ID: ", message_id.encode("ascii"), _CRLF]
        # Folded as the stdlib folds it: on a line of its own when it does not fit.
        header = f"<{unsubscribe}>".encode("ascii")
        separator = b" " if len(header) + 18 <= 78 else b"\r\n "
        chunks += [b"List-Unsubscribe:", separator, header, _CRLF, frame.tail]
        for part_head, pieces, is_html in frame.parts:
            links = (html_unsubscribe, html_manage) if is_html else (unsubscribe, manage)
            chunks.append(part_head)
            for piece in pieces:
                if isinstance(piece, str):
                    line = piece.replace(_UNSUBSCRIBE_SLOT, links[0])
                    piece = _qp(line.replace(_MANAGE_SLOT, links[1]))
                chunks.append(piece)
        chunks.append(frame.end)
        return PreparedMail(address, message_id, b"".join(chunks), build)

    def _frame(self, content: RenderedMail, reason: str) -> _Frame:
        context = _frame_context(content, reason, _UNSUBSCRIBE_SLOT, _MANAGE_SLOT)
        text = _normalise_lines(render_to_string("notices/mail/frame_body.txt", context))
        markup = _normalise_lines(render_to_string("notices/mail/frame_body.html", context))
        boundary = f"=_notice_{secrets.token_hex(16)}"  # '=_' never occurs in quoted-printable
        policy = _policy(email.policy.SMTP)
        headers = email.message.EmailMessage(policy=policy)
        headers["MIME-Version"] = "1.0"
        headers["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        headers["Subject"] = content.subject
        headers["From"] = str(settings.DEFAULT_FROM_EMAIL)
        addresses = headers["From"].addresses
        if any(not address.domain.isascii() for address in addresses):  # as Django does
            headers.replace_header(
                "From",
                [Address(a.display_name, a.username, punycode(a.domain)) for a in addresses],
            )
        tail = email.message.EmailMessage(policy=policy)
        tail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        tail["List-Id"] = self._list_id
        tail["Auto-Submitted"] = "auto-generated"

        def serialise(message: email.message.EmailMessage) -> bytes:
            return b"".join(policy.fold_binary(name, value) for name, value in message.raw_items())

        def part(subtype: str) -> bytes:
            return (
                f"--{boundary}\r\n"
                f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            ).encode("ascii")

        return _Frame(
            head=serialise(headers),
            tail=serialise(tail) + _CRLF,
            # The CRLF before a boundary belongs to the boundary (RFC 2046).
            parts=(
                (part("plain"), _qp_pieces(text), False),
                (_CRLF + part("html"), _qp_pieces(markup), True),
            ),
            end=f"\r\n--{boundary}--\r\n".encode("ascii"),
        )


def _normalise_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- the engine's own notice kind ------------------------------------------------------------

MESSAGE_KIND = "notices.message"


def render_message_notice(notice: Any, recipient: Recipient) -> RenderedMail:
    """A plain announcement from the secretariat: payload {"subject", "text", "url"?}.

    The same for every recipient, so it is rendered once per notice instance and language (the
    send path loads one instance per notice and batch)."""
    language = translation.get_language()
    cache: dict[str | None, RenderedMail] = notice.__dict__.setdefault("_rendered_message", {})
    rendered = cache.get(language)
    if rendered is None:
        payload = notice.payload
        rendered = cache[language] = render_mail(
            "notices/mail/message",
            {
                "subject": payload.get("subject", ""),
                "text": payload.get("text", ""),
                "url": payload.get("url", ""),
            },
            url=str(payload.get("url", "")),
        )
    return rendered
