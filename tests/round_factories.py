"""factory_boy factories for written rounds. The services are tested through the services;
these build rounds directly in any state (an open round whose deadline has passed, say)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import factory
from django.utils import timezone
from django.utils.text import slugify

from organizations.models import Body, Person, Role
from rounds.models import Respondent, RoundState, WrittenRound
from tests.factories import (
    BodyFactory,
    MembershipFactory,
    MunicipalityFactory,
    OrganizationFactory,
    PersonFactory,
    RegionFactory,
    UserFactory,
)


class WrittenRoundFactory(factory.django.DjangoModelFactory):
    """An open round of a body, sent yesterday, with its deadline in a week."""

    class Meta:
        model = WrittenRound

    body = factory.SubFactory(BodyFactory)
    title = factory.Sequence(lambda n: f"Kapacitetstilpasning {n}")
    proposal = "<p>Botilbuddet udvides med 2 pladser efter servicelovens § 108.</p>"
    justification = "<p>Ventelisten er vokset.</p>"
    state = RoundState.OPEN
    deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    sent_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class RespondentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Respondent

    round = factory.SubFactory(WrittenRoundFactory)
    person = factory.SubFactory(PersonFactory)
    represents = factory.LazyAttribute(lambda o: o.person.affiliation_name)
    municipality = factory.SelfAttribute("person.municipality")


@dataclass
class Panel:
    """Body A (FU) of the `world` personas as a round sees it. Asked by default (one voting
    member per organisation): Viborg's member (`world.member_a`), Aarhus's chair and the
    Region's member. Not asked: Aarhus's and Viborg's second members, Viborg's substitute, an
    observer, a member without voting right and a former member."""

    body: Body
    viborg: Any  # the login of Viborg's member (world.member_a)
    aarhus: Any  # the login of Aarhus's chair
    region: Any  # the login of the Region's member
    aarhus_member: Any
    viborg_second: Any
    substitute: Any  # Viborg's substitute
    observer: Person
    non_voting: Person
    former: Person

    @property
    def asked(self) -> list[Person]:
        return [self.viborg.person, self.aarhus.person, self.region.person]


def seat(
    body: Body,
    name: str,
    *,
    role: str = Role.MEMBER,
    voting_right: bool = True,
    end_date: datetime.date | None = None,
    login: bool = True,
    email: str | None = None,
    **affiliation: Any,
) -> Person:
    """A person with a membership of `body` (and a login unless `login` is False)."""
    address = email if email is not None else f"{slugify(name)}@kommune.example.dk"
    user = UserFactory.create(email=address, name=name) if login and address else None
    values = {"municipality": None, "region": None, "organization": None, **affiliation}
    person = PersonFactory.create(name=name, email=address, user=user, **values)
    MembershipFactory(
        person=person,
        body=body,
        role=role,
        voting_right=voting_right,
        end_date=end_date,
        **values,
    )
    return person


def panel_for(world: Any) -> Panel:
    body = world.body_a
    region = RegionFactory()
    viborg, aarhus = world.municipality, world.other_municipality
    return Panel(
        body=body,
        viborg=world.member_a,
        aarhus=seat(body, "Bo Aarhus", role=Role.CHAIR, municipality=aarhus).user,
        region=seat(body, "Rita Region", region=region).user,
        aarhus_member=seat(body, "Anna Aarhus", municipality=aarhus).user,
        viborg_second=seat(body, "Åse Viborg", municipality=viborg).user,
        substitute=seat(body, "Sune Suppleant", role=Role.SUBSTITUTE, municipality=viborg).user,
        observer=seat(
            body,
            "Ole Observatør",
            role=Role.OBSERVER,
            organization=OrganizationFactory(name="KKR Midtjylland"),
        ),
        non_voting=seat(
            body,
            "Nina Sekretariat",
            voting_right=False,
            organization=OrganizationFactory(name="Sekretariat for rammeaftaler"),
        ),
        former=seat(
            body,
            "Frede Fhv",
            end_date=datetime.date(2025, 1, 1),
            municipality=MunicipalityFactory(code="657", name="Herning Kommune"),
        ),
    )
