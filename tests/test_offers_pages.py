"""The public pages of the offer registry, told from each persona's side: the list with its
filters, sorting, summary and exports; an offer's page with its capacity and events; the
offers on a municipality's page; and the secretariat's early warning. Uncovered offers and
proposed events stay with those who may see them, and a closed agenda item's title never
reaches an outsider through an offer's page."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings.models import MeetingState
from offers.models import (
    Area,
    CapacityKind,
    EventKind,
    EventState,
    Law,
    Offer,
    OfferStatus,
)
from rounds.models import RoundState
from tests.conftest import World
from tests.factories import BodyFactory, MunicipalityFactory, RegionFactory
from tests.meeting_factories import AgendaItemFactory, MeetingFactory
from tests.offer_factories import (
    CapacityFactory,
    LegalBasisFactory,
    LifecycleEventFactory,
    OfferFactory,
    TargetGroupFactory,
)
from tests.round_factories import WrittenRoundFactory

MARKER = "HEMMELIG-7f3a"
INDEX = reverse("offers:index")
CSV_URL = reverse("offers:export_csv")
XLSX_URL = reverse("offers:export_xlsx")
EARLY_WARNING = reverse("offers:early_warning")


def _today() -> datetime.date:
    return timezone.localdate()


def _client(world: World, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    return client


def _approved_round(body: Any, **kwargs: Any) -> Any:
    """A round approved by silence a week ago."""
    resolved = timezone.now() - datetime.timedelta(days=7)
    return WrittenRoundFactory(
        body=body,
        state=RoundState.APPROVED,
        deadline=resolved,
        sent_at=resolved - datetime.timedelta(days=14),
        resolved_at=resolved,
        decided_on=timezone.localdate(resolved),
        **kwargs,
    )


def _names(response: Any) -> list[str]:
    """The offers in the list, in order."""
    return [row.offer.name for row in response.context["listing"].page.object_list]


def _csv(response: Any) -> list[list[str]]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff")), delimiter=";"))


def _xlsx(response: Any) -> Any:
    return openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]


def _xlsx_names(response: Any) -> list[str]:
    sheet = _xlsx(response)
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


# --- who sees which offers ------------------------------------------------------------------------


@pytest.fixture
def coverage(world: World) -> dict[str, Offer]:
    """A covered offer, an uncovered one of the editor's municipality (Viborg) and an uncovered
    one of another municipality (Aarhus)."""
    return {
        "covered": OfferFactory(name="Dækket Bosted", operator_municipality=world.municipality),
        "own": OfferFactory(
            name="Viborgs Eget Bosted", operator_municipality=world.municipality, is_covered=False
        ),
        "other": OfferFactory(
            name="Aarhus Egne Bosted",
            operator_municipality=world.other_municipality,
            is_covered=False,
        ),
    }


SEES = {
    "anonymous": {"covered"},
    "member_a": {"covered"},
    "member_b": {"covered"},
    "editor": {"covered", "own"},
    "staff": {"covered", "own", "other"},
}


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_persona_sees_the_offers_they_may_in_list_page_and_exports(
    world: World, coverage: dict[str, Offer], who: str
) -> None:
    client = _client(world, who)
    expected = {coverage[key].name for key in SEES[who]}

    assert set(_names(client.get(INDEX))) == expected
    assert {row[0] for row in _csv(client.get(CSV_URL))[1:]} == expected
    assert set(_xlsx_names(client.get(XLSX_URL))) == expected
    for key, offer in coverage.items():
        response = client.get(offer.get_absolute_url())
        assert response.status_code == (200 if key in SEES[who] else 404), key


def test_editor_never_finds_another_municipalitys_uncovered_offer(
    world: World, coverage: dict[str, Offer]
) -> None:
    client = _client(world, "editor")
    other = coverage["other"]
    for url in (
        INDEX,
        INDEX + "?omfattet=nej",
        INDEX + f"?soeg={other.tilbudsportalen_id}",
        CSV_URL + "?omfattet=nej",
        XLSX_URL + "?omfattet=nej",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert other.name.encode() not in response.content, url
    assert client.get(other.get_absolute_url()).status_code == 404
    # The own uncovered offer is there, marked as not covered.
    response = client.get(INDEX + "?omfattet=nej")
    assert _names(response) == ["Viborgs Eget Bosted"]
    assert "Ikke omfattet" in response.content.decode()


# --- filters, sorting, summary ------------------------------------------------------------------


@pytest.fixture
def registry(world: World) -> dict[str, Any]:
    """Three covered offers and one uncovered, differing in every filtered field."""
    sel108 = LegalBasisFactory(law=Law.SEL, paragraph="108")
    bl43 = LegalBasisFactory(law=Law.BARNETS_LOV, paragraph="43, stk. 3")
    abl105 = LegalBasisFactory(law=Law.ALMENBOLIG, paragraph="105")
    autism = TargetGroupFactory(name="Autisme")
    disability = TargetGroupFactory(name="Udviklingshæmning")
    region = RegionFactory()
    alfa = OfferFactory(
        name="Alfa Bosted",
        tilbudsportalen_id="111111",
        operator_municipality=world.municipality,
        location=world.municipality,
        address="Egevej 1",
        area=Area.ADULTS,
        legal_bases=[sel108, abl105],
        target_groups=[disability],
        description="Bosted med fokus på beskæftigelse.",
        places=12,
    )
    beta = OfferFactory(
        name="Beta Børnehjem",
        tilbudsportalen_id="222222",
        operator_municipality=None,
        operator_region=region,
        location=world.other_municipality,
        address="Bøgevej 2",
        area=Area.CHILDREN,
        legal_bases=[bl43],
        target_groups=[autism],
        status=OfferStatus.PLANNED,
        description="Specialiseret børnehjem.",
        places=5,
    )
    gamma = OfferFactory(
        name="Gamma Dagtilbud",
        tilbudsportalen_id="333333",
        operator_municipality=world.other_municipality,
        address="Lindevej 3",
        area=Area.ADULTS,
        legal_bases=[sel108],
        target_groups=[autism, disability],
        status=OfferStatus.CLOSING,
        description="Dagtilbud med værksted.",
        places=20,
    )
    delta = OfferFactory(
        name="Delta Udslusning",
        tilbudsportalen_id="444444",
        operator_municipality=world.other_municipality,
        area=Area.SPECIAL_EDUCATION,
        legal_bases=[sel108],
        is_covered=False,
        places=3,
    )
    return {
        "alfa": alfa,
        "beta": beta,
        "gamma": gamma,
        "delta": delta,
        "sel108": sel108,
        "bl43": bl43,
        "autism": autism,
        "region": region,
    }


def test_each_filter_narrows_the_list(
    world: World, registry: dict[str, Any], staff_client: Client
) -> None:
    cases = {
        "driftsherre=k-791": ["Alfa Bosted"],
        "driftsherre=k-751": ["Delta Udslusning", "Gamma Dagtilbud"],
        f"driftsherre=r-{registry['region'].code}": ["Beta Børnehjem"],
        "beliggenhed=751": ["Beta Børnehjem", "Delta Udslusning", "Gamma Dagtilbud"],
        "omraade=boern": ["Beta Børnehjem"],
        "omraade=specialundervisning": ["Delta Udslusning"],
        f"lovgrundlag={registry['bl43'].pk}": ["Beta Børnehjem"],
        f"lovgrundlag={registry['sel108'].pk}": [
            "Alfa Bosted",
            "Delta Udslusning",
            "Gamma Dagtilbud",
        ],
        f"maalgruppe={registry['autism'].pk}": ["Beta Børnehjem", "Gamma Dagtilbud"],
        "status=planlagt": ["Beta Børnehjem"],
        "status=lukker": ["Gamma Dagtilbud"],
        "omfattet=ja": ["Alfa Bosted", "Beta Børnehjem", "Gamma Dagtilbud"],
        "omfattet=nej": ["Delta Udslusning"],
        "soeg=gamma": ["Gamma Dagtilbud"],
        "soeg=bøgevej": ["Beta Børnehjem"],
        "soeg=333333": ["Gamma Dagtilbud"],
        "soeg=beskæftigelse": ["Alfa Bosted"],
        "omraade=voksne&maalgruppe=" + str(registry["autism"].pk): ["Gamma Dagtilbud"],
    }
    assert len(_names(staff_client.get(INDEX))) == 4
    for query, expected in cases.items():
        response = staff_client.get(f"{INDEX}?{query}")
        assert response.status_code == 200
        assert _names(response) == expected, query
        assert response.context["listing"].is_filtered


def test_filtered_list_is_bookmarkable_and_exports_follow_it(
    world: World, registry: dict[str, Any], anonymous_client: Client
) -> None:
    query = "omraade=voksne&sortering=-pladser"
    response = anonymous_client.get(f"{INDEX}?{query}")
    html = response.content.decode()

    assert _names(response) == ["Gamma Dagtilbud", "Alfa Bosted"]
    assert '<option value="voksne" selected>' in html
    # The export links and the sort links carry the filters; the filter form keeps the sort.
    assert f'href="{CSV_URL}?omraade=voksne&amp;sortering=-pladser"' in html
    assert f'href="{XLSX_URL}?omraade=voksne&amp;sortering=-pladser"' in html
    assert 'href="?omraade=voksne&amp;sortering=navn#offers-heading"' in html
    assert 'name="sortering" value="-pladser"' in html
    rows = _csv(anonymous_client.get(f"{CSV_URL}?{query}"))
    assert [row[0] for row in rows[1:]] == ["Gamma Dagtilbud", "Alfa Bosted"]


def test_filter_choices_offer_only_what_the_reader_may_see(
    world: World, registry: dict[str, Any], anonymous_client: Client, staff_client: Client
) -> None:
    # Aarhus operates only the uncovered Delta besides Gamma; Gamma is covered, so Aarhus is
    # offered to the public too. A municipality with nothing visible is not.
    hidden = MunicipalityFactory(code="740", name="Silkeborg Kommune")
    OfferFactory(name="Skjult", operator_municipality=hidden, is_covered=False)
    public = anonymous_client.get(INDEX).content.decode()
    staff = staff_client.get(INDEX).content.decode()
    assert 'value="k-751"' in public
    assert 'value="k-740"' not in public
    assert 'value="k-740"' in staff
    assert '<optgroup label="Region">' in public


@pytest.mark.parametrize(
    ("sort", "expected", "aria"),
    [
        ("pladser", ["Beta Børnehjem", "Alfa Bosted", "Gamma Dagtilbud"], "ascending"),
        ("-pladser", ["Gamma Dagtilbud", "Alfa Bosted", "Beta Børnehjem"], "descending"),
        ("-navn", ["Gamma Dagtilbud", "Beta Børnehjem", "Alfa Bosted"], "descending"),
        ("status", ["Beta Børnehjem", "Alfa Bosted", "Gamma Dagtilbud"], "ascending"),
        ("noget-andet", ["Alfa Bosted", "Beta Børnehjem", "Gamma Dagtilbud"], "ascending"),
    ],
)
def test_list_sorts_by_column_with_aria_sort(
    world: World,
    registry: dict[str, Any],
    anonymous_client: Client,
    sort: str,
    expected: list[str],
    aria: str,
) -> None:
    response = anonymous_client.get(f"{INDEX}?sortering={sort}")
    html = response.content.decode()
    assert _names(response) == expected
    assert html.count("aria-sort=") == 1
    assert f'aria-sort="{aria}"' in html


def test_sorting_by_places_uses_todays_places(
    world: World, registry: dict[str, Any], anonymous_client: Client
) -> None:
    # Beta grows to 30 places from yesterday; Alfa to 50 only from tomorrow.
    today = _today()
    CapacityFactory(
        offer=registry["beta"], valid_from=today - datetime.timedelta(days=1), places=30
    )
    CapacityFactory(
        offer=registry["alfa"], valid_from=today + datetime.timedelta(days=1), places=50
    )
    response = anonymous_client.get(f"{INDEX}?sortering=-pladser")
    assert _names(response) == ["Beta Børnehjem", "Gamma Dagtilbud", "Alfa Bosted"]
    assert [row.places for row in response.context["listing"].page.object_list] == [30, 20, 12]


def test_summary_counts_places_per_area_and_operator(
    world: World, registry: dict[str, Any], anonymous_client: Client, staff_client: Client
) -> None:
    summary = anonymous_client.get(INDEX).context["listing"].summary
    assert (summary.offers, summary.places) == (3, 37)
    assert [(line.label, line.offers, line.places) for line in summary.by_area] == [
        ("Børn og unge", 1, 5),
        ("Voksne", 2, 32),
    ]
    # In Danish order: "Aa" is "Å", after Z.
    assert [(line.label, line.offers, line.places) for line in summary.by_operator] == [
        ("Region Midtjylland", 1, 5),
        ("Viborg Kommune", 1, 12),
        ("Aarhus Kommune", 1, 20),
    ]
    # The summary follows the filters, and the secretariat's includes the uncovered offer.
    summary = staff_client.get(INDEX + "?beliggenhed=751").context["listing"].summary
    assert (summary.offers, summary.places) == (3, 28)
    assert [(line.label, line.places) for line in summary.by_operator] == [
        ("Region Midtjylland", 5),
        ("Aarhus Kommune", 23),
    ]
    html = staff_client.get(INDEX).content.decode()
    assert "Pladser pr. område" in html
    assert "Pladser pr. driftsherre" in html


def test_list_is_paginated(world: World, anonymous_client: Client) -> None:
    for i in range(55):
        OfferFactory(name=f"Tilbud {i:02d}", operator_municipality=world.municipality, places=1)
    first = anonymous_client.get(INDEX)
    second = anonymous_client.get(INDEX + "?side=2")
    assert len(_names(first)) == 50
    assert _names(second) == [f"Tilbud {i:02d}" for i in range(50, 55)]
    # The summary and the exports are of the whole filtered set.
    assert first.context["listing"].summary.places == 55
    assert len(_csv(anonymous_client.get(CSV_URL))) == 56


# --- exports -------------------------------------------------------------------------------------


@pytest.fixture
def hostile(world: World) -> Offer:
    """An offer whose text fields would be formulas in a spreadsheet."""
    return OfferFactory(
        name='=HYPERLINK("http://example.com","Klik")',
        tilbudsportalen_id="555555",
        operator_municipality=world.municipality,
        address="@SUM(A1:A9)",
        city="+45 kalkule",
        steering_category="-2+3",
        postal_code="\t12",
        legal_bases=[LegalBasisFactory(law=Law.SEL, paragraph="107")],
        target_groups=[TargetGroupFactory(name="Sindslidelse")],
        places=7,
    )


def test_csv_export_is_for_danish_excel_and_neutralises_formulas(
    world: World, hostile: Offer, anonymous_client: Client
) -> None:
    response = anonymous_client.get(CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())
    header, row = _csv(response)
    record = dict(zip(header, row, strict=True))

    assert header[0] == "Navn"
    assert record["Navn"] == '\'=HYPERLINK("http://example.com","Klik")'
    assert record["Adresse"] == "'@SUM(A1:A9)"
    assert record["By"] == "'+45 kalkule"
    assert record["Kategori i styringsaftalen"] == "'-2+3"
    assert record["Postnummer"] == "'\t12"
    assert record["Tilbudsportalen-id"] == "555555"
    assert record["Driftsherre"] == "Viborg Kommune"
    assert record["Lovgrundlag"] == "SEL § 107"
    assert record["Målgrupper"] == "Sindslidelse"
    assert record["Omfattet af styringsaftalen"] == "Ja"
    assert record["Pladser gældende fra"] == "2024-01-01"
    places_column = next(name for name in header if name.startswith("Pladser pr."))
    assert record[places_column] == "7"
    # Contact details of people are not part of an offer, and not exported.
    assert "@kommune.example.dk" not in response.content.decode()


def test_xlsx_export_has_a_bold_frozen_header_real_dates_and_no_formulas(
    world: World, hostile: Offer, anonymous_client: Client
) -> None:
    response = anonymous_client.get(XLSX_URL)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = _xlsx(response)
    header = [cell.value for cell in sheet[1]]
    cells = {name: sheet.cell(row=2, column=i + 1) for i, name in enumerate(header)}

    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["A"].width >= 30
    assert cells["Navn"].value == '=HYPERLINK("http://example.com","Klik")'
    for name in ("Navn", "Adresse", "By", "Kategori i styringsaftalen", "Postnummer"):
        assert cells[name].data_type == "s", name
    assert cells["Pladser gældende fra"].value.date() == datetime.date(2024, 1, 1)
    assert cells["Pladser gældende fra"].is_date
    places_column = next(name for name in header if name.startswith("Pladser pr."))
    assert cells[places_column].value == 7
    assert sheet.max_row == 2


# --- an offer's page ----------------------------------------------------------------------------


def test_offer_page_shows_the_facts(world: World, anonymous_client: Client) -> None:
    offer = OfferFactory(
        name="Skovbrynet",
        tilbudsportalen_id="987654",
        operator_municipality=world.municipality,
        address="Skovbrynet 4",
        city="Viborg",
        steering_category="Højt specialiserede tilbud",
        legal_bases=[LegalBasisFactory(law=Law.SEL, paragraph="108")],
        target_groups=[TargetGroupFactory(name="Erhvervet hjerneskade")],
        description="Et botilbud ved skoven.",
        places=9,
    )
    html = anonymous_client.get(offer.get_absolute_url()).content.decode()
    for text in (
        "Skovbrynet 4",
        "987654",
        "Viborg Kommune",
        "Højt specialiserede tilbud",
        "SEL § 108",
        "Erhvervet hjerneskade",
        "Et botilbud ved skoven.",
        "Botilbud",
        "I drift",
    ):
        assert text in html, text
    # The tariffs section comes with the tariffs issue, not as a placeholder.
    assert "Takster</h2>" not in html


def test_capacity_today_follows_past_changes_but_not_future_ones(
    world: World, anonymous_client: Client
) -> None:
    today = _today()
    offer = OfferFactory(name="Kapacitet", operator_municipality=world.municipality, places=10)
    CapacityFactory(offer=offer, valid_from=today - datetime.timedelta(days=3), places=14)
    CapacityFactory(offer=offer, valid_from=today + datetime.timedelta(days=30), places=20)

    response = anonymous_client.get(offer.get_absolute_url())
    page = response.context["page"]
    html = response.content.decode()

    assert page.places == 14
    assert "14 pladser pr." in html
    assert [(p.places, p.is_future) for p in page.series] == [(10, False), (14, False), (20, True)]
    # The numbers behind the chart are a table that works without JavaScript.
    assert "data-capacity-chart" in html
    assert f'data-date="{(today + datetime.timedelta(days=30)).isoformat()}"' in html
    assert "Fremtidig ændring" in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert 'src="/static/js/capacity-chart.js" defer' in html
    # The list says the same.
    assert anonymous_client.get(INDEX).context["listing"].page.object_list[0].places == 14


def test_places_per_legal_basis_when_split(world: World, anonymous_client: Client) -> None:
    sel107 = LegalBasisFactory(law=Law.SEL, paragraph="107")
    sel108 = LegalBasisFactory(law=Law.SEL, paragraph="108")
    offer = OfferFactory(operator_municipality=world.municipality, legal_bases=[sel107, sel108])
    CapacityFactory(offer=offer, legal_basis=sel107, places=4)
    CapacityFactory(offer=offer, legal_basis=sel108, places=6)
    CapacityFactory(
        offer=offer,
        kind=CapacityKind.OVER_OCCUPANCY,
        valid_from=_today() - datetime.timedelta(days=1),
        valid_to=_today() + datetime.timedelta(days=1),
        places=2,
    )
    page = anonymous_client.get(offer.get_absolute_url()).context["page"]
    assert page.places == 12
    assert [(b.label, b.places) for b in page.places_by_basis] == [
        ("SEL § 107", 4),
        ("SEL § 108", 6),
    ]


def _event_offer(world: World) -> Offer:
    offer = OfferFactory(name="Hændelsesbo", operator_municipality=world.municipality, places=8)
    LifecycleEventFactory(
        offer=offer,
        state=EventState.CONFIRMED,
        justification="Bekræftet begrundelse",
        economic_consequences="Taksten falder 3 %",
    )
    LifecycleEventFactory(
        offer=offer, state=EventState.PROPOSED, justification="Forslag-begrundelse"
    )
    LifecycleEventFactory(
        offer=offer, state=EventState.REJECTED, justification="Afvist-begrundelse"
    )
    return offer


@pytest.mark.parametrize(
    ("who", "sees_proposals"),
    [
        ("anonymous", False),
        ("member_a", False),
        ("member_b", False),
        ("editor", True),
        ("staff", True),
    ],
)
def test_proposed_and_rejected_events_only_for_editors_and_secretariat(
    world: World, who: str, sees_proposals: bool
) -> None:
    offer = _event_offer(world)
    html = _client(world, who).get(offer.get_absolute_url()).content.decode()
    assert "Bekræftet begrundelse" in html
    assert "Taksten falder 3 %" in html
    assert ("Forslag-begrundelse" in html) is sees_proposals
    assert ("Afvist-begrundelse" in html) is sees_proposals


def test_editor_does_not_see_proposals_for_another_municipalitys_offer(world: World) -> None:
    offer = OfferFactory(operator_municipality=world.other_municipality)
    LifecycleEventFactory(offer=offer, state=EventState.PROPOSED, justification="Aarhus-forslag")
    html = _client(world, "editor").get(offer.get_absolute_url()).content.decode()
    assert "Aarhus-forslag" not in html


def test_late_announcement_is_flagged(world: World, anonymous_client: Client) -> None:
    offer = OfferFactory(operator_municipality=world.municipality)
    LifecycleEventFactory(offer=offer, state=EventState.CONFIRMED, announced_late=True)
    html = anonymous_client.get(offer.get_absolute_url()).content.decode()
    assert "Varslet for sent" in html


@pytest.fixture
def decided(world: World) -> dict[str, Any]:
    """An offer with confirmed events decided by a closed item of body A's published meeting
    (carrying the marker), an open item, an item of a draft meeting (the marker again), a
    closed round-free item of a non-public body, an approved public round and an open round."""
    offer = OfferFactory(name="Beslutningsbo", operator_municipality=world.municipality)
    published = MeetingFactory(
        body=world.body_a,
        state=MeetingState.MINUTES_PUBLISHED,
        starts_at=timezone.now() - datetime.timedelta(days=30),
    )
    closed = AgendaItemFactory(
        meeting=published, order=1, title=f"Lukning {MARKER}", is_closed=True
    )
    opened = AgendaItemFactory(meeting=published, order=2, title="Åben kapacitetssag")
    draft = AgendaItemFactory(
        meeting=MeetingFactory(body=world.body_a, state=MeetingState.DRAFT),
        title=f"Kladde {MARKER}",
    )
    secret_body = BodyFactory(name="Lukket Udvalg", slug="lukket", is_public=False)
    secret = AgendaItemFactory(
        meeting=MeetingFactory(body=secret_body, state=MeetingState.AGENDA_PUBLISHED),
        title=f"Ikke-offentligt organ {MARKER}",
    )
    approved = _approved_round(world.body_a, title="Godkendt høring om pladser")
    pending = WrittenRoundFactory(
        body=world.body_a, state=RoundState.OPEN, title=f"Igangværende høring {MARKER}"
    )
    confirmed = {"state": EventState.CONFIRMED, "offer": offer}
    events = {
        "closed": LifecycleEventFactory(decided_by_item=closed, **confirmed),
        "open": LifecycleEventFactory(decided_by_item=opened, **confirmed),
        "draft": LifecycleEventFactory(decided_by_item=draft, **confirmed),
        "secret": LifecycleEventFactory(decided_by_item=secret, **confirmed),
        "approved": LifecycleEventFactory(decided_by_round=approved, **confirmed),
        "pending": LifecycleEventFactory(decided_by_round=pending, **confirmed),
    }
    return {
        "offer": offer,
        "meeting": published,
        "closed_item": closed,
        "opened_item": opened,
        **events,
    }


@pytest.mark.parametrize("who", ["anonymous", "member_b", "editor"])
def test_closed_item_title_never_reaches_an_outsider_on_an_offer_page(
    world: World, decided: dict[str, Any], who: str
) -> None:
    html = _client(world, who).get(decided["offer"].get_absolute_url()).content.decode()
    meeting, closed = decided["meeting"], decided["closed_item"]

    assert MARKER not in html
    assert "Lukket punkt" in html
    # The closed item's permalink shows it redacted, so linking to it is safe.
    assert reverse("meetings:item", args=[meeting.pk, closed.pk]) in html
    assert "Åben kapacitetssag" in html
    assert "Godkendt høring om pladser" in html
    assert reverse("rounds:detail", args=[decided["approved"].decided_by_round_id]) in html
    assert "Igangværende høring" not in html


def test_member_of_the_body_reads_the_closed_items_title(
    world: World, decided: dict[str, Any], member_a_client: Client
) -> None:
    html = member_a_client.get(decided["offer"].get_absolute_url()).content.decode()
    assert f"Lukning {MARKER}" in html
    assert f"Igangværende høring {MARKER}" in html  # a member of the round's body
    assert f"Kladde {MARKER}" not in html
    assert f"Ikke-offentligt organ {MARKER}" not in html


def test_secretariat_reads_every_decision(
    world: World, decided: dict[str, Any], staff_client: Client
) -> None:
    html = staff_client.get(decided["offer"].get_absolute_url()).content.decode()
    for title in ("Lukning", "Kladde", "Ikke-offentligt organ", "Igangværende høring"):
        assert f"{title} {MARKER}" in html


def test_offer_page_never_shows_contact_details(world: World, member_a_client: Client) -> None:
    offer = OfferFactory(operator_municipality=world.municipality)
    html = member_a_client.get(offer.get_absolute_url()).content.decode()
    assert "@kommune.example.dk" not in html
    assert "+45 87" not in html


# --- a municipality's page ----------------------------------------------------------------------


def test_municipality_page_shows_offers_it_operates_and_capacity_by_area(
    world: World, registry: dict[str, Any], anonymous_client: Client, staff_client: Client
) -> None:
    url = reverse("organizations:municipality", args=["751"])
    public = anonymous_client.get(url).content.decode()
    staff = staff_client.get(url).content.decode()

    assert "Tilbud vi driver" in public
    assert "Kapacitet pr. område" in public
    assert "Gamma Dagtilbud" in public
    assert "Beta Børnehjem" not in public  # located in Aarhus, run by the region
    assert "Delta Udslusning" not in public  # not covered
    assert "Delta Udslusning" in staff
    assert "?driftsherre=k-751" in public
    section = next(
        ctx for name, ctx in anonymous_client.get(url).context["sections"] if "offers" in name
    )
    assert [(line.label, line.places) for line in section["by_area"]] == [("Voksne", 20)]
    section = next(
        ctx for name, ctx in staff_client.get(url).context["sections"] if "offers" in name
    )
    assert [(line.label, line.places) for line in section["by_area"]] == [
        ("Voksne", 20),
        ("Specialundervisning", 3),
    ]


# --- early warning -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member_a", "member_b", "editor"])
def test_early_warning_is_for_the_secretariat_only(world: World, who: str) -> None:
    assert _client(world, who).get(EARLY_WARNING).status_code == 403


def test_early_warning_asks_anonymous_to_log_in(anonymous_client: Client) -> None:
    response = anonymous_client.get(EARLY_WARNING)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_early_warning_lists_coming_changes_and_late_announcements(
    world: World, staff_client: Client
) -> None:
    today = _today()
    offer = OfferFactory(name="Varslingsbo", operator_municipality=world.municipality)

    def event(name: str, kind: str, days: int, **kwargs: Any) -> None:
        LifecycleEventFactory(
            offer=offer,
            kind=kind,
            effective_date=today + datetime.timedelta(days=days),
            justification=name,
            **kwargs,
        )

    event("closure-soon", EventKind.CLOSURE, 60, state=EventState.CONFIRMED)
    event("opening-proposed", EventKind.OPENING, 200, state=EventState.PROPOSED)
    event("operator-change", EventKind.OPERATOR, 300, state=EventState.CONFIRMED)
    event("too-far", EventKind.CLOSURE, 400, state=EventState.CONFIRMED)
    event("rejected", EventKind.CLOSURE, 30, state=EventState.REJECTED)
    event("capacity", EventKind.CAPACITY, 30, state=EventState.CONFIRMED)
    event("past", EventKind.CLOSURE, -30, state=EventState.CONFIRMED)
    event(
        "late-capacity", EventKind.CAPACITY, -100, state=EventState.CONFIRMED, announced_late=True
    )

    response = staff_client.get(EARLY_WARNING)
    warning = response.context["warning"]
    assert response.status_code == 200
    assert [(e.kind, e.effective_date) for e in warning.upcoming] == [
        (EventKind.CLOSURE, today + datetime.timedelta(days=60)),
        (EventKind.OPENING, today + datetime.timedelta(days=200)),
        (EventKind.OPERATOR, today + datetime.timedelta(days=300)),
    ]
    assert [(e.kind, e.announced_late) for e in warning.late] == [(EventKind.CAPACITY, True)]
    html = response.content.decode()
    assert "Varslingsbo" in html
    assert f'href="{offer.get_absolute_url()}#haendelse-' in html


# --- a fixed number of queries ------------------------------------------------------------------


def _build(world: World, factor: int) -> Offer:
    """3×factor offers (municipal and regional operators, covered and not, several legal bases
    and target groups, capacity histories) and one offer with 3×factor events decided by
    agenda items (open, closed, of draft meetings) and written rounds."""
    region = RegionFactory()
    bases = [LegalBasisFactory(law=Law.SEL, paragraph=p) for p in ("103", "104", "107", "108")]
    groups = [TargetGroupFactory(name=f"Gruppe {i}") for i in range(3)]
    areas = list(Area.values)
    today = _today()
    for i in range(3 * factor):
        operator: dict[str, Any] = [
            {"operator_municipality": world.municipality},
            {"operator_municipality": world.other_municipality},
            {
                "operator_municipality": None,
                "operator_region": region,
                "location": world.municipality,
            },
        ][i % 3]
        offer = OfferFactory(
            area=areas[i % 3],
            legal_bases=bases[i % 4 : i % 4 + 2],
            target_groups=groups[: i % 3 + 1],
            is_covered=i % 4 != 3,
            places=5 + i,
            **operator,
        )
        CapacityFactory(offer=offer, valid_from=today - datetime.timedelta(days=i + 1), places=i)
        CapacityFactory(offer=offer, valid_from=today + datetime.timedelta(days=i + 1), places=i)
    offer = OfferFactory(
        name="Målt", operator_municipality=world.municipality, places=4, legal_bases=bases[:2]
    )
    meeting = MeetingFactory(
        body=world.body_a,
        state=MeetingState.MINUTES_PUBLISHED,
        starts_at=timezone.now() - datetime.timedelta(days=20),
    )
    draft = MeetingFactory(body=world.body_b, state=MeetingState.DRAFT)
    for i in range(3 * factor):
        CapacityFactory(
            offer=offer,
            legal_basis=bases[i % 2],
            valid_from=today - datetime.timedelta(days=100 - i),
            places=i + 1,
        )
        source: dict[str, Any] = [
            {"decided_by_item": AgendaItemFactory(meeting=meeting, is_closed=i % 3 == 0)},
            {"decided_by_item": AgendaItemFactory(meeting=draft)},
            {"decided_by_round": _approved_round(world.body_a)},
        ][i % 3]
        LifecycleEventFactory(
            offer=offer,
            kind=EventKind.CLOSURE if i % 2 else EventKind.CAPACITY,
            state=[EventState.CONFIRMED, EventState.PROPOSED][i % 2],
            effective_date=today + datetime.timedelta(days=10 + i),
            legal_basis=bases[0],
            announced_late=i % 2 == 0,
            **source,
        )
    return offer


# List: the filters' municipalities, regions, legal bases and target groups; the offers; their
# capacity rows; the page's legal bases and target groups. Exports the same (the legal bases and
# target groups of every row). A logged-in user adds session and user; the secretariat its
# authenticator; anyone else their editor grants.
# Offer page: the offer, its legal bases, target groups, agreement periods and capacity rows;
# the events; the readable agenda items; the visible rounds. A logged-in non-secretariat reader
# adds their memberships (for the meetings, twice: on the meetings' dates and today) and their
# person (for the rounds).
# Municipality page: the organisations app's three, then the offers and their capacity rows.
# Early warning: the coming events, the late ones, the readable items, the visible rounds.
EXPECTED_QUERIES = {
    ("list", "anonymous"): 8,
    ("list", "editor"): 11,
    ("list", "staff"): 11,
    ("csv", "anonymous"): 8,
    ("csv", "staff"): 11,
    ("xlsx", "anonymous"): 8,
    ("xlsx", "staff"): 11,
    # The offer page includes the tariffs section (tariffs app, offers.extensions): its published
    # sheets and lines, PL indexes, and for logged-in readers the sheets they may see.
    ("detail", "anonymous"): 9,
    ("detail", "member_a"): 17,
    ("detail", "editor"): 18,
    ("detail", "staff"): 13,
    ("municipality", "anonymous"): 5,
    ("municipality", "staff"): 8,
    ("early_warning", "staff"): 7,
}


@pytest.mark.parametrize("factor", [1, 10])
@pytest.mark.parametrize(("page", "who"), sorted(EXPECTED_QUERIES))
def test_pages_run_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any, factor: int, page: str, who: str
) -> None:
    offer = _build(world, factor)
    client = _client(world, who)
    url = {
        "list": INDEX + "?sortering=-pladser",
        "csv": CSV_URL + "?omraade=voksne",
        "xlsx": XLSX_URL,
        "detail": offer.get_absolute_url(),
        "municipality": reverse("organizations:municipality", args=[world.municipality.code]),
        "early_warning": EARLY_WARNING,
    }[page]

    with django_assert_num_queries(EXPECTED_QUERIES[page, who]):
        response = client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("who", "links"), [("anonymous", False), ("member_a", False), ("editor", True), ("staff", True)]
)
def test_edit_links_only_for_those_who_may_edit(world: World, who: str, links: bool) -> None:
    own = OfferFactory(operator_municipality=world.municipality)
    other = OfferFactory(operator_municipality=world.other_municipality)
    client = _client(world, who)
    html = client.get(own.get_absolute_url()).content.decode()
    assert (reverse("offers:edit", args=[own.pk]) in html) is links
    assert (reverse("offers:propose", args=[own.pk]) in html) is links
    html = client.get(other.get_absolute_url()).content.decode()
    assert (reverse("offers:edit", args=[other.pk]) in html) is (who == "staff")
    assert (EARLY_WARNING in client.get(INDEX).content.decode()) is (who == "staff")
