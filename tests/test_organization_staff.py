"""The secretariat keeps the organisation up to date: bodies, people and memberships.

Every staff page is tested from the outsider's side too: members, editors and anonymous
visitors never get in, whatever the method.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.models import Body, BodyKind, Membership, Organization, Person, Region, Role
from tests.conftest import World
from tests.factories import BodyFactory, MembershipFactory, PersonFactory, RegionFactory

# --- helpers -------------------------------------------------------------------------------------


def field_group(html: str, field_id: str) -> str:
    """The DKFDS form-group that holds the input with `field_id`."""
    groups = re.findall(r'<div class="form-group[^"]*">.*?</div>', html, flags=re.S)
    for group in groups:
        if f'id="{field_id}"' in group:
            return group
    raise AssertionError(f"no form-group holds #{field_id}")


def assert_error_at(response: Any, field: str, message: str) -> None:
    """The Danish message is shown at the field in DKFDS error-state markup."""
    html = response.content.decode()
    group = field_group(html, f"id_{field}")
    assert 'class="form-group form-error"' in group
    assert f'id="id_{field}_error"' in group
    assert message in group
    input_tag = re.search(rf'<(input|select|textarea)[^>]*id="id_{field}"[^>]*>', group)
    assert input_tag is not None
    assert f"id_{field}_error" in input_tag.group(0)  # aria-describedby
    assert 'aria-invalid="true"' in input_tag.group(0)


def success_message(response: Any) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def body_post_data(**overrides: Any) -> dict[str, Any]:
    region = RegionFactory()
    data = {
        "name": "Kontaktudvalget",
        "short_name": "KU",
        "slug": "",
        "kind": BodyKind.POLITICAL,
        "region": region.pk,
        "parent": "",
        "mandate": "Kommunalt-regionalt samarbejde.",
        "meeting_rhythm": "2 møder om året",
        "is_public": "on",
        "order": "5",
    }
    data.update(overrides)
    return data


# --- the outsider's side: every staff URL ---------------------------------------------------------


@pytest.fixture
def membership(world: World) -> Membership:
    return Membership.objects.get(person__user=world.member_a, body=world.body_a)


StaffUrl = Callable[[World, Membership], str]

STAFF_URLS: dict[str, StaffUrl] = {
    "staff_index": lambda w, m: reverse("organizations:staff_index"),
    "body_create": lambda w, m: reverse("organizations:body_create"),
    "body_edit": lambda w, m: reverse("organizations:body_edit", args=[w.body_a.slug]),
    "membership_add": lambda w, m: reverse("organizations:membership_add", args=[w.body_a.slug]),
    "membership_edit": lambda w, m: reverse("organizations:membership_edit", args=[m.pk]),
    "membership_end": lambda w, m: reverse("organizations:membership_end", args=[m.pk]),
    "person_create": lambda w, m: reverse("organizations:person_create"),
    "person_edit": lambda w, m: reverse("organizations:person_edit", args=[m.person_id]),
    "import_members": lambda w, m: reverse("organizations:import_members"),
    "import_contacts": lambda w, m: reverse("organizations:import_contacts"),
}


@pytest.mark.parametrize("name", STAFF_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("outsider", ["member_a", "member_b", "editor"])
def test_outsider_gets_403_on_every_staff_page(
    world: World, membership: Membership, name: str, method: str, outsider: str
) -> None:
    client = Client()
    client.force_login(getattr(world, outsider))
    url = STAFF_URLS[name](world, membership)
    response = getattr(client, method)(url, {"name": "Ændret", "end_date": "2025-01-01"})
    assert response.status_code == 403


@pytest.mark.parametrize("name", STAFF_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login_on_every_staff_page(
    world: World, membership: Membership, anonymous_client: Client, name: str, method: str
) -> None:
    url = STAFF_URLS[name](world, membership)
    response = getattr(anonymous_client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize("name", STAFF_URLS)
def test_staff_opens_every_staff_page(
    world: World, membership: Membership, staff_client: Client, name: str
) -> None:
    response = staff_client.get(STAFF_URLS[name](world, membership))
    assert response.status_code == 200
    assert b'lang="da"' in response.content


def test_member_cannot_end_a_membership_by_post(
    world: World, membership: Membership, member_a_client: Client
) -> None:
    url = reverse("organizations:membership_end", args=[membership.pk])
    response = member_a_client.post(url, {"end_date": "2025-06-30"})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.end_date is None


def test_staff_without_mfa_may_not_edit(world: World) -> None:
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=world.staff).delete()
    client = Client()
    client.force_login(world.staff)
    response = client.get(reverse("organizations:staff_index"))
    assert response.status_code in (302, 403)
    assert not response.get("Location", "").startswith(reverse("organizations:staff_index"))


# --- bodies --------------------------------------------------------------------------------------


def test_staff_index_lists_bodies_and_what_can_be_done(world: World, staff_client: Client) -> None:
    response = staff_client.get(reverse("organizations:staff_index"))
    html = response.content.decode()
    assert "Forretningsudvalget" in html
    for name in ("body_create", "person_create", "import_members", "import_contacts"):
        assert reverse(f"organizations:{name}") in html
    assert reverse("organizations:body_edit", args=["fu"]) in html
    assert reverse("organizations:membership_add", args=["fu"]) in html


def test_staff_index_runs_a_fixed_number_of_queries(world: World, staff_client: Client) -> None:
    url = reverse("organizations:staff_index")
    staff_client.get(url)  # warm up sessions and caches
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    parent = BodyFactory()
    for _ in range(5):
        BodyFactory(parent=parent)
        PersonFactory()
    with CaptureQueriesContext(connection) as many:
        staff_client.get(url)
    assert len(many) == len(few)


def test_staff_creates_a_body(world: World, staff_client: Client) -> None:
    response = staff_client.post(
        reverse("organizations:body_create"), body_post_data(parent=world.body_a.pk)
    )
    body = Body.objects.get(name="Kontaktudvalget")
    assert response.status_code == 302
    assert response["Location"] == body.get_absolute_url()
    assert body.slug == "kontaktudvalget"
    assert body.parent == world.body_a
    assert body.kind == BodyKind.POLITICAL
    assert body.meeting_rhythm == "2 møder om året"
    assert body.is_public and body.order == 5
    assert "Kontaktudvalget er oprettet" in success_message(response)


def test_body_slug_is_made_from_a_danish_name(world: World, staff_client: Client) -> None:
    staff_client.post(
        reverse("organizations:body_create"),
        body_post_data(name="Udviklingsnetværk for børn og unge"),
    )
    assert Body.objects.filter(slug="udviklingsnetvaerk-for-boern-og-unge").exists()


def test_body_form_errors_are_danish_and_at_the_field(world: World, staff_client: Client) -> None:
    response = staff_client.post(
        reverse("organizations:body_create"), body_post_data(name="", slug="fu")
    )
    assert response.status_code == 200
    assert_error_at(response, "name", "Dette felt er påkrævet.")
    assert_error_at(response, "slug", "Et andet organ har allerede denne korte adresse.")
    assert 'class="alert alert-error"' in response.content.decode()
    assert Body.objects.count() == 2


def test_staff_edits_a_body(world: World, staff_client: Client) -> None:
    url = reverse("organizations:body_edit", args=["fu"])
    response = staff_client.post(
        url,
        body_post_data(
            name="Forretningsudvalget (FU)",
            slug="fu",
            region=world.body_a.region_id,
            meeting_rhythm="3 møder i foråret, 3 i efteråret",
            is_public="",
        ),
    )
    body = Body.objects.get(pk=world.body_a.pk)
    assert response.status_code == 302
    assert response["Location"] == body.get_absolute_url()
    assert body.name == "Forretningsudvalget (FU)"
    assert body.meeting_rhythm == "3 møder i foråret, 3 i efteråret"
    assert body.is_public is False
    assert "er gemt" in success_message(response)


def test_body_edit_page_lists_memberships_with_links(
    world: World, membership: Membership, staff_client: Client
) -> None:
    response = staff_client.get(reverse("organizations:body_edit", args=["fu"]))
    html = response.content.decode()
    assert membership.person.name in html
    assert reverse("organizations:membership_edit", args=[membership.pk]) in html
    assert reverse("organizations:membership_end", args=[membership.pk]) in html


def test_a_body_cannot_be_set_up_by_its_own_child(world: World, staff_client: Client) -> None:
    child = BodyFactory(parent=world.body_a, region=world.body_a.region)
    response = staff_client.post(
        reverse("organizations:body_edit", args=["fu"]),
        body_post_data(
            name=world.body_a.name, slug="fu", region=world.body_a.region_id, parent=child.pk
        ),
    )
    assert response.status_code == 200
    assert_error_at(response, "parent", "kan ikke være nedsat af sig selv")
    world.body_a.refresh_from_db()
    assert world.body_a.parent is None


# --- people --------------------------------------------------------------------------------------


def person_post_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Karen Lund",
        "job_title": "Socialdirektør",
        "affiliation": "",
        "email": "karen.lund@viborg.dk",
        "phone": "87 87 00 00",
        "user": "",
    }
    data.update(overrides)
    return data


def test_staff_creates_a_person_working_for_a_municipality(
    world: World, staff_client: Client
) -> None:
    response = staff_client.post(
        reverse("organizations:person_create"),
        person_post_data(affiliation=f"kommune:{world.municipality.pk}"),
    )
    person = Person.objects.get(name="Karen Lund")
    assert response.status_code == 302
    assert response["Location"] == person.get_absolute_url()
    assert person.municipality == world.municipality
    assert person.region is None and person.organization is None


def test_staff_edits_a_person(world: World, membership: Membership, staff_client: Client) -> None:
    person = membership.person
    region = Region.objects.get(code="1082")
    response = staff_client.post(
        reverse("organizations:person_edit", args=[person.pk]),
        person_post_data(
            name="Medlem A. Andersen",
            email=person.email,
            affiliation=f"region:{region.pk}",
            user=world.member_a.pk,
        ),
    )
    person.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == person.get_absolute_url()
    assert person.name == "Medlem A. Andersen"
    assert person.region == region and person.municipality is None
    assert person.user == world.member_a
    # Whom the membership represented is history, not the person's current job.
    membership.refresh_from_db()
    assert membership.municipality == world.municipality


def test_person_form_errors_are_danish_and_at_the_field(world: World, staff_client: Client) -> None:
    response = staff_client.post(
        reverse("organizations:person_create"),
        person_post_data(name="", email="ikke-en-adresse", user=world.member_a.pk),
    )
    assert response.status_code == 200
    assert_error_at(response, "name", "Dette felt er påkrævet.")
    assert_error_at(response, "email", "Indtast en gyldig e-mail-adresse.")
    assert_error_at(response, "user", "Denne brugerkonto er allerede knyttet til en anden person.")


def test_two_people_cannot_share_an_email_address(world: World, staff_client: Client) -> None:
    other = PersonFactory(email="Faelles@Kommune.dk", name="Ole Olsen")
    response = staff_client.post(
        reverse("organizations:person_create"), person_post_data(email=other.email.upper())
    )
    assert_error_at(response, "email", "Ole Olsen har allerede denne e-mailadresse.")


# --- memberships ---------------------------------------------------------------------------------


def membership_post_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "person": "",
        "new_person_name": "",
        "new_person_email": "",
        "new_person_job_title": "",
        "role": Role.MEMBER,
        "represents": "",
        "voting_right": "on",
        "start_date": "2025-02-01",
        "end_date": "",
        "note": "",
    }
    data.update(overrides)
    return data


def test_staff_adds_an_existing_person_to_a_body(world: World, staff_client: Client) -> None:
    person = PersonFactory(name="Jens Holm", municipality=world.other_municipality)
    response = staff_client.post(
        reverse("organizations:membership_add", args=["fu"]),
        membership_post_data(
            person=person.pk,
            role=Role.VICE_CHAIR,
            represents=f"kommune:{world.other_municipality.pk}",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == world.body_a.get_absolute_url()
    membership = Membership.objects.get(person=person, body=world.body_a)
    assert membership.role == Role.VICE_CHAIR
    assert membership.municipality == world.other_municipality
    assert membership.voting_right is True
    assert membership.start_date == datetime.date(2025, 2, 1)
    assert membership.end_date is None
    assert "Jens Holm er nu med i Forretningsudvalget" in success_message(response)


def test_staff_adds_a_new_person_with_the_membership(world: World, staff_client: Client) -> None:
    kkr = Organization.objects.create(name="KKR Midtjylland")
    response = staff_client.post(
        reverse("organizations:membership_add", args=["fu"]),
        membership_post_data(
            new_person_name="Lise Berg",
            new_person_email="lise.berg@kl.dk",
            role=Role.OBSERVER,
            represents=f"organisation:{kkr.pk}",
            voting_right="",
        ),
    )
    assert response.status_code == 302
    person = Person.objects.get(name="Lise Berg")
    assert person.organization == kkr and person.email == "lise.berg@kl.dk"
    membership = person.memberships.get()
    assert membership.role == Role.OBSERVER
    assert membership.organization == kkr
    assert membership.voting_right is False


def test_adding_a_member_needs_a_person(world: World, staff_client: Client) -> None:
    response = staff_client.post(
        reverse("organizations:membership_add", args=["fu"]), membership_post_data()
    )
    assert response.status_code == 200
    assert_error_at(response, "person", "Vælg en person, eller skriv navnet på en ny person")


def test_a_membership_cannot_end_before_it_starts_on_add(
    world: World, staff_client: Client
) -> None:
    person = PersonFactory()
    response = staff_client.post(
        reverse("organizations:membership_add", args=["fu"]),
        membership_post_data(person=person.pk, start_date="2025-02-01", end_date="2025-01-31"),
    )
    assert response.status_code == 200
    assert_error_at(response, "end_date", "Slutdatoen kan ikke ligge før startdatoen")
    assert not Membership.objects.filter(person=person).exists()


def test_staff_edits_a_membership(
    world: World, membership: Membership, staff_client: Client
) -> None:
    response = staff_client.post(
        reverse("organizations:membership_edit", args=[membership.pk]),
        membership_post_data(
            role=Role.CHAIR,
            represents=f"kommune:{world.municipality.pk}",
            voting_right="on",
            start_date="2023-09-01",
            note="Valgt på mødet 1. september 2023",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == world.body_a.get_absolute_url()
    membership.refresh_from_db()
    assert membership.role == Role.CHAIR
    assert membership.start_date == datetime.date(2023, 9, 1)
    assert membership.note == "Valgt på mødet 1. september 2023"


def test_staff_ends_a_membership_and_the_row_is_kept(
    world: World, membership: Membership, staff_client: Client
) -> None:
    url = reverse("organizations:membership_end", args=[membership.pk])
    confirm = staff_client.get(url)
    assert "Medlemskabet bliver ikke slettet" in confirm.content.decode()
    assert 'method="post"' in confirm.content.decode()

    response = staff_client.post(url, {"end_date": "2025-06-30"})
    assert response.status_code == 302
    assert response["Location"] == world.body_a.get_absolute_url()
    membership.refresh_from_db()
    assert membership.end_date == datetime.date(2025, 6, 30)
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert membership in Membership.objects.active_on(datetime.date(2025, 6, 30))
    assert membership not in Membership.objects.active_on(datetime.date(2025, 7, 1))
    assert "ikke længere med i Forretningsudvalget" in success_message(response)


def test_ending_before_the_start_is_refused_in_danish_at_the_field(
    world: World, membership: Membership, staff_client: Client
) -> None:
    response = staff_client.post(
        reverse("organizations:membership_end", args=[membership.pk]), {"end_date": "2023-12-31"}
    )
    assert response.status_code == 200
    assert_error_at(
        response, "end_date", "Slutdatoen kan ikke ligge før startdatoen (1. januar 2024)."
    )
    membership.refresh_from_db()
    assert membership.end_date is None


def test_a_membership_is_ended_only_once(
    world: World, membership: Membership, staff_client: Client
) -> None:
    membership.end_date = datetime.date(2024, 12, 31)
    membership.save()
    url = reverse("organizations:membership_end", args=[membership.pk])
    assert "allerede afsluttet" in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"end_date": "2025-06-30"})
    assert response.status_code == 200
    assert_error_at(
        response, "end_date", "Medlemskabet er allerede afsluttet den 31. december 2024."
    )
    membership.refresh_from_db()
    assert membership.end_date == datetime.date(2024, 12, 31)


def test_end_form_needs_a_valid_date(
    world: World, membership: Membership, staff_client: Client
) -> None:
    response = staff_client.post(
        reverse("organizations:membership_end", args=[membership.pk]), {"end_date": "i går"}
    )
    assert_error_at(response, "end_date", "Indtast en gyldig dato.")


def test_membership_for_a_past_member_stays_on_the_body_page(
    world: World, staff_client: Client
) -> None:
    past = MembershipFactory(
        body=world.body_a,
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2021, 12, 31),
    )
    html = staff_client.get(reverse("organizations:body_edit", args=["fu"])).content.decode()
    assert past.person.name in html
    assert reverse("organizations:membership_end", args=[past.pk]) not in html
