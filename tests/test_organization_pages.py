"""The public organisation pages: the diagram, a body, a municipality and a person.

Everyone may read them; non-public bodies only their members and the secretariat; e-mail
addresses and phone numbers only logged-in users.
"""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organizations.models import (
    Body,
    ContactArea,
    ContactFunction,
    ContactTopic,
    Membership,
    Person,
    Role,
)
from tests.conftest import World
from tests.factories import (
    BodyFactory,
    ContactFactory,
    MembershipFactory,
    OrganizationFactory,
    PersonFactory,
    RegionFactory,
)


def today() -> datetime.date:
    return timezone.localdate()


def last_year(month: int = 6, day: int = 1) -> datetime.date:
    return datetime.date(today().year - 1, month, day)


def body_url(body: Body) -> str:
    return reverse("organizations:body", args=[body.slug])


def member_names(response: Any) -> dict[str, list[str]]:
    """The composition shown on a body page: role → names, in the order shown."""
    return {
        group.role: [m.person.name for m in group.memberships]
        for group in response.context["page"].members
    }


# --- body page ------------------------------------------------------------------------------------


def test_body_page_lists_current_members_by_role_with_whom_they_represent(
    world: World, anonymous_client: Client
) -> None:
    kkr = OrganizationFactory(name="KKR Midtjylland")
    MembershipFactory(
        body=world.body_a,
        person=PersonFactory(name="Karsten Binderup", job_title="Konsulent"),
        role=Role.SECRETARY,
        municipality=None,
        organization=kkr,
        voting_right=False,
    )
    MembershipFactory(
        body=world.body_a,
        person=PersonFactory(name="Henning Hansen", job_title="Kommunaldirektør"),
        role=Role.CHAIR,
        municipality=world.municipality,
    )
    MembershipFactory(
        body=world.body_a,
        person=PersonFactory(name="Anne Jastrup"),
        role=Role.VICE_CHAIR,
        municipality=None,
        region=RegionFactory(),
    )

    response = anonymous_client.get(body_url(world.body_a))

    assert response.status_code == 200
    composition = member_names(response)
    assert list(composition) == [Role.CHAIR, Role.VICE_CHAIR, Role.MEMBER, Role.SECRETARY]
    assert composition[Role.CHAIR] == ["Henning Hansen"]
    assert composition[Role.SECRETARY] == ["Karsten Binderup"]
    html = response.content.decode()
    assert html.index("Formand") < html.index("Næstformand") < html.index("Sekretær")
    assert "KKR Midtjylland" in html
    assert "Viborg Kommune" in html
    assert "Region Midtjylland" in html
    assert "Kommunaldirektør" in html
    chair = Person.objects.get(name="Henning Hansen")
    assert f'href="{chair.get_absolute_url()}"' in html


def test_members_are_listed_in_danish_alphabetical_order(
    world: World, anonymous_client: Client
) -> None:
    for name in ["Øjvind Ø", "Aage Å", "Zenia Z", "Ærø Æ", "Bent B"]:
        MembershipFactory(body=world.body_a, person=PersonFactory(name=name))

    response = anonymous_client.get(body_url(world.body_a))

    names = [n for n in member_names(response)[Role.MEMBER] if not n.startswith("Person")]
    assert names == ["Bent B", "Zenia Z", "Ærø Æ", "Øjvind Ø", "Aage Å"]


def test_former_members_are_listed_separately(world: World, anonymous_client: Client) -> None:
    MembershipFactory(
        body=world.body_a,
        person=PersonFactory(name="Tidligere Formand"),
        role=Role.CHAIR,
        start_date=datetime.date(2020, 1, 1),
        end_date=last_year(),
    )

    response = anonymous_client.get(body_url(world.body_a))

    assert Role.CHAIR not in member_names(response)
    former = response.context["page"].former_members
    assert [m.person.name for m in former] == ["Tidligere Formand"]
    html = response.content.decode()
    assert html.index("Tidligere medlemmer") < html.index("Tidligere Formand")


def test_composition_at_a_past_date_shows_who_sat_then(
    world: World, anonymous_client: Client
) -> None:
    MembershipFactory(
        body=world.body_a,
        person=PersonFactory(name="Gammel Formand"),
        role=Role.CHAIR,
        start_date=datetime.date(2020, 1, 1),
        end_date=last_year(12, 31),
    )
    MembershipFactory(
        body=world.body_a,
        person=PersonFactory(name="Ny Formand"),
        role=Role.CHAIR,
        start_date=datetime.date(today().year, 1, 1),
    )

    then = anonymous_client.get(body_url(world.body_a), {"dato": last_year().isoformat()})
    now = anonymous_client.get(body_url(world.body_a))

    assert member_names(then)[Role.CHAIR] == ["Gammel Formand"]
    assert "Sammensætning pr. 1. juni" in then.content.decode()
    assert member_names(now)[Role.CHAIR] == ["Ny Formand"]


def test_invalid_date_gives_danish_message_and_todays_composition(
    world: World, anonymous_client: Client
) -> None:
    MembershipFactory(
        body=world.body_a,
        person=PersonFactory(name="Gammel Formand"),
        role=Role.CHAIR,
        start_date=datetime.date(2020, 1, 1),
        end_date=last_year(),
    )

    response = anonymous_client.get(body_url(world.body_a), {"dato": "31-02-2023"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Datoen er ikke gyldig. Skriv den som ÅÅÅÅ-MM-DD" in html
    assert 'class="form-group form-error"' in html
    assert 'aria-invalid="true"' in html
    assert response.context["page"].is_today
    assert Role.CHAIR not in member_names(response)


@pytest.fixture
def closed_body(world: World) -> Body:
    """Body A made non-public: member A sits in it, member B does not."""
    Body.objects.filter(pk=world.body_a.pk).update(is_public=False)
    return Body.objects.get(pk=world.body_a.pk)


def test_non_public_body_is_hidden_from_anonymous_and_outsider(
    closed_body: Body, anonymous_client: Client, member_b_client: Client
) -> None:
    for client in (anonymous_client, member_b_client):
        assert client.get(body_url(closed_body)).status_code == 404
        assert closed_body.name not in client.get(reverse("organizations:diagram")).content.decode()


def test_non_public_body_is_visible_to_its_member_and_staff(
    closed_body: Body, member_a_client: Client, staff_client: Client
) -> None:
    for client in (member_a_client, staff_client):
        assert client.get(body_url(closed_body)).status_code == 200
        assert closed_body.name in client.get(reverse("organizations:diagram")).content.decode()


def test_body_page_lists_sub_bodies_the_user_may_see(
    world: World, anonymous_client: Client, staff_client: Client
) -> None:
    BodyFactory(name="Udviklingsnetværk Børn", parent=world.body_a)
    BodyFactory(name="Lukket arbejdsgruppe", parent=world.body_a, is_public=False)

    public_html = anonymous_client.get(body_url(world.body_a)).content.decode()
    staff_html = staff_client.get(body_url(world.body_a)).content.decode()

    assert "Udviklingsnetværk Børn" in public_html
    assert "Lukket arbejdsgruppe" not in public_html
    assert "Lukket arbejdsgruppe" in staff_html


def test_hidden_parent_is_not_named_on_a_public_sub_body(
    world: World, anonymous_client: Client
) -> None:
    secret = BodyFactory(name="Hemmelig styregruppe", is_public=False)
    child = BodyFactory(name="Åbent netværk", parent=secret)

    html = anonymous_client.get(body_url(child)).content.decode()

    assert "Åbent netværk" in html
    assert "Hemmelig styregruppe" not in html


# --- diagram --------------------------------------------------------------------------------------


def test_diagram_nests_bodies_under_their_parents(world: World, anonymous_client: Client) -> None:
    network = BodyFactory(name="Udviklingsnetværk", parent=world.body_a)
    BodyFactory(name="Voksennetværk Øst", parent=network)

    response = anonymous_client.get(reverse("organizations:diagram"))

    tree = response.context["diagram"].tree
    fu = next(node for node in tree if node.body == world.body_a)
    assert [child.body.name for child in fu.children] == ["Udviklingsnetværk"]
    assert [child.body.name for child in fu.children[0].children] == ["Voksennetværk Øst"]
    html = response.content.decode()
    # Nested lists, so the tree reads without CSS or JavaScript.
    assert html.count('<ul class="organisation-tree">') == 3
    assert "(FU)" in html
    assert "Administrativ" in html


def test_diagram_links_municipalities_and_other_regions(
    world: World, anonymous_client: Client
) -> None:
    north = RegionFactory(code="1081", name="Region Nordjylland")
    BodyFactory(name="Socialdirektørkredsen", region=north)
    RegionFactory(code="1083", name="Region Syddanmark")  # no bodies: not linked

    response = anonymous_client.get(reverse("organizations:diagram"))

    html = response.content.decode()
    assert f'href="{world.municipality.get_absolute_url()}"' in html
    assert f'href="{north.get_absolute_url()}"' in html
    assert "Region Syddanmark" not in html
    assert "Socialdirektørkredsen" not in html

    north_page = anonymous_client.get(reverse("organizations:region", args=["1081"]))
    assert "Socialdirektørkredsen" in north_page.content.decode()
    assert "Forretningsudvalget" not in north_page.content.decode()
    by_query = anonymous_client.get(reverse("organizations:diagram"), {"region": "1081"})
    assert "Socialdirektørkredsen" in by_query.content.decode()


def test_unknown_region_is_404(world: World, anonymous_client: Client) -> None:
    assert anonymous_client.get(reverse("organizations:region", args=["9999"])).status_code == 404


# --- municipality and person pages ---------------------------------------------------------------


def test_municipality_page_shows_its_representatives_and_contacts(
    world: World, anonymous_client: Client
) -> None:
    director = PersonFactory(name="Leif Christensen", municipality=world.municipality)
    MembershipFactory(person=director, body=world.body_b, role=Role.CHAIR)
    ContactFactory(
        municipality=world.municipality,
        function="drift",
        area="boern_unge",
        topic="takster",
        person=PersonFactory(name="Tina Takst"),
    )
    ContactFactory(
        municipality=world.municipality,
        function="myndighed",
        area="voksne",
        topic="betalingsaftaler",
        person=PersonFactory(name="Mona Myndighed"),
    )

    response = anonymous_client.get(world.municipality.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "791" in html
    assert "Region Midtjylland" in html
    bodies = [group.body for group in response.context["page"].representation]
    assert bodies == [world.body_a, world.body_b]
    assert "Leif Christensen" in html
    sections = response.context["page"].contacts
    assert [s.function for s in sections] == ["Myndighed", "Drift"]
    assert [p.name for p in sections[0].rows[0].people] == ["Mona Myndighed"]
    assert sections[1].rows[0].topic == "Takster"
    assert html.index("Mona Myndighed") < html.index("Tina Takst")
    # Municipal editors are logins, not part of the public page.
    assert "Redaktør" not in html
    assert world.editor.email not in html


def test_unknown_municipality_is_404(world: World, anonymous_client: Client) -> None:
    assert anonymous_client.get("/organisation/kommuner/999/").status_code == 404


def test_person_page_shows_current_and_former_memberships(
    world: World, anonymous_client: Client
) -> None:
    person = PersonFactory(name="Henrik Beyer", job_title="Socialdirektør")
    MembershipFactory(person=person, body=world.body_a, role=Role.VICE_CHAIR)
    MembershipFactory(
        person=person,
        body=world.body_b,
        start_date=datetime.date(2019, 1, 1),
        end_date=last_year(),
    )
    hidden = BodyFactory(name="Lukket gruppe", is_public=False)
    MembershipFactory(person=person, body=hidden)

    response = anonymous_client.get(person.get_absolute_url())

    assert response.status_code == 200
    page = response.context["page"]
    assert [m.body for m in page.current_memberships] == [world.body_a]
    assert [m.body for m in page.former_memberships] == [world.body_b]
    html = response.content.decode()
    assert "Socialdirektør" in html
    assert "Næstformand" in html
    assert person.municipality.name in html
    assert "Lukket gruppe" not in html


# --- contact details ------------------------------------------------------------------------------


def test_anonymous_never_sees_email_or_phone(
    world: World, anonymous_client: Client, member_b_client: Client
) -> None:
    person = PersonFactory(
        name="Karin Holland",
        email="karin.holland@horsens.example.dk",
        phone="+45 76 29 29 29",
        municipality=world.municipality,
    )
    MembershipFactory(person=person, body=world.body_a)
    ContactFactory(municipality=world.municipality, person=person)
    pages = [
        reverse("organizations:diagram"),
        body_url(world.body_a),
        world.municipality.get_absolute_url(),
        person.get_absolute_url(),
        reverse("search") + "?q=Karin",
    ]
    secrets = [person.email, person.phone, person.phone.replace(" ", "")]

    for url in pages:
        html = anonymous_client.get(url).content.decode()
        for secret in secrets:
            assert secret not in html, (url, secret)

    logged_in = member_b_client.get(person.get_absolute_url()).content.decode()
    assert person.email in logged_in
    assert person.phone in logged_in
    directory = member_b_client.get(world.municipality.get_absolute_url()).content.decode()
    assert person.email in directory


# --- query counts ---------------------------------------------------------------------------------


def build_data(world: World, factor: int) -> dict[str, str]:
    """5×factor members of body A (all roles, some former, several kinds of affiliation),
    3×factor sub-bodies (half of them non-public, each with a child and members), 4×factor
    contacts in the municipality and 4×factor directory entries for one person; returns the
    page URLs to measure."""
    kkr = OrganizationFactory(name="KKR Midtjylland")
    region = RegionFactory()
    roles = list(Role)
    busy = PersonFactory(name="Travl Person", municipality=world.municipality)
    # 48 distinct directory entries for one person: enough for 4×10 without a duplicate.
    directory_entries = list(
        itertools.product(
            [world.other_municipality, world.municipality],
            [c.value for c in ContactFunction],
            [c.value for c in ContactArea],
            [c.value for c in ContactTopic],
        )
    )
    for i in range(5 * factor):
        affiliation: dict[str, Any] = [
            {"municipality": world.municipality},
            {"municipality": None, "organization": kkr},
            {"municipality": None, "region": region},
        ][i % 3]
        MembershipFactory(
            body=world.body_a,
            person=PersonFactory(municipality=world.municipality),
            role=roles[i % len(roles)],
            end_date=last_year() if i % 4 == 0 else None,
            **affiliation,
        )
    for i in range(3 * factor):
        child = BodyFactory(parent=world.body_a, is_public=i % 2 == 0)
        BodyFactory(parent=child)
        MembershipFactory(person=busy, body=child, end_date=last_year() if i % 2 else None)
        MembershipFactory(body=child, municipality=world.municipality)
    for i in range(4 * factor):
        ContactFactory(
            municipality=world.municipality,
            function=["myndighed", "drift"][i % 2],
            area=["boern_unge", "voksne"][i // 2 % 2],
            topic=["generelt", "takster", "kapacitet"][i % 3],
        )
        ContactFactory(
            municipality=directory_entries[i][0],
            function=directory_entries[i][1],
            area=directory_entries[i][2],
            topic=directory_entries[i][3],
            person=busy,
        )
    return {
        "diagram": reverse("organizations:diagram"),
        "body": body_url(world.body_a),
        "body_at_date": body_url(world.body_a) + f"?dato={last_year().isoformat()}",
        "municipality": world.municipality.get_absolute_url(),
        "person": busy.get_absolute_url(),
    }


# Queries per page: anonymous visitors need none for the session; a logged-in member adds the
# session, the user and the user's memberships (for visible_bodies). The body page's section of
# written rounds (rounds/_body_rounds.html) adds one query for the rounds, and for a logged-in
# user one more for the person behind the login (rounds.permissions.rounds_visible_to).
EXPECTED_QUERIES = {
    ("anonymous", "diagram"): 3,
    ("anonymous", "body"): 7,
    ("anonymous", "body_at_date"): 7,
    # The municipality page's offers section (offers app): the offers it operates with their
    # capacity rows in one query, plus the reader's editor grants when logged in.
    ("anonymous", "municipality"): 4,
    ("anonymous", "person"): 3,
    ("member_a", "diagram"): 6,
    ("member_a", "body"): 11,
    ("member_a", "body_at_date"): 11,
    ("member_a", "municipality"): 8,
    ("member_a", "person"): 6,
}


@pytest.mark.parametrize("factor", [1, 10])
@pytest.mark.parametrize("page", ["diagram", "body", "body_at_date", "municipality", "person"])
@pytest.mark.parametrize("who", ["anonymous", "member_a"])
def test_pages_run_a_fixed_number_of_queries(
    world: World,
    anonymous_client: Client,
    member_a_client: Client,
    django_assert_num_queries: Any,
    factor: int,
    page: str,
    who: str,
) -> None:
    urls = build_data(world, factor)
    client = anonymous_client if who == "anonymous" else member_a_client
    assert Membership.objects.filter(body=world.body_a).count() == 5 * factor + 1

    with django_assert_num_queries(EXPECTED_QUERIES[who, page]):
        response = client.get(urls[page])

    assert response.status_code == 200
