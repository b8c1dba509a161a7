"""The public side of tariffs, told from each persona's side: the overview of a year with its
filters, sorting, change from last year and calculation basis; its CSV, XLSX and PDF; the
tariffs on an offer's page; and the development per area and per operator. Whoever reads, only
published tariffs appear here — a draft, a submission, an approved or a returned sheet never
reaches the public, nor an editor of another municipality."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.http import QueryDict
from django.test import Client, RequestFactory
from django.urls import reverse
from pypdf import PdfReader

from offers.models import Area
from tariffs import documents, selectors, services
from tariffs.models import Service, SheetState, TariffDocument, TariffYear, Unit
from tests.conftest import World
from tests.factories import RegionFactory
from tests.offer_factories import LegalBasisFactory, OfferFactory, TargetGroupFactory
from tests.tariff_factories import (
    PriceIndexFactory,
    TariffSheetFactory,
    TariffYearFactory,
)

MARKER = "UDKAST-4b2e"
INDEX = reverse("tariffs:index")
CSV_URL = reverse("tariffs:export_csv")
XLSX_URL = reverse("tariffs:export_xlsx")
DEVELOPMENT = reverse("tariffs:development")
UNPUBLISHED = [SheetState.DRAFT, SheetState.SUBMITTED, SheetState.APPROVED, SheetState.RETURNED]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _client(world: World, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    return client


def _published(offer: Any, year: int, *lines: dict[str, Any]) -> Any:
    return TariffSheetFactory(
        offer=offer, year=year, state=SheetState.PUBLISHED, lines=list(lines) or 1
    )


def _csv(response: Any) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def _xlsx(response: Any) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _pdf(client: Client, year: int) -> bytes:
    response = client.get(reverse("tariffs:pdf", args=[year]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def _text(response: Any) -> str:
    """The page's HTML, with the non-breaking spaces between amounts and units as spaces."""
    return response.content.decode().replace("&nbsp;", " ")


def _rows(response: Any) -> list[Any]:
    return response.context["overview"].rows


def _hand_worked(world: World) -> Any:
    """PL index 100 → 104; the døgntakst went from 1.000 kr. to 1.092 kr."""
    PriceIndexFactory(year=2025, index=Decimal(100))
    PriceIndexFactory(year=2026, index=Decimal(104))
    offer = OfferFactory(name="Bakkehuset", operator_municipality=world.municipality)
    _published(offer, 2025, {"amount": Decimal("1000.00")})
    _published(offer, 2026, {"amount": Decimal("1092.00")})
    return offer


# --- only published tariffs, whoever reads -------------------------------------------------------


def _unpublished_sheets(world: World) -> Any:
    """An offer of the other municipality with a published 2026 sheet and an approved
    correction of it; and, for each unpublished state, an offer with only such a sheet in 2026
    and in 2027. Everything unpublished is marked."""
    offer = OfferFactory(name="Åbrinken", operator_municipality=world.other_municipality)
    published = _published(offer, 2026, {"amount": Decimal("1500.00"), "label": "Offentlig"})
    TariffSheetFactory(
        offer=offer,
        year=2026,
        version=2,
        replaces=published,
        state=SheetState.APPROVED,
        lines=[{"amount": Decimal("9876.54"), "label": f"{MARKER} rettelse"}],
    )
    for state in UNPUBLISHED:
        hidden = OfferFactory(
            name=f"{MARKER} {state}", operator_municipality=world.other_municipality
        )
        for year in (2026, 2027):
            TariffSheetFactory(
                offer=hidden,
                year=year,
                state=state,
                lines=[{"amount": Decimal("9876.54"), "label": f"{MARKER} {state}"}],
            )
    return offer


@pytest.mark.parametrize("who", ["anonymous", "member_b", "editor", "staff"])
def test_unpublished_tariffs_never_reach_the_overview_or_its_exports(
    world: World, who: str
) -> None:
    _unpublished_sheets(world)
    client = _client(world, who)
    for year in (2026, 2027):
        html = _text(client.get(INDEX, {"aar": year}))
        assert MARKER not in html
        assert "9.876,54" not in html
        csv_text = _text(client.get(CSV_URL, {"aar": year}))
        assert MARKER not in csv_text
        assert "9876,54" not in csv_text
        workbook = _xlsx(client.get(XLSX_URL, {"aar": year}))
        cells = [str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row]
        assert not any(MARKER in cell or "9876.54" in cell for cell in cells)
    html = _text(client.get(INDEX, {"aar": 2026}))
    assert "Åbrinken" in html
    assert "1.500,00 kr." in html
    assert MARKER not in _text(client.get(DEVELOPMENT))


@pytest.mark.parametrize("who", ["anonymous", "member_b", "editor"])
def test_unpublished_tariffs_never_reach_the_offer_page(world: World, who: str) -> None:
    offer = _unpublished_sheets(world)
    client = _client(world, who)
    html = _text(client.get(offer.get_absolute_url()))
    assert "1.500,00 kr." in html
    assert MARKER not in html
    assert "9.876,54" not in html


def test_unpublished_tariffs_never_reach_the_pdf(world: World) -> None:
    _unpublished_sheets(world)
    text = _pdf_text(_pdf(Client(), 2026))
    assert "Åbrinken" in text
    assert MARKER not in text
    assert "9.876,54" not in text
    # 2027 has nothing published: no PDF at all.
    assert Client().get(reverse("tariffs:pdf", args=[2027])).status_code == 404


def test_a_superseded_version_is_not_shown(world: World) -> None:
    offer = OfferFactory(name="Lyngely")
    old = TariffSheetFactory(
        offer=offer,
        state=SheetState.SUPERSEDED,
        lines=[{"amount": Decimal("1111.11")}],
    )
    TariffSheetFactory(offer=offer, version=2, replaces=old, state=SheetState.PUBLISHED, lines=[{}])
    html = _text(Client().get(INDEX))
    assert "Lyngely" in html
    assert "1.111,11" not in html


def test_editor_sees_only_published_tariffs_of_own_offers_with_a_link_to_the_sheet(
    world: World,
) -> None:
    own = OfferFactory(name="Egebo", operator_municipality=world.municipality)
    _published(own, 2026, {"amount": Decimal("1200.00")})
    TariffSheetFactory(
        offer=own,
        year=2027,
        state=SheetState.DRAFT,
        lines=[{"amount": Decimal("9876.54"), "label": MARKER}],
    )
    client = _client(world, "editor")
    html = _text(client.get(INDEX))
    assert "1.200,00 kr." in html
    assert MARKER not in html
    request = RequestFactory().get("/")
    request.user = world.editor
    context = selectors.offer_tariffs_context(request, own)
    # The draft is the editor's current sheet; its amounts stay off the page.
    assert context["tariffs"].current_sheet.year == 2027
    # A reader who is neither the offer's editor nor a reviewer: the published sheet.
    request.user = world.member_a
    assert selectors.offer_tariffs_context(request, own)["tariffs"].current_sheet.year == 2026
    html = _text(client.get(own.get_absolute_url()))
    assert "9.876,54" not in html


def test_offer_without_published_tariffs_has_no_section_for_the_public(world: World) -> None:
    offer = OfferFactory(name="Tomt")
    TariffSheetFactory(offer=offer, state=SheetState.APPROVED, lines=1)
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert selectors.offer_tariffs_context(request, offer) == {}
    assert 'id="offer-tariffs-heading"' not in _text(Client().get(offer.get_absolute_url()))


# --- the overview -------------------------------------------------------------------------------


def test_change_from_last_year_in_current_and_fixed_prices(world: World) -> None:
    _hand_worked(world)
    response = Client().get(INDEX)
    assert response.context["overview"].year == 2026
    (row,) = _rows(response)
    assert row.change.previous == Decimal("1000.00")
    assert row.change.current_prices == Decimal("9.2")
    assert row.change.fixed_prices == Decimal("5.0")
    html = _text(response)
    assert "1.092,00 kr." in html
    assert "+9,2 %" in html
    assert "+5,0 %" in html


def test_change_is_a_dash_without_last_year_or_index(world: World) -> None:
    offer = OfferFactory(name="Nyt tilbud")
    PriceIndexFactory(year=2026, index=Decimal(104))
    _published(offer, 2025, {"amount": Decimal("1000.00")})
    _published(
        offer,
        2026,
        {"amount": Decimal("1092.00")},
        {"amount": Decimal("500.00"), "unit": Unit.HOUR},
    )
    rows = _rows(Client().get(INDEX))
    by_unit = {row.line.unit: row for row in rows}
    # No 2025 index: current prices only.
    assert by_unit[Unit.DAY_NIGHT].change.current_prices == Decimal("9.2")
    assert by_unit[Unit.DAY_NIGHT].change.fixed_prices is None
    # No hourly tariff last year: nothing to compare with.
    assert by_unit[Unit.HOUR].change.previous is None
    assert by_unit[Unit.HOUR].change.current_prices is None


def test_a_different_label_is_a_different_tariff(world: World) -> None:
    offer = OfferFactory()
    _published(offer, 2025, {"amount": Decimal("1000.00"), "label": "Niveau 1"})
    _published(offer, 2026, {"amount": Decimal("1092.00"), "label": "Niveau 2"})
    (row,) = _rows(Client().get(INDEX))
    assert row.change.previous is None


def test_default_year_is_the_latest_published_and_others_can_be_chosen(world: World) -> None:
    offer = OfferFactory(name="Skovly")
    _published(offer, 2024, {"amount": Decimal("900.00")})
    _published(offer, 2025, {"amount": Decimal("950.00")})
    TariffSheetFactory(offer=offer, year=2026, state=SheetState.SUBMITTED, lines=1)
    response = Client().get(INDEX)
    assert response.context["overview"].year == 2025
    assert response.context["overview"].years == [2025, 2024]
    html = _text(Client().get(INDEX, {"aar": 2024}))
    assert "900,00 kr." in html
    assert "950,00 kr." not in html
    response = Client().get(INDEX, {"aar": 2026})
    assert response.status_code == 200
    assert _rows(response) == []
    assert "Der er ikke offentliggjort takster for 2026." in _text(response)


def test_no_published_tariffs_says_so(world: World) -> None:
    html = _text(Client().get(INDEX))
    assert "Der er endnu ikke offentliggjort nogen takster." in html


def test_filters_narrow_the_overview(world: World) -> None:
    base_108 = LegalBasisFactory(law="SEL", paragraph="108")
    base_107 = LegalBasisFactory(law="SEL", paragraph="107")
    autism = TargetGroupFactory(name="Autisme")
    region = RegionFactory()
    a = OfferFactory(
        name="Alfa",
        operator_municipality=world.municipality,
        area=Area.ADULTS,
        legal_bases=[base_108],
        target_groups=[autism],
    )
    b = OfferFactory(
        name="Beta",
        operator_municipality=world.other_municipality,
        area=Area.CHILDREN,
        legal_bases=[base_107],
    )
    c = OfferFactory(
        name="Gamma Regionen",
        operator_municipality=None,
        operator_region=region,
        location=world.municipality,
        area=Area.ADULTS,
        legal_bases=[base_107, base_108],
    )
    _published(a, 2026, {}, {"unit": Unit.HOUR, "service": Service.SUPPLEMENT, "label": "Ekstra"})
    _published(b, 2026, {})
    _published(c, 2026, {})

    def names(**params: Any) -> list[tuple[str, str]]:
        return [(r.offer.name, r.line.unit) for r in _rows(Client().get(INDEX, params))]

    assert {n for n, _u in names(driftsherre=f"k-{world.municipality.code}")} == {"Alfa"}
    assert {n for n, _u in names(driftsherre=f"r-{region.code}")} == {"Gamma Regionen"}
    assert {n for n, _u in names(omraade=Area.CHILDREN)} == {"Beta"}
    assert names(lovgrundlag=str(base_108.pk)) == [
        ("Alfa", Unit.DAY_NIGHT),
        ("Alfa", Unit.HOUR),
        ("Gamma Regionen", Unit.DAY_NIGHT),
    ]
    assert {n for n, _u in names(maalgruppe=str(autism.pk))} == {"Alfa"}
    assert names(enhed=Unit.HOUR) == [("Alfa", Unit.HOUR)]
    assert names(soeg="ekstra") == [("Alfa", Unit.HOUR)]
    assert {n for n, _u in names(soeg="gamma")} == {"Gamma Regionen"}
    # The filters are bookmarkable, and the exports follow them.
    rows = _csv(Client().get(CSV_URL, {"omraade": Area.CHILDREN}))
    assert [row[0] for row in rows[1:]] == ["Beta"]


def test_overview_sorts_by_name_operator_and_amount(world: World) -> None:
    cheap = OfferFactory(name="Ødegård", operator_municipality=world.municipality)
    dear = OfferFactory(name="Agerholm", operator_municipality=world.other_municipality)
    _published(cheap, 2026, {"amount": Decimal("800.00")})
    _published(dear, 2026, {"amount": Decimal("2500.00")})

    def order(sort: str) -> list[str]:
        return [row.offer.name for row in _rows(Client().get(INDEX, {"sortering": sort}))]

    assert order("navn") == ["Agerholm", "Ødegård"]
    assert order("-navn") == ["Ødegård", "Agerholm"]
    assert order("takst") == ["Ødegård", "Agerholm"]
    assert order("-takst") == ["Agerholm", "Ødegård"]
    # Danish order: Viborg before Aarhus ("aa" is "å").
    assert order("driftsherre") == ["Ødegård", "Agerholm"]
    html = _text(Client().get(INDEX, {"sortering": "-takst"}))
    assert 'aria-sort="descending"' in html


def test_calculation_basis_is_shown_with_settlement_as_its_own_row(world: World) -> None:
    offer = OfferFactory(name="Kildebakken")
    _published(
        offer,
        2026,
        {
            "staff_costs": Decimal("2500000"),
            "operating_costs": Decimal("500000"),
            "indirect_costs": Decimal("300000"),
            "building_costs": Decimal("200000"),
            "overhead_percent": Decimal("6"),
            "places": 10,
            "days": 365,
            "occupancy_percent": Decimal("95"),
            "settlement": Decimal("-50000"),
            "base_amount": Decimal("600.00"),
            "service_amount": Decimal("455.52"),
            "amount": Decimal("1055.52"),
        },
    )
    html = _text(Client().get(INDEX))
    assert '<details class="details tariff-computation">' in html
    assert "Efterregulering fra tidligere år" in html
    assert "-50.000,00 kr." in html
    assert "3.500.000,00 kr." in html  # costs
    assert "210.000,00 kr." in html  # overhead 6 %
    assert "3.467,50" in html  # units: 10 × 365 × 95 %
    assert "1.055,52 kr." in html
    assert "grundtakst 600,00 kr. + ydelsestakst 455,52 kr." in html


def test_line_without_basis_says_so(world: World) -> None:
    _published(OfferFactory(), 2026, {"places": None, "amount": Decimal("700.00")})
    html = _text(Client().get(INDEX))
    assert "Beregningsgrundlaget er ikke oplyst for denne takst." in html


# --- exports -------------------------------------------------------------------------------------


def test_csv_export_is_danish_excel_with_the_change_and_the_basis(world: World) -> None:
    _hand_worked(world)
    response = Client().get(CSV_URL)
    assert response["Content-Disposition"] == 'attachment; filename="takster-2026.csv"'
    header, row = _csv(response)
    values = dict(zip(header, row, strict=True))
    assert values["Tilbud"] == "Bakkehuset"
    assert values["Takst (kr.)"] == "1092.00".replace(".", ",")
    assert values["Takst sidste år (kr.)"] == "1000,00"
    assert values["Ændring i løbende priser (%)"] == "9,2"
    assert values["Ændring i faste priser (%)"] == "5,0"
    assert values["Pladser"] == "10"


def test_exports_neutralise_formula_injection(world: World) -> None:
    offer = OfferFactory(name='=HYPERLINK("http://ondt.example")', area=Area.ADULTS)
    child = OfferFactory(name="Børnehuset", area=Area.CHILDREN)
    _published(offer, 2026, {"label": "@SUM(A1:A9)"})
    _published(child, 2026, {"label": "+1+1", "amount": Decimal("800.00")})
    PriceIndexFactory(year=2025, index=Decimal(110))
    PriceIndexFactory(year=2026, index=Decimal(100))
    _published(child, 2025, {"label": "+1+1", "amount": Decimal("900.00")})

    rows = _csv(Client().get(CSV_URL))
    by_name = {row[0]: row for row in rows[1:]}
    assert '\'=HYPERLINK("http://ondt.example")' in by_name
    assert by_name['\'=HYPERLINK("http://ondt.example")'][5] == "'@SUM(A1:A9)"
    assert by_name["Børnehuset"][5] == "'+1+1"
    # A negative change is a number, not text with an apostrophe.
    assert by_name["Børnehuset"][11] == "-11,1"

    workbook = _xlsx(Client().get(XLSX_URL))
    assert workbook.sheetnames == ["Børn og unge", "Voksne"]
    adults = workbook["Voksne"]
    assert adults.freeze_panes == "A2"
    assert adults["A1"].value == "Tilbud"
    assert adults["A1"].font.bold
    assert adults["A2"].value == '=HYPERLINK("http://ondt.example")'
    assert adults["A2"].data_type == "s"
    assert adults["F2"].data_type == "s"
    assert adults["H2"].number_format == "#,##0.00"
    assert isinstance(adults["H2"].value, (int, float))
    assert adults.column_dimensions["A"].width == 36
    children = workbook["Børn og unge"]
    assert children["A2"].value == "Børnehuset"
    assert children["F2"].value == "+1+1"
    assert children["F2"].data_type == "s"
    assert children["L2"].value == pytest.approx(-11.1)


def test_xlsx_export_of_an_empty_selection_has_a_header(world: World) -> None:
    _published(OfferFactory(), 2026)
    workbook = _xlsx(Client().get(XLSX_URL, {"soeg": "findes-ikke"}))
    assert workbook.sheetnames == ["Takster"]
    assert workbook["Takster"]["A1"].value == "Tilbud"


# --- the PDF -------------------------------------------------------------------------------------


def test_pdf_renders_landscape_with_the_offers(world: World) -> None:
    _hand_worked(world)
    TariffYearFactory(year=2026, published=True)
    data = _pdf(Client(), 2026)
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert box.width > box.height
    text = _pdf_text(data)
    assert "Bakkehuset" in text
    assert "Takstoversigt 2026" in text
    assert "Side 1 af" in text
    assert "1.092,00 kr." in text
    document = TariffDocument.objects.get()
    assert (document.year, document.version) == (2026, 1)
    assert document.page_count == len(reader.pages)
    # Served from storage the second time.
    _pdf(Client(), 2026)
    assert TariffDocument.objects.count() == 1


def test_a_new_publication_never_serves_the_old_pdf(world: World) -> None:
    first = OfferFactory(name="Første tilbud")
    _published(first, 2026)
    TariffYearFactory(year=2026, published=True)
    assert "Første tilbud" in _pdf_text(_pdf(Client(), 2026))

    later = OfferFactory(name="Senere tilbud")
    TariffSheetFactory(offer=later, year=2026, state=SheetState.APPROVED, lines=1)
    services.year_publish(year=2026, by=world.staff)
    assert TariffYear.objects.get(year=2026).version == 2

    text = _pdf_text(_pdf(Client(), 2026))
    assert "Senere tilbud" in text
    assert set(TariffDocument.objects.values_list("version", flat=True)) >= {2}
    documents.overview_prune(2026)
    assert list(TariffDocument.objects.values_list("version", flat=True)) == [2]


def test_publishing_renders_the_new_version_after_the_commit_and_drops_older_ones(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    _published(OfferFactory(name="Hybenhaven"), 2026)
    year = TariffYearFactory(year=2026, published=True)
    documents.overview_document(2026)
    year.version = 2
    year.save()
    with django_capture_on_commit_callbacks(execute=True):
        services._render_overview_after_commit(2026)
    assert list(TariffDocument.objects.values_list("year", "version")) == [(2026, 2)]


# --- the offer page ------------------------------------------------------------------------------


def test_offer_page_shows_tariffs_over_the_years_in_current_and_fixed_prices(
    world: World,
) -> None:
    offer = _hand_worked(world)
    html = _text(Client().get(offer.get_absolute_url()))
    assert 'id="offer-tariffs-heading"' in html
    assert "data-tariff-chart" in html
    assert "js/tariff-chart.js" in html
    assert "<script>" not in html
    # 1.000 kr. in 2025 is 1.040 kr. in 2026 prices.
    assert "1.040,00 kr." in html
    assert "1.092,00 kr." in html
    assert 'data-y="1040.00"' in html
    assert "+9,2 %" in html
    assert "+5,0 %" in html
    assert "faste 2026-priser" in html


def test_offer_tariffs_history_rows(world: World) -> None:
    offer = _hand_worked(world)
    tariffs = selectors.offer_tariffs(world.staff, offer)
    assert tariffs.base_year == 2026
    assert tariffs.years == [2025, 2026]
    assert [(r.year, r.line.amount, r.fixed_amount) for r in tariffs.rows] == [
        (2025, Decimal("1000.00"), Decimal("1040.00")),
        (2026, Decimal("1092.00"), Decimal("1092.00")),
    ]


# --- development ---------------------------------------------------------------------------------


def test_development_averages_fixed_price_change_per_area_and_operator(world: World) -> None:
    PriceIndexFactory(year=2025, index=Decimal(100))
    PriceIndexFactory(year=2026, index=Decimal(104))
    a = OfferFactory(name="A", operator_municipality=world.municipality, area=Area.ADULTS)
    b = OfferFactory(name="B", operator_municipality=world.municipality, area=Area.ADULTS)
    c = OfferFactory(name="C", operator_municipality=world.other_municipality, area=Area.CHILDREN)
    _published(a, 2025, {"amount": Decimal("1000.00")})
    _published(a, 2026, {"amount": Decimal("1092.00")})  # +5.0 %
    _published(b, 2025, {"amount": Decimal("1000.00")})
    _published(b, 2026, {"amount": Decimal("1040.00")})  # 0.0 %
    _published(c, 2025, {"amount": Decimal("2000.00")})
    _published(c, 2026, {"amount": Decimal("1976.00")})  # -5.0 %
    TariffSheetFactory(
        offer=c, year=2026, version=2, state=SheetState.SUBMITTED, lines=[{"amount": 1}]
    )
    response = Client().get(DEVELOPMENT)
    development = response.context["development"]
    assert development.years == [2026]
    areas = {row.label: row.cells[0] for row in development.by_area}
    assert areas["Voksne"].value == Decimal("2.5")
    assert areas["Voksne"].count == 2
    assert areas["Børn og unge"].value == Decimal("-5.0")
    operators = {row.label: row.cells[0].value for row in development.by_operator}
    assert operators == {"Aarhus Kommune": Decimal("-5.0"), "Viborg Kommune": Decimal("2.5")}
    assert development.overall.cells[0].value == Decimal("0.0")
    html = _text(response)
    assert "+2,5 %" in html
    assert "-5,0 %" in html
    assert "data-tariff-chart" in html
    assert "<caption>" in html


def test_development_without_two_years_says_so(world: World) -> None:
    _published(OfferFactory(), 2026)
    html = _text(Client().get(DEVELOPMENT))
    assert "Der er endnu ikke offentliggjort takster for to år i træk at sammenligne." in html


# --- a fixed number of queries -------------------------------------------------------------------


def _build(world: World, factor: int) -> Any:
    """`factor` × 3 offers with published tariffs in 2025 and 2026 (two lines each), sheets in
    the works, and one measured offer with a line in every year."""
    PriceIndexFactory(year=2025, index=Decimal(100))
    PriceIndexFactory(year=2026, index=Decimal(104))
    bases = [LegalBasisFactory(law="SEL", paragraph=str(p)) for p in (107, 108)]
    groups = [TargetGroupFactory(name=f"Gruppe {i}") for i in range(2)]
    municipalities = [world.municipality, world.other_municipality]
    for i in range(3 * factor):
        offer = OfferFactory(
            operator_municipality=municipalities[i % 2],
            area=[Area.ADULTS, Area.CHILDREN, Area.SPECIAL_EDUCATION][i % 3],
            legal_bases=[bases[i % 2]],
            target_groups=[groups[i % 2]],
        )
        for year in (2025, 2026):
            _published(offer, year, {}, {"unit": Unit.HOUR, "label": "Støtte"})
        TariffSheetFactory(offer=offer, year=2027, state=UNPUBLISHED[i % 4], lines=1)
    measured = OfferFactory(name="Målt", operator_municipality=world.municipality)
    for year in range(2026 - factor, 2027):
        _published(measured, year, {"amount": Decimal(1000 + year)})
    TariffSheetFactory(offer=measured, year=2027, state=SheetState.DRAFT, lines=1)
    return measured


# Overview and exports: the years, the filters' choices (municipalities, regions, legal bases,
# target groups), the lines, last year's amounts and the PL index. A logged-in user adds session
# and user; the secretariat its authenticator; anyone else their editor grants (offers) and, for
# `sheets_visible_to`, the tariff group and their memberships.
# Offer section: the lines with their sheet and PL index; a logged-in reader adds the newest sheet
# they may see (and what the permissions ask, as above, without session and user).
EXPECTED_QUERIES = {
    ("overview", "anonymous"): 8,
    ("overview", "member_b"): 13,
    ("overview", "editor"): 14,
    ("overview", "staff"): 11,
    ("csv", "anonymous"): 8,
    ("csv", "staff"): 11,
    ("xlsx", "anonymous"): 8,
    ("development", "anonymous"): 2,
    ("development", "staff"): 5,
}


@pytest.mark.parametrize("factor", [1, 10])
@pytest.mark.parametrize(("page", "who"), sorted(EXPECTED_QUERIES))
def test_pages_run_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any, factor: int, page: str, who: str
) -> None:
    _build(world, factor)
    client = _client(world, who)
    url = {
        "overview": INDEX + "?sortering=-takst",
        "csv": CSV_URL + "?omraade=voksne",
        "xlsx": XLSX_URL,
        "development": DEVELOPMENT,
    }[page]

    with django_assert_num_queries(EXPECTED_QUERIES[page, who]):
        response = client.get(url)

    assert response.status_code == 200


# The section alone: the lines with their sheet and PL index. A logged-in reader adds the newest
# sheet they may see and what `sheets_visible_to` asks: the tariff group and their memberships
# (not for the secretariat, which adds its authenticator), and for anyone else their editor
# grants (twice for an editor: `sheets_visible_to` and `can_see_sheet` through the offers app;
# on the offer page the offers app has asked already).
SECTION_QUERIES = {"anonymous": 1, "member_a": 5, "member_b": 4, "editor": 6, "staff": 3}


@pytest.mark.parametrize("factor", [1, 10])
@pytest.mark.parametrize("who", sorted(SECTION_QUERIES))
def test_offer_section_runs_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any, factor: int, who: str
) -> None:
    from django.contrib.auth.models import AnonymousUser

    offer = _build(world, factor)
    request = RequestFactory().get("/")
    user = AnonymousUser() if who == "anonymous" else getattr(world, who)
    request.user = type(user).objects.get(pk=user.pk) if who != "anonymous" else user

    with django_assert_num_queries(SECTION_QUERIES[who]):
        context = selectors.offer_tariffs_context(request, offer)

    assert len(context["tariffs"].rows) == factor + 1


def test_overview_selector_for_the_pdf_runs_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    _build(world, 3)
    with django_assert_num_queries(3):
        overview = selectors.public_overview(2026)
    assert len(overview.rows) == 3 * 3 * 2 + 1
    assert selectors.tariff_overview(world.staff, QueryDict("aar=2026")).year == 2026


def test_publishing_a_year_stores_the_pdf_of_its_new_version(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """year_publish enqueues the render by the task's name; eager in tests, so the document of
    the new version exists once the publication is committed."""
    offer = OfferFactory(name="Hybenhaven")
    TariffSheetFactory(offer=offer, year=2027, state=SheetState.APPROVED, lines=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.year_publish(year=2027, by=world.staff)
    version = TariffYear.objects.get(year=2027).version
    assert list(TariffDocument.objects.values_list("year", "version")) == [(2027, version)]
