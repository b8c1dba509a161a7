"""Subscribing, managing, and moving the old mailing list over from CSV."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from notices import services
from notices.mail import manage_token
from notices.models import Frequency, Subscription
from tests.factories import UserFactory
from tests.test_notices_support import (
    Sink,
    confirmed,
)

# The SMTP server and fake domain fixtures.
pytest_plugins = ["tests.test_notices_support"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_domain")]

TOPICS = {
    "FU": ["testbody:12:agenda", "testbody:12:minutes"],
    "Forretningsudvalget": ["testbody:12:agenda", "testbody:12:minutes"],
    "Takstgruppen": ["testbody:13:agenda", "testbody:13:minutes"],
}


def test_the_subscribe_page_asks_for_confirmation_by_mail(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    page = client.get("/abonnement/?emne=testbody:12:agenda")
    assert page.status_code == 200
    assert "Dagsordener for testorgan 12" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/abonnement/?emne=testbody:12:agenda",
            {"email": "ny@example.dk", "frequency": "weekly", "topics": ["testbody:12:agenda"]},
        )
    assert response.status_code == 200
    assert "Tjek din indbakke" in response.text
    row = Subscription.objects.get()
    assert (row.status, row.frequency) == (Subscription.Status.PENDING, Frequency.WEEKLY)
    [message] = smtp.parsed()
    assert "Dagsordener for testorgan 12" in message.get_body(("plain",)).get_content()


def test_a_logged_in_user_following_with_their_own_address_is_confirmed_at_once(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    user = UserFactory(email="medlem@example.dk")
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_request(email="medlem@example.dk", topics=["tariffs"], user=user)
    row = Subscription.objects.get()
    assert row.status == Subscription.Status.CONFIRMED
    assert row.user == user
    assert smtp.parsed() == []


def test_someone_else_cannot_change_a_confirmed_subscription(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed("fast@example.dk", "tariffs")
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_request(
            email="fast@example.dk", topics=["tariffs"], frequency=Frequency.WEEKLY
        )
    row = Subscription.objects.get()
    assert (row.status, row.frequency) == ("confirmed", Frequency.IMMEDIATELY)


def test_the_manage_link_changes_frequency_and_unsubscribes(smtp: Sink) -> None:
    confirmed("styr@example.dk", "tariffs")
    confirmed("styr@example.dk", "testbody:12:agenda")
    confirmed("anden@example.dk", "tariffs")
    path = f"/abonnement/administrer/{manage_token('styr@example.dk')}/"
    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    assert "Dagsordener for testorgan 12" in page.text
    assert "anden@example.dk" not in page.text

    client.post(path, {"topic": "tariffs", "frequency": "daily"})
    client.post(path, {"topic": "testbody:12:agenda", "frequency": "off"})
    # a topic the address does not follow is ignored, not created
    client.post(path, {"topic": "rounds:1", "frequency": "daily"})
    rows = {row.topic: row for row in Subscription.objects.filter(email="styr@example.dk")}
    assert set(rows) == {"tariffs", "testbody:12:agenda"}
    assert rows["tariffs"].frequency == Frequency.DAILY
    assert rows["testbody:12:agenda"].status == Subscription.Status.UNSUBSCRIBED
    assert Client().get("/abonnement/administrer/forfalsket/").status_code == 400


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(smtp: Sink) -> None:
    staff = UserFactory(is_secretariat=True)
    result = services.subscribers_import(
        _csv(
            "E-mail;Navn;Emner\n"
            "anna@example.dk;Anna;FU\n"
            "ikke-en-adresse;Bo;FU\n"
            "cille@example.dk;Cille;Ukendt udvalg\n"
            "ANNA@example.dk;Anna igen;Takstgruppen\n"
        ),
        by=staff,
        mode=services.ImportMode.ALREADY_CONSENTED,
        topic_names=TOPICS,
    )
    assert not result.ok
    messages = [str(error) for error in result.errors]
    assert any(m.startswith("Række 3, kolonne 'E-mail'") for m in messages), messages
    assert any(m.startswith("Række 4, kolonne 'Emner'") and "Ukendt udvalg" in m for m in messages)
    assert any(m.startswith("Række 5") and "række 2" in m for m in messages), messages
    assert not Subscription.objects.exists()
    assert smtp.parsed() == []


def test_an_import_with_consent_records_who_and_when_and_sends_nothing(smtp: Sink) -> None:
    staff = UserFactory(is_secretariat=True)
    Subscription.objects.create(
        email="gaaet@example.dk", topic="testbody:12:agenda", status="unsubscribed"
    )
    result = services.subscribers_import(
        _csv(
            "email,navn,organer\n"
            "anna@example.dk,Anna,FU\n"
            'bo@example.dk,Bo,"Forretningsudvalget|Takstgruppen"\n'
            "gaaet@example.dk,Gået,FU\n"
        ),
        by=staff,
        mode=services.ImportMode.ALREADY_CONSENTED,
        topic_names=TOPICS,
    )
    assert result.ok, result.errors
    anna = Subscription.objects.filter(email="anna@example.dk")
    assert anna.count() == 2
    for row in anna:
        assert row.status == Subscription.Status.CONFIRMED
        assert row.consent == Subscription.Consent.IMPORTED
        assert row.imported_by == staff
        assert row.imported_at is not None
    assert Subscription.objects.filter(email="bo@example.dk").count() == 4
    # Who unsubscribed earlier is not signed up again by an old list.
    gone = Subscription.objects.get(email="gaaet@example.dk", topic="testbody:12:agenda")
    assert gone.status == Subscription.Status.UNSUBSCRIBED
    assert smtp.parsed() == []


def test_an_import_asking_for_confirmation_mails_each_address_once(
    smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    staff = UserFactory(is_secretariat=True)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.subscribers_import(
            _csv("E-mail;Navn;Emner\nanna@example.dk;Anna;FU\nbo@example.dk;;Takstgruppen\n"),
            by=staff,
            mode=services.ImportMode.SEND_CONFIRMATION,
            topic_names=TOPICS,
        )
    assert result.ok, result.errors
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}
    assert smtp.recipients() == {"anna@example.dk": 1, "bo@example.dk": 1}
    [to_anna] = smtp.to("anna@example.dk")
    text = to_anna.get_body(("plain",)).get_content()
    assert "Hej Anna" in text
    assert re.search(r"/abonnement/bekraeft/\S+/", text)
