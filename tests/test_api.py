"""The open data API: its contract (the schema validates, every endpoint answers by it, a
property-based run finds no server error) and its permissions, told from the outsider's side."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from api.models import ApiToken
from api.services import token_create, token_hash, token_revoke
from meetings.models import MeetingState
from offers.models import Capacity, EventKind, EventState
from rounds.models import RoundState, WrittenRound
from tariffs.models import SheetState
from tests.conftest import World
from tests.factories import BodyFactory, MembershipFactory, PersonFactory
from tests.meeting_factories import AgendaItemFactory, AttachmentFactory, MeetingFactory
from tests.offer_factories import CapacityFactory, LifecycleEventFactory, OfferFactory
from tests.round_factories import WrittenRoundFactory
from tests.tariff_factories import TariffSheetFactory

API = "/api/v1"
CLOSED_MARKER = "LUKKET-MARKOER-91x"
DRAFT_MARKER = "KLADDE-MARKOER-37q"
HIDDEN_BODY_MARKER = "SKJULT-ORGAN-MARKOER"
UNPUBLISHED_TARIFF_MARKER = "UPUBLICERET-TAKST-MARKOER"
ROUND_MARKER = "HOERINGSSVAR-MARKOER"
PLANTED_EMAIL = "hemmelig.adresse@kommune.example.dk"
PLANTED_PHONE = "+45 99 88 77 66"
LISTS = [
    "regions",
    "municipalities",
    "bodies",
    "memberships",
    "meetings",
    "agenda-items",
    "attachments",
    "written-rounds",
    "offers",
    "capacities",
    "tariffs",
]
CSV_LISTS = ["memberships", "meetings", "offers", "capacities", "tariffs"]


@dataclass
class Record:
    world: World
    meeting: Any
    open_item: Any
    closed_item: Any
    closed_sub_item: Any
    closed_attachment: Any
    draft_meeting: Any
    published_sheet: Any
    draft_sheet: Any


@pytest.fixture(autouse=True)
def _fresh_rate_window(settings: Any) -> None:
    """Every test starts with an empty window and a limit it will not reach by accident."""
    cache.clear()
    settings.API_ANON_RATE = "100000/min"


@pytest.fixture
def record(world: World) -> Record:
    meeting = MeetingFactory(
        body=world.body_a,
        title="Møde i FU",
        state=MeetingState.MINUTES_PUBLISHED,
        starts_at=datetime.datetime(2025, 3, 4, 10, tzinfo=datetime.UTC),
    )
    open_item = AgendaItemFactory(meeting=meeting, order=1, title="Kapacitet på botilbud")
    AttachmentFactory(item=open_item, original_name="kapacitet.pdf")
    closed_item = AgendaItemFactory(
        meeting=meeting,
        order=2,
        is_closed=True,
        title=f"Personsag {CLOSED_MARKER}",
        case_text=f"<p>{CLOSED_MARKER} sagsfremstilling</p>",
        recommendation=f"<p>{CLOSED_MARKER} indstilling</p>",
        minutes=f"<p>{CLOSED_MARKER} referat</p>",
        presenter=f"Formand {CLOSED_MARKER}",
    )
    closed_sub_item = AgendaItemFactory(
        meeting=meeting, parent=closed_item, order=1, number="2.a", title=f"Under {CLOSED_MARKER}"
    )
    closed_attachment = AttachmentFactory(item=closed_item, original_name=f"{CLOSED_MARKER}.pdf")
    draft_meeting = MeetingFactory(body=world.body_a, title=f"Kladde {DRAFT_MARKER}")
    AgendaItemFactory(meeting=draft_meeting, order=1, title=f"Punkt {DRAFT_MARKER}")
    hidden = BodyFactory(name=f"Organ {HIDDEN_BODY_MARKER}", is_public=False)
    MeetingFactory(body=hidden, title=HIDDEN_BODY_MARKER, state=MeetingState.AGENDA_PUBLISHED)
    person = PersonFactory(name="Synlig Person", email=PLANTED_EMAIL, phone=PLANTED_PHONE)
    MembershipFactory(person=person, body=world.body_a)

    offer = OfferFactory(operator_municipality=world.municipality, name="Botilbud Skovly")
    CapacityFactory(offer=offer, places=12)
    LifecycleEventFactory(offer=offer, kind=EventKind.CAPACITY, state=EventState.PROPOSED)
    OfferFactory(name="Ikke omfattet IKKE-OMFATTET-MARKOER", is_covered=False)
    published = TariffSheetFactory(offer=offer, year=2025, state=SheetState.PUBLISHED, lines=2)
    draft = TariffSheetFactory(
        offer=offer, year=2026, state=SheetState.DRAFT, lines=[{"label": UNPUBLISHED_TARIFF_MARKER}]
    )
    WrittenRoundFactory(
        body=world.body_a,
        state=RoundState.APPROVED,
        decided_on=datetime.date(2025, 2, 1),
        resolved_at=datetime.datetime(2025, 2, 1, 12, tzinfo=datetime.UTC),
        resolution="Godkendt uden indsigelser.",
        proposal=f"<p>{ROUND_MARKER}</p>",
    )
    WrittenRoundFactory(body=world.body_a, title=f"Åben {ROUND_MARKER}")
    return Record(
        world,
        meeting,
        open_item,
        closed_item,
        closed_sub_item,
        closed_attachment,
        draft_meeting,
        published,
        draft,
    )


def _bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _everything(client: Client, **headers: str) -> str:
    """Every list (JSON, all pages, and CSV) and every detail the lists link to, as one text."""
    texts: list[str] = []
    for name in LISTS:
        url: str | None = f"{API}/{name}?limit=100"
        while url:
            response = client.get(url, **headers)  # type: ignore[arg-type]
            assert response.status_code == 200, (url, response.content)
            texts.append(response.content.decode())
            data = response.json()
            for row in data["results"]:
                detail = client.get(row["id"], **headers)  # type: ignore[arg-type]
                assert detail.status_code == 200, row["id"]
                texts.append(detail.content.decode())
            url = data["next"]
    for name in CSV_LISTS:
        response = client.get(f"{API}/{name}?format=csv", **headers)  # type: ignore[arg-type]
        assert response.status_code == 200
        texts.append(response.content.decode("utf-8-sig"))
    return "\n".join(texts)


# --- the contract --------------------------------------------------------------------------------


def test_schema_is_a_valid_openapi_document(db: Any, client: Client) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Rammeaftaleportalen API"
    schema = schemathesis.openapi.from_dict(document)
    schema.validate()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 2 * len(LISTS)
    for name in CSV_LISTS:
        content = document["paths"][f"{API}/{name}"]["get"]["responses"]["200"]["content"]
        assert "text/csv" in content


def test_docs_page_is_served_without_a_cdn(db: Any, client: Client) -> None:
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn." not in page and "unpkg" not in page


@pytest.fixture
def wsgi_schema(record: Record) -> Iterator[Any]:
    """The schema, called through Django's WSGI application in this test's transaction (as
    Django's test client does, the connection must outlive each request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(f"{API}/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_endpoint_answers_anonymous_by_the_schema(record: Record, wsgi_schema: Any) -> None:
    schema = wsgi_schema
    some_pk = {
        "regions": record.world.body_a.region_id,
        "municipalities": record.world.municipality.pk,
        "bodies": record.world.body_a.pk,
        "memberships": record.world.body_a.memberships.first().pk,  # type: ignore[union-attr]
        "meetings": record.meeting.pk,
        "agenda-items": record.closed_item.pk,
        "attachments": record.open_item.attachments.first().pk,
        "written-rounds": WrittenRound.objects.get(state=RoundState.APPROVED).pk,
        "offers": record.published_sheet.offer_id,
        "capacities": Capacity.objects.get(offer=record.published_sheet.offer).pk,
        "tariffs": record.published_sheet.pk,
    }
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        name = operation.path.removeprefix(f"{API}/").split("/")[0]
        if "{pk}" in operation.path:
            case = operation.Case(path_parameters={"pk": some_pk[name]})
        else:
            case = operation.Case()
        response = case.call()
        assert response.status_code == 200, (operation.path, response.text)
        case.validate_response(response)
        if "{pk}" not in operation.path:
            assert response.json()["count"] >= 1, operation.path
        checked += 1
    assert checked == 2 * len(LISTS)


def test_property_based_run_finds_no_server_error(wsgi_schema: Any) -> None:
    schema = wsgi_schema
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        run()


# --- permissions ---------------------------------------------------------------------------------


def test_outsider_never_sees_closed_items_drafts_or_hidden_bodies(
    record: Record, client: Client
) -> None:
    everything = _everything(client)
    for marker in (
        CLOSED_MARKER,
        DRAFT_MARKER,
        HIDDEN_BODY_MARKER,
        UNPUBLISHED_TARIFF_MARKER,
        ROUND_MARKER,
        "IKKE-OMFATTET-MARKOER",
    ):
        assert marker not in everything, marker


def test_outsider_sees_a_closed_item_as_its_number_and_lukket_punkt(
    record: Record, client: Client
) -> None:
    shown = client.get(f"{API}/agenda-items/{record.closed_item.pk}").json()
    assert shown["redacted"] is True
    assert shown["title"] == "Lukket punkt"
    assert shown["number"] == record.closed_item.number
    assert shown["case_text"] is None and shown["minutes"] is None and shown["attachments"] == []
    sub = client.get(f"{API}/agenda-items/{record.closed_sub_item.pk}").json()
    assert sub["redacted"] is True
    agenda = client.get(f"{API}/meetings/{record.meeting.pk}").json()["agenda"]
    assert [item["title"] for item in agenda][1:] == ["Lukket punkt", "Lukket punkt"]
    assert client.get(f"{API}/attachments/{record.closed_attachment.pk}").status_code == 404
    assert client.get(f"{API}/meetings/{record.draft_meeting.pk}").status_code == 404


def test_secretariat_token_sees_closed_items_and_drafts(record: Record, client: Client) -> None:
    _token, raw = token_create(user=record.world.staff)
    everything = _everything(client, **_bearer(raw))
    assert CLOSED_MARKER in everything
    assert DRAFT_MARKER in everything
    assert UNPUBLISHED_TARIFF_MARKER in everything
    shown = client.get(f"{API}/agenda-items/{record.closed_item.pk}", **_bearer(raw)).json()
    assert shown["redacted"] is False and CLOSED_MARKER in shown["case_text"]


def test_member_token_reads_own_bodys_closed_item(record: Record, client: Client) -> None:
    _token, raw = token_create(user=record.world.member_a)
    shown = client.get(f"{API}/agenda-items/{record.closed_item.pk}", **_bearer(raw)).json()
    assert shown["redacted"] is False
    _token, raw_b = token_create(user=record.world.member_b)
    shown = client.get(f"{API}/agenda-items/{record.closed_item.pk}", **_bearer(raw_b)).json()
    assert shown["redacted"] is True


def test_memberships_never_contain_email_or_phone(record: Record, client: Client) -> None:
    _token, raw = token_create(user=record.world.staff)
    for headers in ({}, _bearer(raw)):
        listed = client.get(f"{API}/memberships?limit=100", **headers)  # type: ignore[arg-type]
        csv = client.get(f"{API}/memberships?format=csv", **headers)  # type: ignore[arg-type]
        for text in (listed.content.decode(), csv.content.decode("utf-8-sig")):
            assert "Synlig Person" in text
            assert PLANTED_EMAIL not in text and PLANTED_PHONE not in text
            assert "@" not in text


def test_unpublished_tariffs_are_never_shown_to_the_public(record: Record, client: Client) -> None:
    listed = client.get(f"{API}/tariffs").json()
    assert [row["pk"] for row in listed["results"]] == [record.published_sheet.pk]
    assert client.get(f"{API}/tariffs/{record.draft_sheet.pk}").status_code == 404
    assert client.get(f"{API}/tariffs?year=2026").json()["count"] == 0


def test_rounds_show_only_their_outcome(record: Record, client: Client) -> None:
    rows = client.get(f"{API}/written-rounds").json()["results"]
    assert len(rows) == 1
    assert set(rows[0]) == {
        "id",
        "pk",
        "type",
        "title",
        "body",
        "state",
        "decided_on",
        "resolution",
        "web",
    }


def test_offers_show_confirmed_events_only_to_the_public(record: Record, client: Client) -> None:
    offer = client.get(f"{API}/offers/{record.published_sheet.offer_id}").json()
    assert offer["events"] == []
    _token, raw = token_create(user=record.world.staff)
    offer = client.get(f"{API}/offers/{record.published_sheet.offer_id}", **_bearer(raw)).json()
    assert [event["state"] for event in offer["events"]] == [EventState.PROPOSED]


def test_csv_neutralises_spreadsheet_formulas(record: Record, client: Client) -> None:
    OfferFactory(name='=HYPERLINK("http://evil")')
    text = client.get(f"{API}/offers?format=csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ";=HYPERLINK" not in text


# --- pagination, filters, tokens and rate limits -------------------------------------------------


def test_pages_neither_overlap_nor_change_order(record: Record, client: Client) -> None:
    for n in range(5):
        MeetingFactory(
            body=record.world.body_a,
            title=f"Møde {n}",
            state=MeetingState.AGENDA_PUBLISHED,
        )
    first = client.get(f"{API}/meetings?limit=3").json()
    second = client.get(first["next"]).json()
    assert first["count"] == second["count"] == 6
    first_ids = [row["pk"] for row in first["results"]]
    second_ids = [row["pk"] for row in second["results"]]
    assert not set(first_ids) & set(second_ids)
    assert first_ids + second_ids == sorted(first_ids + second_ids)
    assert [row["pk"] for row in client.get(f"{API}/meetings?limit=3").json()["results"]] == (
        first_ids
    )
    assert second["previous"] is not None and second["next"] is None


def test_filters_by_body_dates_and_modified_since(record: Record, client: Client) -> None:
    body = record.world.body_a.pk
    assert client.get(f"{API}/meetings?body={body}").json()["count"] == 1
    assert client.get(f"{API}/meetings?body={record.world.body_b.pk}").json()["count"] == 0
    assert client.get(f"{API}/meetings?from=2025-03-04&to=2025-03-04").json()["count"] == 1
    assert client.get(f"{API}/meetings?from=2025-03-05").json()["count"] == 0
    assert client.get(f"{API}/meetings?modified_since=2100-01-01T00:00:00Z").json()["count"] == 0
    assert client.get(f"{API}/meetings?modified_since=2000-01-01T00:00:00").json()["count"] == 1
    municipality = record.world.municipality.pk
    assert client.get(f"{API}/offers?municipality={municipality}").json()["count"] == 1
    assert client.get(f"{API}/tariffs?year=2025").json()["count"] == 1


def test_revoked_or_unknown_token_is_refused(record: Record, client: Client) -> None:
    token, raw = token_create(user=record.world.staff)
    assert client.get(f"{API}/meetings", **_bearer(raw)).status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None
    token_revoke(token=token)
    assert client.get(f"{API}/meetings", **_bearer(raw)).status_code == 401
    assert client.get(f"{API}/meetings", **_bearer("nonsense")).status_code == 401


def test_anonymous_clients_are_rate_limited(record: Record, client: Client, settings: Any) -> None:
    settings.API_ANON_RATE = "3/min"
    for _ in range(3):
        assert client.get(f"{API}/regions").status_code == 200
    refused = client.get(f"{API}/regions")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another address has its own window; a token is not limited.
    assert client.get(f"{API}/regions", REMOTE_ADDR="10.0.0.2").status_code == 200
    _token, raw = token_create(user=record.world.staff)
    assert client.get(f"{API}/regions", **_bearer(raw)).status_code == 200


def test_api_token_command_prints_the_token_once_and_stores_its_hash(world: World) -> None:
    out = StringIO()
    call_command("api_token", world.staff.email, stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=world.staff)
    assert token.key_hash == token_hash(raw) and raw not in token.key_hash


def test_openapi_document_is_json_serialisable(db: Any, client: Client) -> None:
    json.dumps(client.get(f"{API}/openapi.json").json())


def _grow(world: World, times: int) -> None:
    """More of everything a list shows: meetings with open and closed items that follow up
    earlier items, attachments, offers with capacity."""
    for n in range(times):
        meeting = MeetingFactory(
            body=world.body_a,
            state=MeetingState.MINUTES_PUBLISHED,
            starts_at=datetime.datetime(2025, 1, 1, 10, tzinfo=datetime.UTC)
            + datetime.timedelta(days=n),
        )
        first = AgendaItemFactory(meeting=meeting, order=1)
        AgendaItemFactory(meeting=meeting, order=2, is_closed=True, follows_up=first)
        AttachmentFactory(item=first)
        offer = OfferFactory(operator_municipality=world.municipality)
        CapacityFactory(offer=offer)


@pytest.mark.parametrize(
    "path", ["/api/v1/meetings", "/api/v1/agenda-items", "/api/v1/attachments", "/api/v1/offers"]
)
def test_lists_run_a_fixed_number_of_queries(world: World, client: Client, path: str) -> None:
    """A page of 50 costs the same queries as a page of 5."""
    _grow(world, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(path, {"limit": 50}).status_code == 200
    _grow(world, 20)
    with CaptureQueriesContext(connection) as many:
        assert client.get(path, {"limit": 50}).status_code == 200
    assert len(many) == len(few)
