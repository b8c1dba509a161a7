"""The subscription pages as people use them: the "Følg" box on a body's page, the confirm,
unsubscribe and manage pages, the profile, and the secretariat's notice and import pages."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.core import mail as django_mail
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notices.mail import confirm_token, manage_token, unsubscribe_token
from notices.models import Delivery, DeliveryStatus, Frequency, Notice, Subscription
from organizations.models import Membership
from tests.conftest import World
from tests.test_notices_support import confirmed

pytestmark = pytest.mark.django_db


def agenda(world: World) -> str:
    return f"body:{world.body_a.pk}:agenda"


def minutes(world: World) -> str:
    return f"body:{world.body_a.pk}:minutes"


def rounds(world: World) -> str:
    return f"body:{world.body_a.pk}:rounds"


def follow_action(html: str) -> str:
    """The action of the "Følg" box's form on a body page."""
    match = re.search(
        r'<section aria-labelledby="follow-heading".*?<form method="post" action="([^"]+)"',
        html,
        re.S,
    )
    assert match, "no follow box on the page"
    return match.group(1).replace("&amp;", "&")


def messages_of(response: Any) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def link_in(message: Any, pattern: str) -> str:
    """The path of the first link in a mail's plain text that matches `pattern`."""
    match = re.search(rf"https?://[^/\s]+({pattern}[^\s]*)", message.body)
    assert match, message.body
    return match.group(1)


# --- subscribing from a body's page -----------------------------------------------------------


def test_every_public_body_page_has_a_follow_box(world: World, anonymous_client: Client) -> None:
    html = anonymous_client.get(world.body_a.get_absolute_url()).text
    assert "Følg FU" in html
    assert "Dagsordener" in html and "Referater" in html
    assert "Resultater af skriftlige høringer" in html
    action = follow_action(html)
    assert action.startswith(reverse("notices:subscribe"))
    assert f"emne={agenda(world).replace(':', '%3A')}" in action
    assert f"emne={rounds(world).replace(':', '%3A')}" in action
    assert 'name="frequency"' in html and 'value="weekly"' in html


def test_the_follow_box_is_prefilled_for_a_logged_in_user(
    world: World, member_b_client: Client
) -> None:
    html = member_b_client.get(world.body_a.get_absolute_url()).text
    assert 'value="medlem-b@example.dk"' in html


def test_a_non_public_body_has_no_follow_box(world: World, member_a_client: Client) -> None:
    world.body_a.is_public = False
    world.body_a.save()
    html = member_a_client.get(world.body_a.get_absolute_url()).text
    assert 'aria-labelledby="follow-heading"' not in html


def test_following_from_the_body_page_sends_one_confirmation_and_nothing_else(
    world: World, anonymous_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    action = follow_action(anonymous_client.get(world.body_a.get_absolute_url()).text)
    with django_capture_on_commit_callbacks(execute=True):
        response = anonymous_client.post(
            action,
            {
                "email": "Borger@Example.dk",
                "topics": [agenda(world), minutes(world)],
                "frequency": Frequency.DAILY,
            },
        )
    assert response.status_code == 200
    assert "Tjek din indbakke — vi har sendt et link til borger@example.dk" in response.text
    rows = Subscription.objects.order_by("topic")
    assert [(r.email, r.topic, r.status, r.frequency) for r in rows] == [
        ("borger@example.dk", agenda(world), "pending", "daily"),
        ("borger@example.dk", minutes(world), "pending", "daily"),
    ]
    [message] = django_mail.outbox
    assert message.to == ["borger@example.dk"]
    assert "/abonnement/bekraeft/" in message.body


def test_a_follow_without_address_shows_the_error_at_the_field(
    world: World, anonymous_client: Client
) -> None:
    action = follow_action(anonymous_client.get(world.body_a.get_absolute_url()).text)
    response = anonymous_client.post(action, {"email": "", "topics": [agenda(world)]})
    assert response.status_code == 200
    assert "Skriv din e-mailadresse." in response.text
    assert 'class="form-group form-error"' in response.text
    assert not Subscription.objects.exists()


def test_the_subscribe_page_without_topics_points_to_the_organisation(
    anonymous_client: Client,
) -> None:
    response = anonymous_client.get(reverse("notices:subscribe"))
    assert response.status_code == 200
    assert reverse("organizations:diagram") in response.text


# --- confirming -------------------------------------------------------------------------------


def test_the_confirmation_link_shows_a_button_and_activates_on_post(
    world: World, anonymous_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    action = follow_action(anonymous_client.get(world.body_a.get_absolute_url()).text)
    with django_capture_on_commit_callbacks(execute=True):
        anonymous_client.post(
            action, {"email": "ny@example.dk", "topics": [agenda(world)], "frequency": "weekly"}
        )
    path = link_in(django_mail.outbox[0], "/abonnement/bekraeft/")
    page = anonymous_client.get(path)
    assert page.status_code == 200
    assert "Bekræft abonnement" in page.text
    assert Subscription.objects.get().status == "pending"  # a link scanner confirms nothing
    done = anonymous_client.post(path)
    assert done.status_code == 200
    assert "Abonnementet er bekræftet" in done.text
    assert "Forretningsudvalget" in done.text
    row = Subscription.objects.get()
    assert row.status == "confirmed" and row.confirmed_at is not None


def test_a_tampered_link_gives_the_danish_error_page(
    world: World, anonymous_client: Client
) -> None:
    row = Subscription.objects.create(email="x@example.dk", topic=agenda(world))
    token = confirm_token("x@example.dk", [row.pk])
    for path in (
        reverse("notices:confirm", args=[token[:-3] + "abc"]),
        reverse("notices:unsubscribe", args=["ikke-et-token"]),
        reverse("notices:manage", args=[token]),  # a confirmation token is no manage token
    ):
        for method in ("get", "post"):
            response = getattr(anonymous_client, method)(path)
            assert response.status_code == 400, path
            assert "Linket kan ikke bruges" in response.text
            assert "Linket er ugyldigt" in response.text
            assert reverse("organizations:diagram") in response.text
    assert Subscription.objects.get().status == "pending"


def test_an_expired_confirmation_link_is_refused_and_offers_to_subscribe_again(
    world: World, anonymous_client: Client, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    row = Subscription.objects.create(email="sen@example.dk", topic=agenda(world))
    long_ago = time.time() - settings.NOTICES_CONFIRM_MAX_AGE - 3600
    with monkeypatch.context() as patch:
        patch.setattr(
            signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(long_ago))
        )
        token = confirm_token("sen@example.dk", [row.pk])
    path = reverse("notices:confirm", args=[token])
    for method in ("get", "post"):
        response = getattr(anonymous_client, method)(path)
        assert response.status_code == 400
        assert "Linket er udløbet" in response.text
        assert "Tilmeld dig igen" in response.text
        assert f"emne={agenda(world).replace(':', '%3A')}" in response.text
    assert Subscription.objects.get().status == "pending"


# --- unsubscribing and managing -----------------------------------------------------------------


def test_one_click_unsubscribe_by_post_needs_neither_login_nor_csrf(world: World) -> None:
    confirmed("fast@example.dk", agenda(world))
    client = Client(enforce_csrf_checks=True)
    path = reverse(
        "notices:unsubscribe", args=[unsubscribe_token("fast@example.dk", topic=agenda(world))]
    )
    page = client.get(path)
    assert page.status_code == 200 and "Afmeld" in page.text
    assert Subscription.objects.get().status == "confirmed"
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "Du er afmeldt" in response.text
    assert Subscription.objects.get().status == "unsubscribed"


def test_the_manage_page_lists_labels_and_changes_the_frequency(
    world: World, anonymous_client: Client
) -> None:
    confirmed("styr@example.dk", agenda(world))
    confirmed("styr@example.dk", minutes(world))
    confirmed("anden@example.dk", agenda(world))
    path = reverse("notices:manage", args=[manage_token("styr@example.dk")])
    page = anonymous_client.get(path)
    assert page.status_code == 200
    assert "Forretningsudvalget" in page.text
    assert "anden@example.dk" not in page.text
    response = anonymous_client.post(path, {"topic": agenda(world), "frequency": "weekly"})
    assert response.status_code == 302
    assert (
        Subscription.objects.get(email="styr@example.dk", topic=agenda(world)).frequency == "weekly"
    )
    # Someone else's topic cannot be touched through this link.
    anonymous_client.post(path, {"topic": "tariffs", "frequency": "off"})
    assert not Subscription.objects.filter(topic="tariffs").exists()
    # One topic off, then everything.
    anonymous_client.post(path, {"topic": minutes(world), "frequency": "off"})
    assert (
        Subscription.objects.get(email="styr@example.dk", topic=minutes(world)).status
        == "unsubscribed"
    )
    response = anonymous_client.post(path, {"alle": "1"})
    assert "Du er afmeldt 1 abonnement." in messages_of(response)
    assert set(
        Subscription.objects.filter(email="styr@example.dk").values_list("status", flat=True)
    ) == {"unsubscribed"}
    assert Subscription.objects.get(email="anden@example.dk").status == "confirmed"


# --- the profile ------------------------------------------------------------------------------


def test_the_profile_lists_only_the_subscriptions_of_the_users_verified_addresses(
    world: World, member_b_client: Client
) -> None:
    EmailAddress.objects.create(user=world.member_b, email="privat-b@example.dk", verified=True)
    EmailAddress.objects.create(
        user=world.member_b, email="uverificeret@example.dk", verified=False
    )
    confirmed("medlem-b@example.dk", agenda(world))
    confirmed("privat-b@example.dk", minutes(world), frequency=Frequency.WEEKLY)
    confirmed("uverificeret@example.dk", minutes(world))
    confirmed("medlem-a@example.dk", minutes(world))
    html = member_b_client.get(reverse("profile")).text
    section = html.split('id="abonnementer"')[1].split("Konto og sikkerhed")[0]
    assert "medlem-b@example.dk" in section and "privat-b@example.dk" in section
    assert "uverificeret@example.dk" not in section and "medlem-a@example.dk" not in section
    assert "Referater fra Forretningsudvalget" in section
    assert 'type="hidden" name="email" value="privat-b@example.dk"' in section


def test_the_profile_changes_a_subscription_but_never_someone_elses(
    world: World, member_b_client: Client
) -> None:
    confirmed("medlem-b@example.dk", agenda(world))
    confirmed("medlem-a@example.dk", agenda(world))
    url = reverse("notices:profile_subscription")
    response = member_b_client.post(
        url, {"email": "medlem-b@example.dk", "topic": agenda(world), "frequency": "daily"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#abonnementer")
    assert Subscription.objects.get(email="medlem-b@example.dk").frequency == "daily"
    member_b_client.post(
        url, {"email": "medlem-b@example.dk", "topic": agenda(world), "frequency": "off"}
    )
    assert Subscription.objects.get(email="medlem-b@example.dk").status == "unsubscribed"
    response = member_b_client.post(
        url, {"email": "medlem-a@example.dk", "topic": agenda(world), "frequency": "off"}
    )
    assert "kunne ikke gemmes" in messages_of(response)
    assert Subscription.objects.get(email="medlem-a@example.dk").status == "confirmed"


def test_the_profile_forms_need_a_login(world: World, anonymous_client: Client) -> None:
    for name in ("notices:profile_subscription", "notices:profile_defaults"):
        response = anonymous_client.post(reverse(name), {})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_a_member_declines_and_takes_back_the_bodys_mails(
    world: World, member_a_client: Client, member_b_client: Client
) -> None:
    person_email = Membership.objects.get(person__user=world.member_a).person.email.lower()
    html = member_a_client.get(reverse("profile")).text
    assert 'id="medlemsmails"' in html
    assert "Dagsordener fra Forretningsudvalget" in html
    url = reverse("notices:profile_defaults")
    topics = [agenda(world), minutes(world)]
    # Someone who is not a member of the body changes nothing.
    member_b_client.post(url, {"emne": topics, "fravalg": [agenda(world)]})
    assert not Subscription.objects.exists()
    response = member_a_client.post(url, {"emne": topics, "fravalg": [agenda(world)]})
    assert response["Location"].endswith("#medlemsmails")
    # The opt-out is recorded for the address the member gets the mails at.
    [row] = Subscription.objects.all()
    assert (row.email, row.topic, row.status) == (person_email, agenda(world), "unsubscribed")
    html = member_a_client.get(reverse("profile")).text
    assert re.search(rf'value="{agenda(world)}"\s+checked', html)
    member_a_client.post(url, {"emne": topics})
    assert not Subscription.objects.exists()


# --- the secretariat's pages --------------------------------------------------------------------


@pytest.fixture
def notice(world: World) -> Notice:
    notice = Notice.objects.create(
        topic=agenda(world), kind="notices.message", fanned_out_at=timezone.now()
    )
    statuses = [DeliveryStatus.SENT] * 3 + [DeliveryStatus.PENDING, DeliveryStatus.CLAIMED]
    statuses += [DeliveryStatus.FAILED] * 2 + [DeliveryStatus.CANCELLED]
    for index, status in enumerate(statuses):
        Delivery.objects.create(
            notice=notice,
            email=f"modtager{index}@example.dk",
            status=status,
            last_error="550 Mailbox unavailable" if status == DeliveryStatus.FAILED else "",
        )
    return notice


StaffUrl = Callable[[Notice], str]

STAFF_URLS: dict[str, StaffUrl] = {
    "notice_list": lambda n: reverse("notices:staff_notices"),
    "notice_detail": lambda n: reverse("notices:staff_notice", args=[n.pk]),
    "notice_retry": lambda n: reverse("notices:staff_notice_retry", args=[n.pk]),
    "import_subscribers": lambda n: reverse("organizations:import_subscribers"),
}


@pytest.mark.parametrize("name", STAFF_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("outsider", ["member_a", "editor"])
def test_outsiders_get_403_on_the_staff_pages(
    world: World, notice: Notice, name: str, method: str, outsider: str
) -> None:
    client = Client()
    client.force_login(getattr(world, outsider))
    response = getattr(client, method)(STAFF_URLS[name](notice))
    assert response.status_code == 403
    assert Delivery.objects.filter(status=DeliveryStatus.FAILED).count() == 2


@pytest.mark.parametrize("name", STAFF_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login_from_the_staff_pages(
    notice: Notice, anonymous_client: Client, name: str, method: str
) -> None:
    response = getattr(anonymous_client, method)(STAFF_URLS[name](notice))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_notice_list_shows_the_counts(
    world: World, notice: Notice, staff_client: Client
) -> None:
    response = staff_client.get(reverse("notices:staff_notices"))
    assert response.status_code == 200
    row = re.search(r"<tr>\s*<th scope=\"row\">.*?</tr>", response.text, re.S)
    assert row is not None
    cells = re.findall(r'<td class="text-align-right">\s*(?:<strong>)?(\d+)', row.group(0))
    assert cells == ["3", "2", "2"]  # sent, pending (incl. being sent), failed
    assert "Dagsordener fra Forretningsudvalget" in row.group(0)


def test_the_notice_list_runs_a_fixed_number_of_queries(world: World, staff_client: Client) -> None:
    def add(count: int) -> None:
        for index in range(count):
            item = Notice.objects.create(
                topic=f"body:{world.body_b.pk}:minutes", kind="notices.message"
            )
            Delivery.objects.create(notice=item, email=f"q{index}-{item.pk}@example.dk")

    url = reverse("notices:staff_notices")
    add(1)
    staff_client.get(url)  # warm the session and the label cache
    with CaptureQueriesContext(connection) as one:
        staff_client.get(url)
    add(9)
    with CaptureQueriesContext(connection) as ten:
        response = staff_client.get(url)
    assert response.text.count('<th scope="row">') == 10
    assert len(ten) == len(one), [q["sql"] for q in ten]


def test_the_detail_lists_failed_deliveries_and_sends_them_again(
    world: World, notice: Notice, staff_client: Client
) -> None:
    page = staff_client.get(reverse("notices:staff_notice", args=[notice.pk]))
    assert page.status_code == 200
    assert page.text.count("550 Mailbox unavailable") == 2
    assert "Send de fejlede igen" in page.text
    response = staff_client.post(reverse("notices:staff_notice_retry", args=[notice.pk]))
    assert response.status_code == 302
    assert "2 fejlede mails sendes igen." in messages_of(response)
    assert not Delivery.objects.filter(status=DeliveryStatus.FAILED).exists()
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3
    assert (
        staff_client.get(reverse("notices:staff_notice_retry", args=[notice.pk])).status_code == 405
    )


# --- importing a mailing list -------------------------------------------------------------------


def _upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("liste.csv", text.encode("utf-8"), content_type="text/csv")


def test_an_import_with_a_bad_row_writes_nothing_and_names_the_row(
    world: World, staff_client: Client
) -> None:
    response = staff_client.post(
        reverse("organizations:import_subscribers"),
        {
            "file": _upload(
                "e-mail;navn;organer\n"
                "anna@example.dk;Anna;FU|Takstgruppen\n"
                "bo@example.dk;Bo;Ukendt udvalg\n"
            ),
            "mode": "already_consented",
            "frequency": "immediately",
        },
    )
    assert response.status_code == 200
    assert "Filen blev ikke importeret" in response.text
    errors = response.text.split('id="import-errors"')[1].split("</table>")[0]
    assert re.search(
        r"<td>3</td>\s*<td>Emner</td>\s*<td>&#x27;Ukendt udvalg&#x27; kendes ikke", errors
    )
    assert not Subscription.objects.exists()


def test_an_import_with_consent_maps_bodies_to_topics_and_records_who(
    world: World, staff_client: Client
) -> None:
    response = staff_client.post(
        reverse("organizations:import_subscribers"),
        {
            "file": _upload(
                "e-mail;navn;organer\n"
                "anna@example.dk;Anna;FU|takstgruppen\n"
                "bo@example.dk;Bo;Forretningsudvalget\n"
            ),
            "mode": "already_consented",
            "frequency": "weekly",
        },
    )
    assert response.status_code == 302, response.text
    rows = Subscription.objects.order_by("email", "topic")
    assert {(r.email, r.topic) for r in rows} == {
        ("anna@example.dk", agenda(world)),
        ("anna@example.dk", minutes(world)),
        ("anna@example.dk", rounds(world)),
        ("anna@example.dk", f"body:{world.body_b.pk}:agenda"),
        ("anna@example.dk", f"body:{world.body_b.pk}:minutes"),
        ("anna@example.dk", f"body:{world.body_b.pk}:rounds"),
        ("bo@example.dk", agenda(world)),
        ("bo@example.dk", minutes(world)),
        ("bo@example.dk", rounds(world)),
    }
    for row in rows:
        assert (row.status, row.consent, row.frequency) == (
            "confirmed",
            "imported_consent",
            "weekly",
        )
        assert row.imported_by == world.staff and row.imported_at is not None
    assert django_mail.outbox == []


def test_an_import_asking_for_confirmation_sends_one_mail_per_address(
    world: World, staff_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("organizations:import_subscribers"),
            {
                "file": _upload("e-mail,navn,organer\nanna@example.dk,Anna,FU\n"),
                "mode": "send_confirmation",
                "frequency": "immediately",
            },
        )
    assert response.status_code == 302
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}
    assert [m.to for m in django_mail.outbox] == [["anna@example.dk"]]


def test_the_staff_index_links_to_the_new_pages(world: World, staff_client: Client) -> None:
    html = staff_client.get(reverse("organizations:staff_index")).text
    assert reverse("organizations:import_subscribers") in html
    assert reverse("notices:staff_notices") in html


def test_a_logged_in_user_following_with_their_own_address_is_confirmed_at_once(
    world: World, member_b_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    action = follow_action(member_b_client.get(world.body_a.get_absolute_url()).text)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_b_client.post(
            action,
            {"email": "medlem-b@example.dk", "topics": [agenda(world)], "frequency": "immediately"},
        )
    assert "Dit abonnement er oprettet" in response.text
    assert Subscription.objects.get().status == "confirmed"
    assert django_mail.outbox == []
    # Another address typed in by the same user still needs its confirmation.
    with django_capture_on_commit_callbacks(execute=True):
        member_b_client.post(
            action,
            {"email": "ukendt@example.dk", "topics": [agenda(world)], "frequency": "immediately"},
        )
    assert Subscription.objects.get(email="ukendt@example.dk").status == "pending"
    assert len(django_mail.outbox) == 1
