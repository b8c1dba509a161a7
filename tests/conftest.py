"""Personas every view test uses: staff, a member of body A, a member of body B, a municipal
editor and an anonymous visitor. Body A and B are both public bodies of Region Midtjylland."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from organizations.models import Body, MunicipalEditor, Municipality
from tests.factories import (
    BodyFactory,
    MembershipFactory,
    MunicipalityFactory,
    PersonFactory,
    UserFactory,
)

PASSWORD = "hemmeligt-kodeord-1"


@pytest.fixture(scope="module")
def demo_record(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The demo record (`seed_demo`), seeded once for a module in a transaction that is rolled
    back after the module's last test (seeding takes about ten seconds). Each test still runs
    in a savepoint of its own (the `db` fixture), so what one test changes the next never sees;
    nothing of it reaches other modules."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo_record: None, db: None) -> None:
    """The demo record, for one test (see `demo_record`)."""


@dataclass
class World:
    body_a: Body
    body_b: Body
    municipality: Municipality
    other_municipality: Municipality
    staff: Any
    member_a: Any
    member_b: Any
    editor: Any


def give_mfa(user: Any) -> None:
    """Secretariat users need an authenticator; tests give them a TOTP one."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    user.__dict__.pop("has_mfa", None)


@pytest.fixture
def world(db: Any) -> World:
    municipality = MunicipalityFactory(code="791", name="Viborg Kommune")
    other = MunicipalityFactory(code="751", name="Aarhus Kommune")
    body_a = BodyFactory(name="Forretningsudvalget", short_name="FU", slug="fu")
    body_b = BodyFactory(name="Takstgruppen", short_name="TG", slug="takstgruppen")

    staff = UserFactory(email="sekretariat@example.dk", name="Sekretær", is_secretariat=True)
    give_mfa(staff)
    member_a = UserFactory(email="medlem-a@example.dk", name="Medlem A")
    member_b = UserFactory(email="medlem-b@example.dk", name="Medlem B")
    editor = UserFactory(email="redaktoer@example.dk", name="Redaktør")
    MembershipFactory(person=PersonFactory(user=member_a, municipality=municipality), body=body_a)
    MembershipFactory(person=PersonFactory(user=member_b, municipality=other), body=body_b)
    MunicipalEditor.objects.create(user=editor, municipality=municipality)
    return World(body_a, body_b, municipality, other, staff, member_a, member_b, editor)


def _client_for(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def anonymous_client() -> Client:
    return Client()


@pytest.fixture
def staff_client(world: World) -> Client:
    return _client_for(world.staff)


@pytest.fixture
def member_a_client(world: World) -> Client:
    return _client_for(world.member_a)


@pytest.fixture
def member_b_client(world: World) -> Client:
    return _client_for(world.member_b)


@pytest.fixture
def editor_client(world: World) -> Client:
    return _client_for(world.editor)


PERSONAS = ["staff", "member_a", "member_b", "editor", "anonymous"]


@pytest.fixture(params=PERSONAS)
def persona(request: pytest.FixtureRequest, world: World) -> tuple[str, Any, Client]:
    """Each persona in turn: (name, user or AnonymousUser, logged-in client)."""
    name = request.param
    user = AnonymousUser() if name == "anonymous" else getattr(world, name)
    return name, user, _client_for(None if name == "anonymous" else user)
