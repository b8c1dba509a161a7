"""What the notices tests share: a real SMTP server on 127.0.0.1 (aiosmtpd), a fake topic
family with its renderer, and a URL configuration with the subscription pages mounted.

(No tests here; the module name only keeps it among the notices test files.)
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage as ParsedMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.urls import include, path

from notices import registry
from notices.mail import render_mail
from notices.models import Frequency, Subscription
from notices.registry import Recipient, RenderedMail
from rammeaftale import urls as project_urls

# Used as ROOT_URLCONF by the tests until the project mounts the pages at /abonnement/.
urlpatterns = [path("abonnement/", include("notices.urls")), *project_urls.urlpatterns]
URLCONF = __name__

KIND = "test.news"
FAMILY = "testbody"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Sink:
    """An SMTP server's handler that keeps every message; `rcpt_reply` can refuse recipients."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    rcpt_reply: Callable[[str], str | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.rcpt_reply is not None:
            reply = self.rcpt_reply(address)
            if reply:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def parsed(self) -> list[ParsedMessage]:
        with self.lock:
            raw = [content for _rcpt, content in self.messages]
        return [
            email.message_from_bytes(content, policy=email.policy.default)  # type: ignore[misc]
            for content in raw
        ]

    def recipients(self) -> Counter[str]:
        with self.lock:
            return Counter(rcpt for rcpts, _content in self.messages for rcpt in rcpts)

    def to(self, address: str) -> list[ParsedMessage]:
        return [m for m in self.parsed() if address in str(m["To"])]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@dataclass
class SmtpServer:
    port: int
    sink: Sink

    def mailers(self) -> dict[str, Any]:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
            }
        }


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, sink)
    finally:
        controller.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer, settings: Any) -> Sink:
    """Mail goes over real SMTP to the sink; the pages are mounted; retries are immediate."""
    settings.MAILERS = smtp_server.mailers()
    settings.ROOT_URLCONF = URLCONF
    settings.NOTICES_RETRY_BACKOFF = 0
    return smtp_server.sink


# --- a fake domain app -------------------------------------------------------------------------

# body id -> users who are its members (they see closed items and get notices by default)
MEMBERS: dict[str, list[Any]] = {}


def body_label(topic: str) -> str:
    _family, body, what = [*topic.split(":"), "", ""][:3]
    return f"{'Dagsordener' if what == 'agenda' else 'Referater'} for testorgan {body}"


def body_members(topic: str) -> list[Recipient]:
    body = topic.split(":")[1]
    return [Recipient(email=user.email, user=user) for user in MEMBERS.get(body, [])]


def render_news(notice: Any, recipient: Recipient) -> RenderedMail:
    """Items {"title", "closed"}: a closed item's title only for the body's members."""
    body = notice.topic.split(":")[1]
    member = recipient.user is not None and recipient.user in MEMBERS.get(body, [])
    items = [
        item["title"] if (member or not item.get("closed")) else "Lukket punkt"
        for item in notice.payload.get("items", [])
    ]
    return render_mail(
        "notices/mail/message",
        {
            "subject": notice.payload.get("subject", "Nyt fra testorganet"),
            "text": "\n".join(f"- {title}" for title in items),
            "url": f"https://portal.example/moeder/{notice.pk}/",
        },
        url=f"https://portal.example/moeder/{notice.pk}/",
    )


@pytest.fixture
def fake_domain() -> Iterator[None]:
    registry.register_topic_family(FAMILY, label=body_label, default_recipients=body_members)
    registry.register_renderer(KIND, render_news)
    MEMBERS.clear()
    try:
        yield
    finally:
        registry.unregister(prefix=FAMILY, kind=KIND)
        MEMBERS.clear()


def confirmed(email_address: str, topic: str, frequency: str = Frequency.IMMEDIATELY) -> Any:
    from django.utils import timezone

    return Subscription.objects.create(
        email=email_address,
        topic=topic,
        frequency=frequency,
        status=Subscription.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )
