"""A publication reaches every subscriber exactly once, whatever fails in between.

Every test sends over real SMTP to a server on 127.0.0.1 (aiosmtpd) started by the test.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from notices import services, tasks
from notices.mail import MESSAGE_KIND
from notices.models import Delivery, DeliveryStatus, DigestDelivery, Frequency, Notice, Subscription
from notices.selectors import notice_stats
from tests.factories import UserFactory
from tests.test_notices_support import (
    KIND,
    MEMBERS,
    Sink,
    confirmed,
)

# The SMTP server and fake domain fixtures.
pytest_plugins = ["tests.test_notices_support"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_domain")]

TOPIC = "testbody:12:agenda"


def publish(capture: Any, **payload: Any) -> Notice:
    """Publish as the secretariat would, and run what the commit starts (in-process tasks)."""
    with capture(execute=True):
        return services.notice_publish(
            topic=TOPIC,
            kind=KIND,
            payload={"subject": "Dagsorden til mødet 3. marts", **payload},
        )


def links(message: Any) -> list[str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.findall(r"https?://\S+", text)


def test_nothing_is_sent_before_the_subscriber_confirms(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_request(email="Anna@Example.dk", topics=[TOPIC])
    [request] = smtp.parsed()
    assert request["To"] == "anna@example.dk"
    assert "Bekræft" in request["Subject"]
    assert request["List-Unsubscribe"] is None  # not on a list yet
    smtp.clear()

    publish(django_capture_on_commit_callbacks)
    assert smtp.parsed() == []

    confirm = next(link for link in links(request) if "/bekraeft/" in link)
    path = confirm.split("127.0.0.1:8000", 1)[-1]
    assert Client().get(path).status_code == 200  # a button, not yet a confirmation
    assert Subscription.objects.get().status == Subscription.Status.PENDING
    response = Client().post(path)
    assert response.status_code == 200
    assert "Abonnementet er bekræftet" in response.text
    assert Subscription.objects.get().status == Subscription.Status.CONFIRMED

    publish(django_capture_on_commit_callbacks)
    assert [m["To"] for m in smtp.parsed()] == ["anna@example.dk"]


def test_one_mail_per_confirmed_subscriber_even_when_tasks_run_twice(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(5):
        confirmed(f"abonnent{n}@example.dk", TOPIC)
    Subscription.objects.create(email="venter@example.dk", topic=TOPIC)
    Subscription.objects.create(
        email="afmeldt@example.dk", topic=TOPIC, status=Subscription.Status.UNSUBSCRIBED
    )
    confirmed("dagligt@example.dk", TOPIC, Frequency.DAILY)
    confirmed("andet@example.dk", "testbody:13:agenda")

    notice = publish(django_capture_on_commit_callbacks, items=[{"title": "Budget 2027"}])
    tasks.notice_fan_out_task.delay(notice.pk)  # a task that runs twice
    tasks.notices_sweep_task.delay()

    assert smtp.recipients() == {f"abonnent{n}@example.dk": 1 for n in range(5)}
    assert notice_stats(notice).sent == 5
    for message in smtp.parsed():
        delivery = Delivery.objects.get(email=message["To"])
        assert message["Message-ID"] == delivery.message_id
        assert message["Subject"] == "Dagsorden til mødet 3. marts"
        assert "Budget 2027" in message.get_body(preferencelist=("plain",)).get_content()
        assert "Budget 2027" in message.get_body(preferencelist=("html",)).get_content()


def test_every_mail_has_one_click_unsubscribe_that_works_without_login(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed("bo@example.dk", TOPIC)
    publish(django_capture_on_commit_callbacks)
    [message] = smtp.parsed()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https?://[^>]+)>", str(message["List-Unsubscribe"]).strip())
    assert url is not None
    assert "/abonnement/afmeld/" in url.group(1)
    # On the wire the URL stands as written (folded onto its own line, never encoded-words).
    assert url.group(1).encode() in smtp.messages[0][1]
    assert any("/abonnement/administrer/" in link for link in links(message))
    assert message.get_content_type() == "multipart/alternative"

    path = url.group(1).split("127.0.0.1:8000", 1)[-1]
    client = Client(enforce_csrf_checks=True)  # a mail client has no session and no token
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Subscription.objects.get(email="bo@example.dk").status == "unsubscribed"

    smtp.clear()
    publish(django_capture_on_commit_callbacks)
    assert smtp.parsed() == []


def test_tampered_and_expired_links_are_refused_in_danish(
    smtp: Sink, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_request(email="cille@example.dk", topics=[TOPIC])
    confirm = next(link for link in links(smtp.parsed()[0]) if "/bekraeft/" in link)
    path = confirm.split("127.0.0.1:8000", 1)[-1]

    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    response = Client().post(tampered)
    assert response.status_code == 400
    assert "Linket er ugyldigt" in response.text

    settings.NOTICES_CONFIRM_MAX_AGE = -1
    response = Client().post(path)
    assert response.status_code == 400
    assert "Linket er udløbet" in response.text
    assert Subscription.objects.get().status == Subscription.Status.PENDING

    assert Client().post("/abonnement/afmeld/noget-opdigtet/").status_code == 400


class Killed(BaseException):
    """The worker dies (not an error the code could catch and tidy up after)."""


def test_a_batch_killed_half_way_is_finished_by_the_sweep_without_duplicates(
    smtp: Sink, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(20):
        confirmed(f"modtager{n:02d}@example.dk", TOPIC)
    with django_capture_on_commit_callbacks(execute=False):
        notice = services.notice_publish(topic=TOPIC, kind=KIND, payload={})
    [ids] = services.notice_fan_out(notice_id=notice.pk)
    assert len(ids) == 20

    sent = 0

    def die_after_ten(row: Any) -> None:
        nonlocal sent
        sent += 1
        if sent == 10:
            raise Killed

    monkeypatch.setattr(services, "after_send", die_after_ten)
    with pytest.raises(Killed):
        services.deliveries_send(delivery_ids=ids)
    monkeypatch.undo()
    assert sum(smtp.recipients().values()) == 10
    stats = notice_stats(notice)
    assert (stats.sent, stats.pending) == (10, 10)

    # The task runs again at once: the claimed rows belong to the dead worker, nothing is sent.
    assert services.deliveries_send(delivery_ids=ids).sent == []
    assert sum(smtp.recipients().values()) == 10

    # Later the sweep sees the stale claims and sends the rest.
    later = timezone.now() + datetime.timedelta(seconds=services.settings.NOTICES_CLAIM_TIMEOUT + 1)
    sweep = services.notices_sweep(now=later)
    assert sweep.released == 10
    for batch in sweep.delivery_batches:
        services.deliveries_send(delivery_ids=batch)
    assert smtp.recipients() == {f"modtager{n:02d}@example.dk": 1 for n in range(20)}
    assert notice_stats(notice).sent == 20


def test_a_notice_published_while_the_broker_is_down_is_delivered_by_the_sweep(
    smtp: Sink,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    for n in range(3):
        confirmed(f"modtager{n}@example.dk", TOPIC)

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.notice_fan_out_task, "apply_async", broker_down)
    notice = publish(django_capture_on_commit_callbacks)  # the publication itself succeeds
    monkeypatch.undo()
    notice.refresh_from_db()
    assert notice.fanned_out_at is None
    assert smtp.parsed() == []

    settings.NOTICES_SWEEP_GRACE = 0
    tasks.notices_sweep_task.delay()
    assert smtp.recipients() == {f"modtager{n}@example.dk": 1 for n in range(3)}
    tasks.notices_sweep_task.delay()
    assert sum(smtp.recipients().values()) == 3


def test_a_temporary_smtp_error_is_retried_and_then_delivered(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed("travl@example.dk", TOPIC)
    confirmed("rolig@example.dk", TOPIC)
    refusals = {"travl@example.dk": 2}

    def greylist(address: str) -> str | None:
        if refusals.get(address, 0) > 0:
            refusals[address] -= 1
            return "451 4.7.1 Greylisted, try again later"
        return None

    smtp.rcpt_reply = greylist
    notice = publish(django_capture_on_commit_callbacks)
    assert smtp.recipients() == {"travl@example.dk": 1, "rolig@example.dk": 1}
    delivery = Delivery.objects.get(notice=notice, email="travl@example.dk")
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 3


def test_a_permanent_smtp_error_marks_the_delivery_failed_with_the_reason(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed("findes.ikke@example.dk", TOPIC)
    confirmed("findes@example.dk", TOPIC)
    smtp.rcpt_reply = lambda address: (
        "550 5.1.1 Mailbox unavailable" if address.startswith("findes.ikke") else None
    )
    notice = publish(django_capture_on_commit_callbacks)
    failed = Delivery.objects.get(notice=notice, email="findes.ikke@example.dk")
    assert failed.status == DeliveryStatus.FAILED
    assert "550" in failed.last_error
    assert "Mailbox unavailable" in failed.last_error
    stats = notice_stats(notice)
    assert (stats.sent, stats.pending, stats.failed) == (1, 0, 1)

    # The address is fixed; the secretariat retries the failed ones.
    smtp.rcpt_reply = None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_retry_failed(notice_id=notice.pk) == 1
    assert smtp.recipients() == {"findes@example.dk": 1, "findes.ikke@example.dk": 1}
    assert notice_stats(notice).failed == 0


def test_an_unreachable_server_is_retried_and_given_up_after_the_maximum(
    django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from tests.test_notices_support import free_port

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    settings.NOTICES_RETRY_BACKOFF = 0
    settings.NOTICES_MAX_ATTEMPTS = 3
    from tests.test_notices_support import URLCONF

    settings.ROOT_URLCONF = URLCONF
    confirmed("a@example.dk", TOPIC)
    confirmed("b@example.dk", TOPIC)
    notice = publish(django_capture_on_commit_callbacks)
    rows = list(Delivery.objects.filter(notice=notice))
    assert {row.status for row in rows} == {DeliveryStatus.FAILED}
    assert all(row.attempts == 3 for row in rows)
    assert all("Opgivet efter 3 forsøg" in row.last_error for row in rows)


def test_members_get_notices_by_default_and_only_they_see_closed_items(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    member = UserFactory(email="medlem@example.dk")
    MEMBERS["12"] = [member]
    confirmed("borger@example.dk", TOPIC)
    publish(
        django_capture_on_commit_callbacks,
        items=[{"title": "Godkendelse af referat"}, {"title": "Personsag X", "closed": True}],
    )
    [to_member] = smtp.to("medlem@example.dk")
    [to_outsider] = smtp.to("borger@example.dk")
    member_text = to_member.get_body(preferencelist=("plain",)).get_content()
    outsider_text = to_outsider.get_body(preferencelist=("plain",)).get_content()
    outsider_html = to_outsider.get_body(preferencelist=("html",)).get_content()
    assert "Personsag X" in member_text
    assert "Personsag X" not in outsider_text
    assert "Personsag X" not in outsider_html
    assert "Lukket punkt" in outsider_text

    # The member opts out of the mail (not of the body) with the one-click link.
    url = str(to_member["List-Unsubscribe"]).strip().strip("<>").split("127.0.0.1:8000", 1)[-1]
    assert Client().post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    smtp.clear()
    publish(django_capture_on_commit_callbacks)
    assert smtp.recipients() == {"borger@example.dk": 1}


def test_the_digest_is_sent_once_per_period_even_if_the_task_runs_twice(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed("daglig@example.dk", TOPIC, Frequency.DAILY)
    confirmed("daglig@example.dk", "testbody:12:minutes", Frequency.DAILY)
    confirmed("ugentlig@example.dk", TOPIC, Frequency.WEEKLY)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.notice_publish(topic=TOPIC, kind=KIND, payload={"subject": "Dagsorden A"})
        second = services.notice_publish(
            topic="testbody:12:minutes", kind=KIND, payload={"subject": "Referat B"}
        )
    assert smtp.parsed() == []  # digest subscribers get nothing immediately
    now = timezone.now()
    yesterday = now - datetime.timedelta(days=1)
    last_week = now - datetime.timedelta(days=7)
    Notice.objects.filter(pk=first.pk).update(created_at=yesterday)
    Notice.objects.filter(pk=second.pk).update(created_at=yesterday)

    tasks.digests_task.delay(Frequency.DAILY)
    tasks.digests_task.delay(Frequency.DAILY)
    [digest] = smtp.parsed()
    assert digest["To"] == "daglig@example.dk"
    assert "Dagens overblik" in digest["Subject"]
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert "Dagsorden A" in text
    assert "Referat B" in text
    assert digest["List-Unsubscribe"]
    assert DigestDelivery.objects.get().status == DeliveryStatus.SENT

    smtp.clear()
    Notice.objects.filter(pk=first.pk).update(created_at=last_week)
    Notice.objects.filter(pk=second.pk).update(created_at=last_week)
    start, end = services.digest_period(Frequency.WEEKLY, now)
    if not start <= last_week < end:  # early in the week "7 days ago" is the week before last
        Notice.objects.update(created_at=start + datetime.timedelta(hours=12))
    tasks.digests_task.delay(Frequency.WEEKLY)
    tasks.digests_task.delay(Frequency.WEEKLY)
    assert smtp.recipients() == {"ugentlig@example.dk": 1}
    assert "Dagsorden A" in smtp.parsed()[0].get_body(preferencelist=("plain",)).get_content()


def test_the_engines_own_announcement_kind_needs_no_domain_app(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed("alle@example.dk", "tariffs")
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_publish(
            topic="tariffs",
            kind=MESSAGE_KIND,
            payload={"subject": "Nye takster for 2027", "text": "Taksterne er offentliggjort."},
        )
    [message] = smtp.parsed()
    assert message["Subject"] == "Nye takster for 2027"
    assert "Taksterne er offentliggjort." in message.get_body(("plain",)).get_content()


def test_publishing_an_unknown_kind_fails_in_the_publisher(db: Any) -> None:
    from notices.registry import UnknownNoticeKind

    with pytest.raises(UnknownNoticeKind):
        services.notice_publish(topic=TOPIC, kind="nobody.registered.this", payload={})
    assert not Notice.objects.exists()


def test_recipients_with_identical_content_get_their_own_links_and_message_ids(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    """The engine builds a mail once per distinct content and varies only the per-recipient
    parts: each mail must still carry its own Message-ID and its own signed links, right in
    the header and in both the text and the HTML part (quoted-printable, with Danish text)."""
    from notices.mail import read_manage_token, read_unsubscribe_token

    addresses = ["en@example.dk", "to@example.dk"]
    for address in addresses:
        confirmed(address, TOPIC)
    notice = publish(
        django_capture_on_commit_callbacks,
        subject="Dagsorden: æøå – mødet 3. marts",
        items=[{"title": "Budget 2027 = uændret, " + "meget lang titel " * 8}],
    )
    bodies = {}
    for raw_to, raw in smtp.messages:
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
        [address] = raw_to
        [message] = [m for m in smtp.parsed() if m["To"] == address]
        delivery = Delivery.objects.get(notice=notice, email=address)
        assert message["Message-ID"] == delivery.message_id
        assert message["Subject"] == "Dagsorden: æøå – mødet 3. marts"
        header = re.fullmatch(r"<(https?://[^>]+)>", str(message["List-Unsubscribe"]).strip())
        assert header is not None
        unsubscribe = header.group(1)
        token = unsubscribe.rstrip("/").rsplit("/", 1)[-1]
        assert read_unsubscribe_token(token) == {"e": address, "t": TOPIC}

        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        assert text_part is not None
        assert html_part is not None
        # (The parser keeps the wire's CRLF in a decoded quoted-printable part.)
        text = text_part.get_content().replace("\r\n", "\n")
        html = html_part.get_content().replace("\r\n", "\n")
        assert text_part["Content-Transfer-Encoding"] == "quoted-printable"
        assert "Budget 2027 = uændret" in text
        assert "Budget 2027 = uændret" in html
        [manage] = [link for link in links(message) if "/abonnement/administrer/" in link]
        assert read_manage_token(manage.rstrip("/").rsplit("/", 1)[-1]) == address
        assert f"Afmeld med ét klik: {unsubscribe}\n" in text
        assert f'<a href="{unsubscribe}">Afmeld</a>' in html
        assert f'<a href="{manage}">' in html
        bodies[address] = (
            text.replace(unsubscribe, "U").replace(manage, "M"),
            html.replace(unsubscribe, "U").replace(manage, "M"),
        )
    assert sorted(bodies) == addresses
    assert bodies[addresses[0]] == bodies[addresses[1]]  # only the links differ
    ids = {m["Message-ID"] for m in smtp.parsed()}
    assert len(ids) == 2

    # Each link unsubscribes its own address, no one else's.
    [first] = smtp.to(addresses[0])
    path = str(first["List-Unsubscribe"]).strip().strip("<>").split("127.0.0.1:8000", 1)[-1]
    assert Client().post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    statuses = dict(Subscription.objects.values_list("email", "status"))
    assert statuses == {addresses[0]: "unsubscribed", addresses[1]: "confirmed"}


def test_an_address_the_prepared_mail_cannot_carry_goes_through_djangos_message(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    """A non-ASCII domain needs IDNA: that mail is built by Django over the same connection,
    with the same headers, while the others in the batch take the prepared bytes."""
    confirmed("anna@example.dk", TOPIC)
    confirmed("bo@bølle.dk", TOPIC)
    notice = publish(django_capture_on_commit_callbacks)
    idna = "bo@" + "bølle.dk".encode("idna").decode()
    assert smtp.recipients() == {"anna@example.dk": 1, idna: 1}
    [message] = smtp.to(idna)
    delivery = Delivery.objects.get(notice=notice, email="bo@bølle.dk")
    assert delivery.status == DeliveryStatus.SENT
    assert message["Message-ID"] == delivery.message_id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/abonnement/afmeld/" in str(message["List-Unsubscribe"])
    assert any("/abonnement/administrer/" in link for link in links(message))


def test_the_batch_signer_makes_the_tokens_djangos_signer_makes(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The send path signs with the HMAC key derived once per batch; the tokens must be the
    very ones signing.dumps makes (and read back), or old and new links would disagree."""
    import time

    from django.core import signing

    from notices import mail

    monkeypatch.setattr(time, "time", lambda: 1_790_000_000.25)
    factory = mail.MailFactory()
    for address in ("anna@example.dk", "bo@bølle.dk"):
        assert factory.unsubscribe_token(address, topic=TOPIC) == signing.dumps(
            {"e": address, "t": TOPIC}, salt=mail.UNSUBSCRIBE_SALT
        )
        assert factory.unsubscribe_token(address, frequency="daily") == signing.dumps(
            {"e": address, "f": "daily"}, salt=mail.UNSUBSCRIBE_SALT
        )
        assert mail.read_unsubscribe_token(factory.unsubscribe_token(address, topic=TOPIC)) == {
            "e": address,
            "t": TOPIC,
        }
        manage = factory._manage_signer.sign_payload({"e": address})
        assert manage == mail.manage_token(address)
    settings.SECRET_KEY = "another-" + "k" * 50
    assert mail.MailFactory().unsubscribe_token("anna@example.dk", topic=TOPIC) == signing.dumps(
        {"e": "anna@example.dk", "t": TOPIC}, salt=mail.UNSUBSCRIBE_SALT
    )
