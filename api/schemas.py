"""The API's resources as the schema describes them (OParl 1.1 where it fits: an absolute URL
in `id`, the numeric `pk`, a `type`, `created`/`modified`, links between resources as URLs)."""

from __future__ import annotations

import datetime
from typing import Any, TypeVar

from ninja import Schema

OPARL = "https://schema.oparl.org/1.1/"
LOCAL = "https://rammeaftaleportalen.dk/api/v1/schema/"

T = TypeVar("T")


class ErrorOut(Schema):
    detail: Any


class Page[T](Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[T]


class RegionOut(Schema):
    id: str
    pk: int
    type: str
    code: str
    name: str
    web: str
    municipalities: str


class MunicipalityOut(Schema):
    id: str
    pk: int
    type: str
    code: str
    name: str
    region: str
    web: str


class BodyOut(Schema):
    id: str
    pk: int
    type: str
    name: str
    short_name: str
    slug: str
    kind: str
    region: str
    parent: str | None
    mandate: str
    meeting_rhythm: str
    memberships: str
    meetings: str
    web: str
    created: datetime.datetime
    modified: datetime.datetime


class MembershipOut(Schema):
    id: str
    pk: int
    type: str
    person: str
    role: str
    role_label: str
    body: str
    body_name: str
    affiliation: str
    affiliation_kind: str | None
    affiliation_url: str | None
    voting_right: bool
    start_date: datetime.date
    end_date: datetime.date | None
    created: datetime.datetime
    modified: datetime.datetime


class AgendaItemOut(Schema):
    """An item as the reader may see it. A closed item the reader may not read has `redacted`,
    its number and the title "Lukket punkt", and nothing else (the other fields are null)."""

    id: str
    pk: int
    type: str
    meeting: str
    number: str
    parent: str | None
    title: str
    redacted: bool
    is_closed: bool
    kind: str | None
    presenter: str | None
    case_text: str | None
    recommendation: str | None
    minutes: str | None
    follows_up: str | None
    attachments: list[str]
    created: datetime.datetime | None
    modified: datetime.datetime | None


class MeetingOut(Schema):
    id: str
    pk: int
    type: str
    name: str
    body: str
    body_name: str
    start: datetime.datetime
    end: datetime.datetime
    location: str
    cancelled: bool
    state: str
    agenda_published_at: datetime.datetime | None
    minutes_published_at: datetime.datetime | None
    agenda_items: str
    web: str
    created: datetime.datetime
    modified: datetime.datetime


class MeetingDetailOut(MeetingOut):
    agenda: list[AgendaItemOut]


class AttachmentOut(Schema):
    id: str
    pk: int
    type: str
    name: str
    mime_type: str
    size: int
    sha256: str
    agenda_item: str
    meeting: str
    access_url: str
    created: datetime.datetime
    modified: datetime.datetime


class WrittenRoundOut(Schema):
    """A written round's outcome only: never its answers or respondents."""

    id: str
    pk: int
    type: str
    title: str
    body: str
    state: str
    decided_on: datetime.date | None
    resolution: str
    web: str


class LifecycleEventOut(Schema):
    kind: str
    state: str
    effective_date: datetime.date
    end_date: datetime.date | None
    announced_on: datetime.date
    places: int | None


class OfferOut(Schema):
    id: str
    pk: int
    type: str
    name: str
    tilbudsportalen_id: str
    operator: str | None
    operator_name: str
    location: str
    location_name: str
    address: str
    postal_code: str
    city: str
    area: str
    offer_type: str
    coverage: str
    is_covered: bool
    steering_category: str
    status: str
    description: str
    legal_bases: list[str]
    target_groups: list[str]
    events: list[LifecycleEventOut]
    capacity: str
    tariffs: str
    web: str
    created: datetime.datetime
    modified: datetime.datetime


class CapacityOut(Schema):
    id: str
    pk: int
    type: str
    offer: str
    offer_name: str
    kind: str
    legal_basis: str | None
    valid_from: datetime.date
    valid_to: datetime.date | None
    places: int
    created: datetime.datetime


class TariffLineOut(Schema):
    service: str
    label: str
    unit: str
    amount: str
    places: int | None
    days: int | None
    occupancy_percent: str | None


class TariffSheetOut(Schema):
    id: str
    pk: int
    type: str
    offer: str
    offer_name: str
    year: int
    version: int
    state: str
    published_at: datetime.datetime | None
    lines: list[TariffLineOut]
    created: datetime.datetime
    modified: datetime.datetime


class RegionPage(Page[RegionOut]):
    pass


class MunicipalityPage(Page[MunicipalityOut]):
    pass


class BodyPage(Page[BodyOut]):
    pass


class MembershipPage(Page[MembershipOut]):
    pass


class MeetingPage(Page[MeetingOut]):
    pass


class AgendaItemPage(Page[AgendaItemOut]):
    pass


class AttachmentPage(Page[AttachmentOut]):
    pass


class WrittenRoundPage(Page[WrittenRoundOut]):
    pass


class OfferPage(Page[OfferOut]):
    pass


class CapacityPage(Page[CapacityOut]):
    pass


class TariffSheetPage(Page[TariffSheetOut]):
    pass
