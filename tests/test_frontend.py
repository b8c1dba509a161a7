"""The DKFDS shell every page shares, the front page, search, the profile and the account pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, World
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NAV_ENTRIES = [
    ("Forside", "home"),
    ("Organisation", "organizations:diagram"),
    ("Møder", "meetings:index"),
    ("Tilbud", "offers:index"),
    ("Takster", "tariffs:index"),
    ("Søg", "search"),
]


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _main_nav(html: str) -> str:
    match = re.search(r'<nav class="nav" aria-label="Hovedmenu">(.*?)</nav>', html, re.S)
    assert match, "the desktop main navigation is missing"
    return match.group(1)


# --- the shell ----------------------------------------------------------------------------------


def test_front_page_is_danish_dkfds_page(anonymous_client: Client) -> None:
    html = _html(anonymous_client.get("/"))
    assert '<html lang="da"' in html
    assert "/static/dkfds/css/dkfds.min.css" in html
    assert "/static/dkfds/js/dkfds.min.js" in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert '<header class="header">' in html
    assert html.count("<main") == 1
    assert '<main id="main-content"' in html
    assert "<footer>" in html
    assert "Sekretariat for rammeaftaler" in html


def test_skip_link_is_the_first_focusable_element(anonymous_client: Client) -> None:
    html = _html(anonymous_client.get("/"))
    body = html.split("<body", 1)[1]
    first = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body)
    assert first is not None
    assert first.group(0) == '<a class="skipnav" href="#main-content">'
    assert "Gå til sidens indhold" in body[first.end() : first.end() + 60]


def test_main_navigation_lists_every_section_in_order(anonymous_client: Client) -> None:
    nav = _main_nav(_html(anonymous_client.get("/")))
    found = re.findall(r'<a href="([^"]+)"[^>]*><span>([^<]+)</span></a>', nav)
    assert found == [(reverse(name), label) for label, name in NAV_ENTRIES]


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/", "Forside"),
        ("/organisation/", "Organisation"),
        ("/moeder/", "Møder"),
        ("/tilbud/", "Tilbud"),
        ("/takster/", "Takster"),
        ("/soeg/", "Søg"),
    ],
)
def test_current_section_is_marked(anonymous_client: Client, path: str, label: str) -> None:
    nav = _main_nav(_html(anonymous_client.get(path)))
    current = re.findall(r'aria-current="page"><span>([^<]+)</span>', nav)
    assert current == [label]


def test_anonymous_visitor_is_offered_login(anonymous_client: Client) -> None:
    html = _html(anonymous_client.get("/"))
    assert f'href="{reverse("account_login")}"' in html
    assert "Log ind" in html
    assert reverse("account_logout") not in html


def test_logged_in_user_sees_name_and_logout_form(member_a_client: Client, world: World) -> None:
    html = _html(member_a_client.get("/"))
    assert f'<a href="{reverse("profile")}">Medlem A</a>' in html
    assert re.search(
        rf'<form class="log-off[^"]*"\s+action="{reverse("account_logout")}"\s+method="post">',
        html,
    )
    assert "Log ud" in html
    assert f'href="{reverse("account_login")}"' not in html


def test_logout_form_logs_out_and_says_so_in_an_alert(
    member_a_client: Client, world: World
) -> None:
    response = member_a_client.post(reverse("account_logout"), follow=True)
    html = _html(response)
    assert "_auth_user_id" not in member_a_client.session
    assert 'class="alert alert-success" role="status"' in html


def test_language_switch_is_a_plain_post_form(anonymous_client: Client) -> None:
    html = _html(anonymous_client.get("/moeder/"))
    form = re.search(r'<form class="portal-language"(.*?)</form>', html, re.S)
    assert form is not None
    markup = form.group(0)
    assert f'action="{reverse("set_language")}"' in markup
    assert 'method="post"' in markup
    assert 'name="csrfmiddlewaretoken"' in markup
    assert '<input type="hidden" name="next" value="/moeder/">' in markup
    assert re.search(r'<button type="submit"[^>]*name="language"[^>]*value="en"', markup)
    assert "English" in markup
    assert "Dansk" in markup


def test_switching_to_english_sets_the_language_and_returns(anonymous_client: Client) -> None:
    response = anonymous_client.post(
        reverse("set_language"), {"language": "en", "next": "/moeder/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/moeder/"
    assert anonymous_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    html = _html(anonymous_client.get("/moeder/"))
    assert '<html lang="en"' in html
    assert re.search(r'<button type="submit"[^>]*value="da"', html)

    anonymous_client.post(reverse("set_language"), {"language": "da", "next": "/"})
    assert '<html lang="da"' in _html(anonymous_client.get("/"))


# --- pages --------------------------------------------------------------------------------------


def test_front_page_introduces_the_secretariat_and_lists_bodies(
    anonymous_client: Client, world: World
) -> None:
    html = _html(anonymous_client.get("/"))
    assert "<h1>Rammeaftaleportalen</h1>" in html
    assert "rammeaftale" in html
    for name in ("organizations:diagram", "meetings:index", "offers:index", "tariffs:index"):
        assert f'<a class="card" href="{reverse(name)}">' in html
    assert f'<a href="{world.body_a.get_absolute_url()}">Forretningsudvalget</a>' in html
    assert f'<a href="{world.body_b.get_absolute_url()}">Takstgruppen</a>' in html


def test_front_page_without_bodies_says_so(anonymous_client: Client) -> None:
    html = _html(anonymous_client.get("/"))
    assert "Sekretariatet har endnu ikke oprettet organerne i portalen." in html


@pytest.mark.parametrize(
    ("path", "heading", "empty"),
    [
        ("/moeder/", "Møder", "Der er endnu ikke offentliggjort nogen møder."),
        ("/tilbud/", "Tilbud", "Der er endnu ikke offentliggjort nogen tilbud."),
        ("/takster/", "Takster", "Der er endnu ikke offentliggjort nogen takster."),
    ],
)
def test_empty_sections_say_honestly_that_nothing_is_published(
    anonymous_client: Client, path: str, heading: str, empty: str
) -> None:
    html = _html(anonymous_client.get(path))
    assert f"<h1>{heading}</h1>" in html
    assert 'class="alert alert-info"' in html
    assert empty in html


def test_search_form_has_visible_label(anonymous_client: Client) -> None:
    html = _html(anonymous_client.get(reverse("search")))
    assert '<label class="form-label" for="search-q">Søg</label>' in html
    assert 'name="q"' in html
    assert 'role="search"' in html


def test_search_finds_bodies_municipalities_and_people_without_contact_details(
    anonymous_client: Client, world: World
) -> None:
    PersonFactory(
        name="Karen Viborgsen",
        job_title="Socialdirektør",
        email="karen@viborg.example.dk",
        phone="+45 87 87 87 87",
        municipality=world.municipality,
    )
    html = _html(anonymous_client.get(reverse("search"), {"q": "Viborg"}))
    assert "Viborg Kommune" in html
    assert "Karen Viborgsen" in html
    assert "Socialdirektør, Viborg Kommune" in html
    assert "karen@viborg.example.dk" not in html
    assert "87 87 87 87" not in html

    html = _html(anonymous_client.get(reverse("search"), {"q": "Forretning"}))
    assert f'<a href="{world.body_a.get_absolute_url()}">Forretningsudvalget</a>' in html


def test_search_without_hits_says_so(anonymous_client: Client, world: World) -> None:
    html = _html(anonymous_client.get(reverse("search"), {"q": "zzzintet"}))
    assert "gav ingen resultater" in html


def test_profile_requires_login(anonymous_client: Client) -> None:
    response = anonymous_client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_profile_shows_memberships_and_account_links(member_a_client: Client, world: World) -> None:
    html = _html(member_a_client.get(reverse("profile")))
    assert "<h1>Din profil</h1>" in html
    assert f'<a href="{world.body_a.get_absolute_url()}">Forretningsudvalget</a>' in html
    assert "Medlem" in html
    for name in ("account_change_password", "account_email", "mfa_index"):
        assert f'href="{reverse(name)}"' in html


def test_profile_shows_editor_and_secretariat_roles(
    editor_client: Client, staff_client: Client, world: World
) -> None:
    assert "Viborg Kommune" in _html(editor_client.get(reverse("profile")))
    html = _html(staff_client.get(reverse("profile")))
    assert "Du er medarbejder i sekretariatet" in html


# --- allauth pages in DKFDS dress ---------------------------------------------------------------


def test_login_page_renders_in_the_dkfds_shell(anonymous_client: Client) -> None:
    html = _html(anonymous_client.get("/konto/login/"))
    assert '<header class="header">' in html
    assert re.search(r"<h1>\s*Log ind\s*</h1>", html)
    assert '<div class="form-group">' in html
    assert re.search(r'<label class="form-label" for="id_login">\s*E-mail\s*</label>', html)
    assert re.search(r'<input type="email"\s+class="form-input"\s+id="id_login"', html)
    assert re.search(r'<input type="password"\s+class="form-input"\s+id="id_password"', html)
    assert 'class="form-checkbox"' in html
    assert re.search(r'<button class="button button-primary"[^>]*type="submit"', html)
    assert "placeholder=" not in html


def test_failed_login_shows_error_and_keeps_email_but_not_password(world: World) -> None:
    client = Client()
    html = _html(
        client.post(
            "/konto/login/", {"login": "medlem-a@example.dk", "password": "forkert-kodeord"}
        )
    )
    assert 'class="alert alert-error" role="alert"' in html
    assert 'value="medlem-a@example.dk"' in html
    assert "forkert-kodeord" not in html


def test_login_with_the_form_reaches_the_profile(world: World) -> None:
    client = Client()
    response = client.post(
        "/konto/login/", {"login": "medlem-a@example.dk", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("profile")
    assert "Medlem A" in response.content.decode()


@pytest.mark.parametrize("name", ["account_email", "account_change_password", "mfa_index"])
def test_account_pages_render_with_side_menu(
    member_a_client: Client, world: World, name: str
) -> None:
    html = _html(member_a_client.get(reverse(name)))
    assert '<nav aria-label="Din konto">' in html
    assert '<ul class="sidemenu">' in html
    assert html.count("<main") == 1
    assert "<h1>" in html


def test_secretariat_without_mfa_is_led_through_dkfds_pages_to_activation(world: World) -> None:
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=world.staff).delete()
    client = Client()
    response = client.post(
        "/konto/login/", {"login": "sekretariat@example.dk", "password": PASSWORD}, follow=True
    )
    # allauth asks for the password once more before an authenticator may be added.
    reauthenticate_url = response.redirect_chain[-1][0]
    assert reauthenticate_url.startswith(reverse("account_reauthenticate"))
    html = _html(response)
    assert 'class="alert alert-warning" role="alert"' in html
    assert "totrinsbekræftelse" in html
    assert re.search(r'<input type="password"\s+class="form-input"', html)

    response = client.post(reauthenticate_url, {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_activate_totp")
    html = _html(response)
    assert 'class="portal-qr"' in html
    secret = re.search(
        r'<input type="text"\s+class="form-input"\s+id="authenticator_secret"[^>]*>', html
    )
    assert secret is not None
    assert "readonly" in secret.group(0)
    assert re.search(r'<label class="form-label" for="id_code">', html)
