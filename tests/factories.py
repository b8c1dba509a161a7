"""factory_boy factories for the domain. Personas in conftest.py build on these."""

from __future__ import annotations

import datetime

import factory
from allauth.account.models import EmailAddress

from accounts.models import User
from organizations.models import Body, BodyKind, Membership, Municipality, Person, Region, Role


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "1082"
    name = "Region Midtjylland"


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{100 + n % 900:03d}")
    name = factory.Sequence(lambda n: f"Testkommune {n}")
    region = factory.SubFactory(RegionFactory)


class BodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Body

    name = factory.Sequence(lambda n: f"Udvalg {n}")
    slug = factory.Sequence(lambda n: f"udvalg-{n}")
    kind = BodyKind.ADMINISTRATIVE
    region = factory.SubFactory(RegionFactory)
    mandate = "Udvalget drøfter samarbejdet på det specialiserede socialområde."


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    job_title = "Socialdirektør"
    email = factory.Sequence(lambda n: f"person{n}@kommune.example.dk")
    phone = factory.Sequence(lambda n: f"+45 87 {n % 100:02d} 00 00")
    municipality = factory.SubFactory(MunicipalityFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    body = factory.SubFactory(BodyFactory)
    role = Role.MEMBER
    municipality = factory.SelfAttribute("person.municipality")
    start_date = datetime.date(2024, 1, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"bruger{n}@example.dk")
    name = factory.Sequence(lambda n: f"Bruger {n}")
    password = factory.PostGenerationMethodCall("set_password", "hemmeligt-kodeord-1")

    @factory.post_generation
    def verified(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "organizations.Organization"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    region = factory.SubFactory(RegionFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    """An entry in a municipality's contact directory (models: organizations.Contact)."""

    class Meta:
        model = "organizations.Contact"

    municipality = factory.SubFactory(MunicipalityFactory)
    function = "myndighed"
    area = "voksne"
    topic = "generelt"
    person = factory.SubFactory(PersonFactory, municipality=factory.SelfAttribute("..municipality"))
