"""factory_boy factories for the offer registry. Services are tested through the services;
these build offers, capacity rows and lifecycle events directly in any state, for the read
side and the permission matrix.

`OfferFactory` makes an active, covered offer operated by (and located in) a municipality,
with one legal basis. Pass `places=N` for an ordinary capacity row of N places from
`places_from` (default 1 January 2024); pass `legal_bases=[...]` / `target_groups=[...]` to set
the many-to-many fields (an empty list leaves the offer without legal bases).
"""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone

from offers.models import (
    AgreementPeriod,
    Area,
    Capacity,
    CapacityKind,
    Coverage,
    EventKind,
    EventState,
    LegalBasis,
    LifecycleEvent,
    Offer,
    OfferStatus,
    OfferType,
    TargetGroup,
)
from tests.factories import MunicipalityFactory, RegionFactory

DEFAULT_PLACES_FROM = datetime.date(2024, 1, 1)


class LegalBasisFactory(factory.django.DjangoModelFactory):
    """A paragraph of the Social Services Act (serviceloven), "SEL § 108" by default."""

    class Meta:
        model = LegalBasis
        django_get_or_create = ("law", "paragraph")

    law = "SEL"
    paragraph = factory.Sequence(lambda n: f"{108 + n}")
    title = ""
    is_active = True
    order = 0


class TargetGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetGroup
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Målgruppe {n}")
    is_active = True
    order = 0


class AgreementPeriodFactory(factory.django.DjangoModelFactory):
    """Rammeaftale 2025-2026 of Region Midtjylland, with the default notice periods."""

    class Meta:
        model = AgreementPeriod
        django_get_or_create = ("region", "name")

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"Rammeaftale {2025 + 2 * n}-{2026 + 2 * n}")
    start_date = factory.Sequence(lambda n: datetime.date(2025 + 2 * n, 1, 1))
    end_date = factory.Sequence(lambda n: datetime.date(2026 + 2 * n, 12, 31))


class OfferFactory(factory.django.DjangoModelFactory):
    """An active offer covered by the steering agreement, operated by a municipality and
    located there. For a regional offer: `operator_municipality=None,
    operator_region=RegionFactory(), location=...`."""

    class Meta:
        model = Offer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Botilbud {n}")
    tilbudsportalen_id = factory.Sequence(lambda n: f"{1000 + n}")
    operator_municipality = factory.SubFactory(MunicipalityFactory)
    operator_region = None
    location = factory.LazyAttribute(
        lambda o: o.operator_municipality or MunicipalityFactory()  # type: ignore[misc]
    )
    address = factory.Sequence(lambda n: f"Skovvej {n + 1}")
    postal_code = "8800"
    city = "Viborg"
    area = Area.ADULTS
    offer_type = OfferType.HOUSING
    is_covered = True
    steering_category = "Øvrige tilbud med takst"
    coverage = Coverage.REGIONAL
    description = (
        "Botilbud efter servicelovens § 108 for voksne med betydelig funktionsnedsættelse."
    )
    status = OfferStatus.ACTIVE

    @factory.post_generation
    def legal_bases(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        bases = [LegalBasisFactory(law="SEL", paragraph="108")] if extracted is None else extracted
        if bases:
            self.legal_bases.set(bases)  # type: ignore[attr-defined]

    @factory.post_generation
    def target_groups(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.target_groups.set(extracted)  # type: ignore[attr-defined]

    @factory.post_generation
    def agreement_periods(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.agreement_periods.set(extracted)  # type: ignore[attr-defined]

    @factory.post_generation
    def places(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """`places=N`: an ordinary capacity row of N places for the offer as a whole, from
        `places_from` (or 1 January 2024)."""
        if create and extracted is not None:
            Capacity.objects.create(
                offer=self,
                kind=CapacityKind.ORDINARY,
                valid_from=kwargs.get("from", DEFAULT_PLACES_FROM),
                places=extracted,
            )


class CapacityFactory(factory.django.DjangoModelFactory):
    """An ordinary capacity row: 10 places for the offer as a whole from 1 January 2024.
    For over-occupancy pass `kind=CapacityKind.OVER_OCCUPANCY, valid_to=...`."""

    class Meta:
        model = Capacity

    offer = factory.SubFactory(OfferFactory)
    kind = CapacityKind.ORDINARY
    legal_basis = None
    valid_from = DEFAULT_PLACES_FROM
    valid_to = None
    places = 10


class LifecycleEventFactory(factory.django.DjangoModelFactory):
    """A proposed capacity change to 12 places, effective in six months, announced today.

    It writes no capacity rows: a confirmed event built here is a record only (use
    `offers.services` to confirm for real). `decided_at` is filled for a decided state."""

    class Meta:
        model = LifecycleEvent

    offer = factory.SubFactory(OfferFactory)
    kind = EventKind.CAPACITY
    state = EventState.PROPOSED
    effective_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=183)
    )
    announced_on = factory.LazyFunction(timezone.localdate)
    places = 12
    justification = "Ventelisten er vokset, og der er behov for flere pladser."
    economic_consequences = "Ingen ændring af taksten."
    notice_due = factory.LazyAttribute(
        lambda o: o.effective_date - datetime.timedelta(days=183)  # type: ignore[misc]
    )
    announced_late = False
    decided_at = factory.LazyAttribute(
        lambda o: None if o.state == EventState.PROPOSED else timezone.now()  # type: ignore[misc]
    )
