"""The read-only resources. Each view asks `api.selectors` (which asks the apps' visibility
functions) for what this reader may see, and shows it through `api.representations`."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.errors import HttpError

from api import representations as show
from api import schemas, selectors
from api.pages import CSV_RESPONSE, aware, csv_response, page
from meetings.models import AgendaItem
from meetings.visibility import (
    FOLLOW_UP_RELATED,
    attachment_visible,
    meeting_visibility,
    meetings_visibility,
    visible_agenda,
    visible_items,
)

router = Router()

MAX_ID = 2**63 - 1
MAX_OFFSET = 10_000_000
Format = Literal["json", "csv"]
ERRORS: dict[int | str, Any] = {
    401: schemas.ErrorOut,
    422: schemas.ErrorOut,
    429: schemas.ErrorOut,
}
DETAIL_ERRORS: dict[int | str, Any] = {**ERRORS, 404: schemas.ErrorOut}

# Shared parameters (defaults are module-level so every list documents them alike).
LIMIT = Query(50, ge=1, le=100, description="Rows per page (1–100).")
OFFSET = Query(0, ge=0, le=MAX_OFFSET, description="Rows to skip; pages are ordered by pk.")
FORMAT = Query("json", alias="format", description="`csv` for the whole filtered list as CSV.")
BODY = Query(None, ge=1, le=MAX_ID, description="Only this body (pk).")
FROM = Query(None, alias="from", description="From this date (inclusive).")
TO = Query(None, alias="to", description="To this date (inclusive).")
SINCE = Query(None, description="Only rows changed at or after this moment (ISO 8601).")
PK = Query(None, ge=1, le=MAX_ID)


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]  # set by api.auth.TokenOrAnonymous


def _one(rows: Any, pk: int) -> Any:
    row = rows.filter(pk=pk).first() if pk <= MAX_ID else None
    if row is None:
        raise HttpError(404, "Not found")
    return row


# --- organisation --------------------------------------------------------------------------------


@router.get("/regions", response={200: schemas.RegionPage, **ERRORS}, url_name="regions")
def region_list(request: HttpRequest, limit: int = LIMIT, offset: int = OFFSET) -> Any:
    """Denmark's regions."""
    return page(
        request,
        selectors.regions(),
        limit=limit,
        offset=offset,
        show=lambda rows: [show.region(r) for r in rows],
    )


@router.get("/regions/{pk}", response={200: schemas.RegionOut, **DETAIL_ERRORS}, url_name="region")
def region_detail(request: HttpRequest, pk: int) -> Any:
    return show.region(_one(selectors.regions(), pk))


@router.get(
    "/municipalities",
    response={200: schemas.MunicipalityPage, **ERRORS},
    url_name="municipalities",
)
def municipality_list(
    request: HttpRequest,
    limit: int = LIMIT,
    offset: int = OFFSET,
    region: int | None = PK,
) -> Any:
    """Municipalities (kommuner) with their official code."""
    return page(
        request,
        selectors.municipalities(region=region),
        limit=limit,
        offset=offset,
        show=lambda rows: [show.municipality(r) for r in rows],
    )


@router.get(
    "/municipalities/{pk}",
    response={200: schemas.MunicipalityOut, **DETAIL_ERRORS},
    url_name="municipality",
)
def municipality_detail(request: HttpRequest, pk: int) -> Any:
    return show.municipality(_one(selectors.municipalities(), pk))


@router.get("/bodies", response={200: schemas.BodyPage, **ERRORS}, url_name="bodies")
def body_list(
    request: HttpRequest,
    limit: int = LIMIT,
    offset: int = OFFSET,
    region: int | None = PK,
    modified_since: datetime.datetime | None = SINCE,
) -> Any:
    """Bodies (organer, OParl Organization) the reader may see."""
    rows = selectors.bodies(_user(request), region=region, modified_since=aware(modified_since))
    return page(
        request, rows, limit=limit, offset=offset, show=lambda rs: [show.body(r) for r in rs]
    )


@router.get("/bodies/{pk}", response={200: schemas.BodyOut, **DETAIL_ERRORS}, url_name="body")
def body_detail(request: HttpRequest, pk: int) -> Any:
    return show.body(_one(selectors.bodies(_user(request)), pk))


MEMBERSHIP_COLUMNS = [
    "pk",
    "person",
    "role",
    "body_name",
    "affiliation",
    "voting_right",
    "start_date",
    "end_date",
    "modified",
]


@router.get(
    "/memberships",
    response={200: schemas.MembershipPage, **ERRORS},
    url_name="memberships",
    openapi_extra=CSV_RESPONSE,
)
def membership_list(
    request: HttpRequest,
    limit: int = LIMIT,
    offset: int = OFFSET,
    output: Format = FORMAT,
    body: int | None = BODY,
    date_from: datetime.date | None = FROM,
    date_to: datetime.date | None = TO,
    modified_since: datetime.datetime | None = SINCE,
) -> Any:
    """Seats in the bodies (names, roles, whom they represent, dates): never e-mail or phone.
    `from`/`to` keep the memberships held at some time in the range."""
    rows = selectors.memberships(
        _user(request),
        body=body,
        date_from=date_from,
        date_to=date_to,
        modified_since=aware(modified_since),
    )
    if output == "csv":
        return _csv("medlemskaber.csv", MEMBERSHIP_COLUMNS, [show.membership(r) for r in rows])
    return page(
        request, rows, limit=limit, offset=offset, show=lambda rs: [show.membership(r) for r in rs]
    )


@router.get(
    "/memberships/{pk}",
    response={200: schemas.MembershipOut, **DETAIL_ERRORS},
    url_name="membership",
)
def membership_detail(request: HttpRequest, pk: int) -> Any:
    return show.membership(_one(selectors.memberships(_user(request)), pk))


def _csv(filename: str, columns: list[str], shown: list[dict[str, Any]]) -> HttpResponse:
    return csv_response(filename, columns, [[row[c] for c in columns] for row in shown])


# --- meetings ------------------------------------------------------------------------------------

MEETING_COLUMNS = [
    "pk",
    "name",
    "body_name",
    "start",
    "end",
    "location",
    "cancelled",
    "state",
    "id",
    "web",
    "modified",
]


@router.get(
    "/meetings",
    response={200: schemas.MeetingPage, **ERRORS},
    url_name="meetings",
    openapi_extra=CSV_RESPONSE,
)
def meeting_list(
    request: HttpRequest,
    limit: int = LIMIT,
    offset: int = OFFSET,
    output: Format = FORMAT,
    body: int | None = BODY,
    date_from: datetime.date | None = FROM,
    date_to: datetime.date | None = TO,
    modified_since: datetime.datetime | None = SINCE,
) -> Any:
    """Meetings the reader may see (`from`/`to`: the meeting date)."""
    rows = selectors.meetings(
        _user(request),
        body=body,
        date_from=date_from,
        date_to=date_to,
        modified_since=aware(modified_since),
    )
    if output == "csv":
        return _csv("moeder.csv", MEETING_COLUMNS, [show.meeting(r) for r in rows])
    return page(
        request, rows, limit=limit, offset=offset, show=lambda rs: [show.meeting(r) for r in rs]
    )


@router.get(
    "/meetings/{pk}",
    response={200: schemas.MeetingDetailOut, **DETAIL_ERRORS},
    url_name="meeting",
)
def meeting_detail(request: HttpRequest, pk: int) -> Any:
    """A meeting with its agenda as the reader may see it (closed items redacted)."""
    user = _user(request)
    meeting = _one(selectors.meetings(user), pk)
    access = meeting_visibility(user, meeting)
    views = visible_agenda(user, meeting, access)
    stamps = show.item_stamps(AgendaItem.objects.filter(meeting=meeting).only("pk"))
    return show.meeting(meeting) | {
        "agenda": [
            show.agenda_item(v, meeting_id=meeting.pk, stamps=stamps.get(v.pk)) for v in views
        ]
    }


def _show_items(user: Any, items: list[AgendaItem]) -> list[dict[str, Any]]:
    accesses = meetings_visibility(user, [item.meeting for item in items])
    return [
        show.agenda_item(
            view, meeting_id=item.meeting_id, stamps=(item.created_at, item.updated_at)
        )
        for item, view in zip(items, visible_items(user, items, accesses), strict=True)
    ]


def _items_loaded(rows: Any) -> Any:
    return rows.select_related("meeting__body", "parent", *FOLLOW_UP_RELATED).prefetch_related(
        "attachments"
    )


@router.get(
    "/agenda-items", response={200: schemas.AgendaItemPage, **ERRORS}, url_name="agenda_items"
)
def agenda_item_list(
    request: HttpRequest,
    limit: int = LIMIT,
    offset: int = OFFSET,
    meeting: int | None = PK,
    body: int | None = BODY,
    date_from: datetime.date | None = FROM,
    date_to: datetime.date | None = TO,
    modified_since: datetime.datetime | None = SINCE,
) -> Any:
    """Items of the agendas the reader may see. A closed item the reader may not read is its
    number and "Lukket punkt" only (`redacted`)."""
    user = _user(request)
    rows = selectors.agenda_items(
        user,
        meeting=meeting,
        body=body,
        date_from=date_from,
        date_to=date_to,
        modified_since=aware(modified_since),
    )
    return page(
        request,
        _items_loaded(rows),
        limit=limit,
        offset=offset,
        show=lambda items: _show_items(user, items),
    )


@router.get(
    "/agenda-items/{pk}",
    response={200: schemas.AgendaItemOut, **DETAIL_ERRORS},
    url_name="agenda_item",
)
def agenda_item_detail(request: HttpRequest, pk: int) -> Any:
    user = _user(request)
    item = _one(_items_loaded(selectors.agenda_items(user)), pk)
    return _show_items(user, [item])[0]


@router.get(
    "/attachments", response={200: schemas.AttachmentPage, **ERRORS}, url_name="attachments"
)
def attachment_list(
    request: HttpRequest,
    limit: int = LIMIT,
    offset: int = OFFSET,
    meeting: int | None = PK,
    item: int | None = PK,
    body: int | None = BODY,
    date_from: datetime.date | None = FROM,
    date_to: datetime.date | None = TO,
    modified_since: datetime.datetime | None = SINCE,
) -> Any:
    """Attachments (bilag, OParl File): metadata and the download address, only of items the
    reader may read in full."""
    rows = selectors.attachments(
        _user(request),
        meeting=meeting,
        item=item,
        body=body,
        date_from=date_from,
        date_to=date_to,
        modified_since=aware(modified_since),
    )
    return page(
        request, rows, limit=limit, offset=offset, show=lambda rs: [show.attachment(r) for r in rs]
    )


@router.get(
    "/attachments/{pk}",
    response={200: schemas.AttachmentOut, **DETAIL_ERRORS},
    url_name="attachment",
)
def attachment_detail(request: HttpRequest, pk: int) -> Any:
    user = _user(request)
    row = _one(selectors.attachments(user), pk)
    if not attachment_visible(user, row):
        raise HttpError(404, "Not found")
    return show.attachment(row)


# --- written rounds ------------------------------------------------------------------------------


@router.get(
    "/written-rounds",
    response={200: schemas.WrittenRoundPage, **ERRORS},
    url_name="written_rounds",
)
def written_round_list(
    request: HttpRequest,
    limit: int = LIMIT,
    offset: int = OFFSET,
    body: int | None = BODY,
    date_from: datetime.date | None = FROM,
    date_to: datetime.date | None = TO,
    modified_since: datetime.datetime | None = SINCE,
) -> Any:
    """Written rounds (skriftlig høring) the reader may see: their outcome only (`from`/`to`:
    the decision date)."""
    rows = selectors.written_rounds(
        _user(request),
        body=body,
        date_from=date_from,
        date_to=date_to,
        modified_since=aware(modified_since),
    )
    return page(
        request,
        rows,
        limit=limit,
        offset=offset,
        show=lambda rs: [show.written_round(r) for r in rs],
    )


@router.get(
    "/written-rounds/{pk}",
    response={200: schemas.WrittenRoundOut, **DETAIL_ERRORS},
    url_name="written_round",
)
def written_round_detail(request: HttpRequest, pk: int) -> Any:
    return show.written_round(_one(selectors.written_rounds(_user(request)), pk))


# --- offers, capacity and tariffs ----------------------------------------------------------------

OFFER_COLUMNS = [
    "pk",
    "name",
    "tilbudsportalen_id",
    "operator_name",
    "location_name",
    "address",
    "postal_code",
    "city",
    "area",
    "offer_type",
    "coverage",
    "is_covered",
    "steering_category",
    "status",
    "legal_bases",
    "target_groups",
    "web",
    "modified",
]


@router.get(
    "/offers",
    response={200: schemas.OfferPage, **ERRORS},
    url_name="offers",
    openapi_extra=CSV_RESPONSE,
)
def offer_list(
    request: HttpRequest,
    limit: int = LIMIT,
    offset: int = OFFSET,
    output: Format = FORMAT,
    municipality: int | None = Query(
        None, ge=1, le=MAX_ID, description="Operated by or located in this municipality (pk)."
    ),
    region: int | None = Query(None, ge=1, le=MAX_ID, description="Operated by this region."),
    status: str | None = Query(None, max_length=20),
    modified_since: datetime.datetime | None = SINCE,
) -> Any:
    """Offers (tilbud) covered by the framework agreement, with their public (confirmed)
    lifecycle events."""
    user = _user(request)
    rows = selectors.offers(
        user,
        municipality=municipality,
        region=region,
        status=status,
        modified_since=aware(modified_since),
    )
    if output == "csv":
        return _csv("tilbud.csv", OFFER_COLUMNS, [show.offer(r, user) for r in rows])
    return page(
        request, rows, limit=limit, offset=offset, show=lambda rs: [show.offer(r, user) for r in rs]
    )


@router.get("/offers/{pk}", response={200: schemas.OfferOut, **DETAIL_ERRORS}, url_name="offer")
def offer_detail(request: HttpRequest, pk: int) -> Any:
    user = _user(request)
    return show.offer(_one(selectors.offers(user), pk), user)


CAPACITY_COLUMNS = [
    "pk",
    "offer_name",
    "kind",
    "legal_basis",
    "valid_from",
    "valid_to",
    "places",
    "offer",
]


@router.get(
    "/capacities",
    response={200: schemas.CapacityPage, **ERRORS},
    url_name="capacities",
    openapi_extra=CSV_RESPONSE,
)
def capacity_list(
    request: HttpRequest,
    limit: int = LIMIT,
    offset: int = OFFSET,
    output: Format = FORMAT,
    offer: int | None = PK,
    municipality: int | None = PK,
    date_from: datetime.date | None = FROM,
    date_to: datetime.date | None = TO,
    modified_since: datetime.datetime | None = SINCE,
) -> Any:
    """Capacity history (places from a date), per offer with `offer=`. `from`/`to` keep the rows
    in force at some time in the range."""
    rows = selectors.capacities(
        _user(request),
        offer=offer,
        municipality=municipality,
        date_from=date_from,
        date_to=date_to,
        modified_since=aware(modified_since),
    )
    if output == "csv":
        return _csv("kapacitet.csv", CAPACITY_COLUMNS, [show.capacity(r) for r in rows])
    return page(
        request, rows, limit=limit, offset=offset, show=lambda rs: [show.capacity(r) for r in rs]
    )


@router.get(
    "/capacities/{pk}",
    response={200: schemas.CapacityOut, **DETAIL_ERRORS},
    url_name="capacity",
)
def capacity_detail(request: HttpRequest, pk: int) -> Any:
    return show.capacity(_one(selectors.capacities(_user(request)), pk))


TARIFF_COLUMNS = [
    "sheet",
    "offer_name",
    "year",
    "version",
    "state",
    "service",
    "label",
    "unit",
    "amount",
    "places",
    "days",
    "occupancy_percent",
]


@router.get(
    "/tariffs",
    response={200: schemas.TariffSheetPage, **ERRORS},
    url_name="tariff_sheets",
    openapi_extra=CSV_RESPONSE,
)
def tariff_list(
    request: HttpRequest,
    limit: int = LIMIT,
    offset: int = OFFSET,
    output: Format = FORMAT,
    year: int | None = Query(None, ge=1900, le=2999),
    offer: int | None = PK,
    municipality: int | None = PK,
    modified_since: datetime.datetime | None = SINCE,
) -> Any:
    """Tariff sheets (takstblade) with their lines: published ones for the public. CSV has one
    row per line."""
    rows = selectors.tariff_sheets(
        _user(request),
        year=year,
        offer=offer,
        municipality=municipality,
        modified_since=aware(modified_since),
    )
    if output == "csv":
        lines = [
            {"sheet": sheet["pk"], **{k: sheet[k] for k in TARIFF_COLUMNS[1:5]}, **line}
            for sheet in (show.tariff_sheet(r) for r in rows)
            for line in sheet["lines"]
        ]
        return _csv("takster.csv", TARIFF_COLUMNS, lines)
    return page(
        request,
        rows,
        limit=limit,
        offset=offset,
        show=lambda rs: [show.tariff_sheet(r) for r in rs],
    )


@router.get(
    "/tariffs/{pk}",
    response={200: schemas.TariffSheetOut, **DETAIL_ERRORS},
    url_name="tariff_sheet",
)
def tariff_detail(request: HttpRequest, pk: int) -> Any:
    return show.tariff_sheet(_one(selectors.tariff_sheets(_user(request)), pk))
