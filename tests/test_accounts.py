"""Logins: e-mail only, verified e-mail required, password reset, rate limits, and MFA for the
secretariat."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import override_settings

from accounts.models import User
from core.permissions import is_secretariat
from tests.conftest import give_mfa
from tests.factories import UserFactory

PASSWORD = "hemmeligt-kodeord-1"


@pytest.mark.django_db
def test_users_log_in_with_email_not_username(client):
    UserFactory(email="direktoer@kommune.dk")
    response = client.post("/konto/login/", {"login": "direktoer@kommune.dk", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert not hasattr(User, "username") or User.username is None


@pytest.mark.django_db
def test_signup_requires_email_verification_before_login(client):
    response = client.post(
        "/konto/signup/",
        {
            "email": "ny@kommune.dk",
            "password1": "Et-langt-kodeord-42",
            "password2": "Et-langt-kodeord-42",
        },
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert "ny@kommune.dk" in mail.outbox[0].to
    client.post("/konto/login/", {"login": "ny@kommune.dk", "password": "Et-langt-kodeord-42"})
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_sends_a_mail(client):
    UserFactory(email="glemsom@kommune.dk")
    response = client.post("/konto/password/reset/", {"email": "glemsom@kommune.dk"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/konto/password/reset/key/" in mail.outbox[0].body


@pytest.mark.django_db
@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/5m/ip,3/5m/key"})
def test_repeated_failed_logins_are_rate_limited(client):
    UserFactory(email="maal@kommune.dk")
    for _ in range(3):
        client.post("/konto/login/", {"login": "maal@kommune.dk", "password": "forkert"})
    response = client.post("/konto/login/", {"login": "maal@kommune.dk", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


@pytest.mark.django_db
def test_secretariat_without_mfa_is_sent_to_set_it_up_and_has_no_powers(client):
    user = UserFactory(email="ny-medarbejder@example.dk", is_secretariat=True)
    client.force_login(user)
    response = client.get("/organisation/")
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/2fa/totp/activate")
    assert is_secretariat(user) is False


@pytest.mark.django_db
def test_secretariat_with_mfa_has_staff_powers(client):
    user = UserFactory(email="medarbejder@example.dk", is_secretariat=True)
    give_mfa(user)
    client.force_login(user)
    assert client.get("/organisation/").status_code == 200
    assert is_secretariat(User.objects.get(pk=user.pk)) is True


@pytest.mark.django_db
def test_ordinary_user_is_never_secretariat(client):
    user = UserFactory(email="borger@example.dk")
    give_mfa(user)
    assert is_secretariat(user) is False


@pytest.mark.django_db
def test_secretariat_login_asks_for_the_second_factor(client):
    user = UserFactory(email="totp@example.dk", is_secretariat=True)
    give_mfa(user)
    response = client.post("/konto/login/", {"login": "totp@example.dk", "password": PASSWORD})
    assert response.status_code == 302
    assert "/konto/2fa/authenticate" in response["Location"]
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_profile_requires_login_and_shows_roles(client, world):
    assert client.get("/profil/").status_code == 302
    client.force_login(world.member_a)
    response = client.get("/profil/")
    assert response.status_code == 200
    assert "Forretningsudvalget" in response.content.decode()
