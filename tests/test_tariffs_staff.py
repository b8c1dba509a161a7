"""The write side of the tariffs, told from each persona's side.

Viborg's editor enters and submits the tariffs of the offers Viborg operates, and nothing else:
every staff view is tried against Aarhus' sheets (403, or 404 for a sheet they may not even
see) and nothing is written. member_b sits in Takstgruppen and reviews (approve, return) but
does not publish; member_a sits in another body and does nothing; the secretariat does it all.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from offers.models import Offer
from tariffs import services
from tariffs.models import (
    PriceIndex,
    Service,
    Settlement,
    SheetState,
    TariffImport,
    TariffLine,
    TariffRules,
    TariffSheet,
    TariffYear,
    Unit,
)
from tariffs.staff_views import default_year
from tests.conftest import World
from tests.factories import RegionFactory
from tests.offer_factories import AgreementPeriodFactory, OfferFactory
from tests.tariff_factories import (
    SettlementFactory,
    TariffLineFactory,
    TariffSheetFactory,
    TariffYearFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
YEAR = 2027


def client_for(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def messages_of(response: Any) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def html_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def assert_error_at(response: Any, field: str, message: str) -> None:
    """The Danish message is shown at the field (DKFDS error state) and in the summary."""
    html = html_of(response)
    assert f'id="id_{field}_error"' in html, f"no error at {field}"
    at_field = html.split(f'id="id_{field}_error">', 1)[1].split("</span>", 2)[1]
    assert message in at_field, at_field
    assert "Der er fejl i formularen" in html


# A complete basis (the hand-worked example: 10,000,000 kr. + 6 % over 20 × 365 × 95 %).
BASIS_POST = {
    "service": Service.RESIDENTIAL,
    "label": "Niveau 2",
    "unit": Unit.DAY_NIGHT,
    "amount": "1.528,48",
    "base_amount": "",
    "service_amount": "",
    "staff_costs": "8.000.000",
    "operating_costs": "1.000.000",
    "indirect_costs": "500.000",
    "building_costs": "500.000",
    "overhead_percent": "6",
    "places": "20",
    "days": "365",
    "occupancy_percent": "95",
    "settlement": "0",
}


def line_post(**overrides: Any) -> dict[str, Any]:
    return {**BASIS_POST, **overrides}


@dataclass
class Setup:
    own: Offer  # Viborg's covered offer
    own_draft: TariffSheet
    other: Offer  # Aarhus' covered offer
    other_draft: TariffSheet
    other_submitted: TariffSheet
    other_approved: TariffSheet
    other_published: TariffSheet
    regional: Offer  # the Region's offer
    settlement: Settlement  # Aarhus'
    job: TariffImport

    @property
    def other_sheets(self) -> list[TariffSheet]:
        return [self.other_draft, self.other_submitted, self.other_approved, self.other_published]


@pytest.fixture
def setup(world: World) -> Setup:
    TariffYearFactory(year=YEAR, submission_deadline=timezone.now() + datetime.timedelta(days=30))
    own = OfferFactory(
        name="Bostedet Åparken",
        tilbudsportalen_id="1001",
        operator_municipality=world.municipality,
        location=world.municipality,
    )
    other = OfferFactory(
        name="Aarhus Botilbud",
        tilbudsportalen_id="2002",
        operator_municipality=world.other_municipality,
        location=world.other_municipality,
    )
    others = [
        OfferFactory(name=f"Aarhus {n}", operator_municipality=world.other_municipality)
        for n in range(3)
    ]
    regional = OfferFactory(
        name="Regionens Sødisbakke",
        operator_municipality=None,
        operator_region=RegionFactory(),
        location=world.other_municipality,
    )
    return Setup(
        own=own,
        own_draft=TariffSheetFactory(offer=own, year=YEAR, lines=1),
        other=other,
        other_draft=TariffSheetFactory(offer=other, year=YEAR, lines=1),
        other_submitted=TariffSheetFactory(
            offer=others[0], year=YEAR, state=SheetState.SUBMITTED, lines=1
        ),
        other_approved=TariffSheetFactory(
            offer=others[1], year=YEAR, state=SheetState.APPROVED, lines=1
        ),
        other_published=TariffSheetFactory(
            offer=others[2], year=YEAR, state=SheetState.PUBLISHED, lines=1
        ),
        regional=regional,
        settlement=SettlementFactory(offer=other, year=2024),
        job=TariffImport.objects.create(
            year=YEAR,
            created_by=world.staff,
            file_name="takster.csv",
            file_format="csv",
            size=3,
            sha256="0" * 64,
            content=b"x;y",
            total=1,
        ),
    )


def snapshot() -> tuple[Any, ...]:
    """Everything the staff pages could write, history included."""
    return (
        list(TariffSheet.objects.order_by("pk").values()),
        list(TariffLine.objects.order_by("pk").values()),
        list(Settlement.objects.order_by("pk").values()),
        list(PriceIndex.objects.order_by("pk").values()),
        list(TariffRules.objects.order_by("pk").values()),
        list(TariffYear.objects.order_by("pk").values()),
        list(TariffImport.objects.order_by("pk").values("pk", "state", "applied_by")),
        TariffSheet.history.count(),  # type: ignore[attr-defined]
        TariffLine.history.count(),  # type: ignore[attr-defined]
    )


# Everything a hostile POST might try, at once.
HOSTILE = {
    **line_post(amount="1"),
    "aar": str(YEAR),
    "approve-comment": "ok",
    "return-comment": "nej",
    "approve": "1",
    "reason": "fordi",
    "year": "2020",
    "index": "100",
    "budget": "1000",
    "actual_revenue": "1",
    "actual_costs": "2",
    "deadline_date": "2030-01-01",
    "deadline_time": "12:00",
}

SheetUrl = Callable[[TariffSheet], str]

# Views on a sheet that only its offer's editors (and the secretariat) use.
ENTER_URLS: dict[str, SheetUrl] = {
    "line_create": lambda s: reverse("tariffs:line_create", args=[s.pk]),
    "line_edit": lambda s: reverse("tariffs:line_edit", args=[s.pk, s.lines.first().pk]),
    "line_delete": lambda s: reverse("tariffs:line_delete", args=[s.pk, s.lines.first().pk]),
    "submit": lambda s: reverse("tariffs:submit", args=[s.pk]),
    "correct": lambda s: reverse("tariffs:correct", args=[s.pk]),
}

Url = Callable[[Setup], str]

SECRETARIAT_URLS: dict[str, Url] = {
    "publish": lambda s: reverse("tariffs:publish") + f"?aar={YEAR}",
    "price_index": lambda s: reverse("tariffs:price_index"),
    "price_index_create": lambda s: reverse("tariffs:price_index_create"),
    "rules": lambda s: reverse("tariffs:rules"),
    "rules_edit": lambda s: reverse(
        "tariffs:rules_edit", args=[AgreementPeriodFactory(region=s.own.location.region).pk]
    ),
    "years": lambda s: reverse("tariffs:years"),
    "year_create": lambda s: reverse("tariffs:year_create"),
    "year_edit": lambda s: reverse("tariffs:year_edit", args=[TariffYear.objects.get().pk]),
    "import": lambda s: reverse("tariffs:import"),
    "import_job": lambda s: reverse("tariffs:import_job", args=[s.job.pk]),
}

REVIEWER_URLS: dict[str, Url] = {
    "review": lambda s: reverse("tariffs:review"),
    "review_own": lambda s: reverse("tariffs:review_sheet", args=[s.own_draft.pk]),
    "review_other": lambda s: reverse("tariffs:review_sheet", args=[s.other_submitted.pk]),
}

ENTERER_URLS: dict[str, Url] = {
    "mine": lambda s: reverse("tariffs:mine"),
    "settlements": lambda s: reverse("tariffs:settlements"),
    "settlement_create": lambda s: reverse("tariffs:settlement_create"),
}


# --- the outsider's side: every view ------------------------------------------------------------


@pytest.mark.parametrize("name", ENTER_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_editor_of_another_municipality_is_refused_on_every_sheet_and_nothing_is_written(
    world: World, setup: Setup, name: str, method: str
) -> None:
    client = client_for(world.editor)
    for sheet in setup.other_sheets:
        url = ENTER_URLS[name](sheet)
        before = snapshot()
        response = getattr(client, method)(url, HOSTILE)
        # A published sheet is public (403); one in the works is not even seen (404).
        expected = 403 if sheet.state == SheetState.PUBLISHED else 404
        assert response.status_code == expected, (sheet.get_state_display(), url)
        assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_editor_cannot_start_another_municipalitys_sheet(
    world: World, setup: Setup, method: str
) -> None:
    before = snapshot()
    client = client_for(world.editor)
    for offer in (setup.other, setup.regional):
        url = reverse("tariffs:sheet_create", args=[offer.pk])
        assert getattr(client, method)(url, {"aar": YEAR + 1}).status_code == 403
    assert snapshot() == before


def test_editor_of_another_municipality_never_sees_sheets_in_the_works(
    world: World, setup: Setup
) -> None:
    client = client_for(world.editor)
    for sheet in (setup.other_draft, setup.other_submitted, setup.other_approved):
        assert client.get(sheet.get_absolute_url()).status_code == 404
    html = html_of(client.get(setup.other_published.get_absolute_url()))
    assert "Tilføj takst" not in html
    assert "Ændringshistorik" not in html
    assert "Ret de offentliggjorte takster" not in html


@pytest.mark.parametrize("name", SECRETARIAT_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", ["editor", "member_a", "member_b"])
def test_only_the_secretariat_gets_into_the_secretariats_views(
    world: World, setup: Setup, name: str, method: str, who: str
) -> None:
    url = SECRETARIAT_URLS[name](setup)
    before = snapshot()
    response = getattr(client_for(getattr(world, who)), method)(url, HOSTILE)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", REVIEWER_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", ["editor", "member_a"])
def test_only_reviewers_get_into_the_review(
    world: World, setup: Setup, name: str, method: str, who: str
) -> None:
    before = snapshot()
    response = getattr(client_for(getattr(world, who)), method)(REVIEWER_URLS[name](setup), HOSTILE)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", ENTERER_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", ["member_a", "member_b"])
def test_members_who_enter_no_tariffs_are_refused(
    world: World, setup: Setup, name: str, method: str, who: str
) -> None:
    before = snapshot()
    response = getattr(client_for(getattr(world, who)), method)(ENTERER_URLS[name](setup), HOSTILE)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("who", ["member_a", "member_b"])
def test_members_cannot_enter_tariffs_on_any_sheet(world: World, setup: Setup, who: str) -> None:
    client = client_for(getattr(world, who))
    before = snapshot()
    for sheet in (setup.own_draft, setup.other_draft, setup.other_published):
        for name, url in ENTER_URLS.items():
            response = client.post(url(sheet), HOSTILE)
            assert response.status_code in (403, 404), (name, sheet.state)
        response = client.post(
            reverse("tariffs:sheet_create", args=[sheet.offer_id]), {"aar": YEAR + 1}
        )
        assert response.status_code == 403
    assert snapshot() == before


def test_editor_cannot_change_another_municipalitys_settlement(world: World, setup: Setup) -> None:
    client = client_for(world.editor)
    url = reverse("tariffs:settlement_edit", args=[setup.settlement.pk])
    before = snapshot()
    assert client.get(url).status_code == 403
    assert client.post(url, HOSTILE).status_code == 403
    # Nor record one for another municipality's offer through the form.
    response = client.post(
        reverse("tariffs:settlement_create"),
        {"offer": setup.other.pk, "year": "2024", **{k: HOSTILE[k] for k in ("budget",)}},
    )
    assert_error_at(response, "offer", "Vælg et tilbud på listen.")
    assert snapshot() == before


def test_anonymous_is_sent_to_login_everywhere(world: World, setup: Setup) -> None:
    urls = [
        *(f(setup) for f in SECRETARIAT_URLS.values()),
        *(f(setup) for f in REVIEWER_URLS.values()),
        *(f(setup) for f in ENTERER_URLS.values()),
        *(f(setup.own_draft) for f in ENTER_URLS.values()),
        reverse("tariffs:sheet_create", args=[setup.own.pk]),
    ]
    before = snapshot()
    for url in urls:
        for method in ("get", "post"):
            response = getattr(Client(), method)(url, HOSTILE)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("account_login")), url
    # The sheet page itself is only read; a sheet in the works asks for a login.
    response = Client().get(setup.own_draft.get_absolute_url())
    assert response["Location"].startswith(reverse("account_login"))
    assert Client().post(setup.own_draft.get_absolute_url()).status_code == 405
    assert snapshot() == before


def test_the_public_reads_a_published_sheet_with_its_computation_only(
    world: World, setup: Setup
) -> None:
    html = html_of(Client().get(setup.other_published.get_absolute_url()))
    assert "Beregning af taksten" in html
    assert "= beregnet takst" in html
    assert "advarsel" not in html.lower()
    assert "Ændringshistorik" not in html
    assert "Efterreguleringsmodellen" not in html


# --- "Mine takster" ------------------------------------------------------------------------------


def test_editor_sees_their_covered_offers_with_the_state_and_deadline(
    world: World, setup: Setup
) -> None:
    OfferFactory(name="Ikke omfattet", operator_municipality=world.municipality, is_covered=False)
    fresh = OfferFactory(name="Nyt Botilbud", operator_municipality=world.municipality)
    html = html_of(client_for(world.editor).get(reverse("tariffs:mine") + f"?aar={YEAR}"))
    table = html.split('id="my-offers"', 1)[1]
    assert "Bostedet Åparken" in table and "Kladde" in table
    assert "Nyt Botilbud" in table
    assert f'action="{reverse("tariffs:sheet_create", args=[fresh.pk])}"' in table
    assert "Ikke omfattet" not in table
    assert "Aarhus" not in table and "Regionens" not in table
    assert "Frist for indberetning" in html
    assert "1 tilbud har intet takstblad for 2027" in html


def test_the_secretariat_sees_every_offer_including_the_regions(world: World, setup: Setup) -> None:
    html = html_of(client_for(world.staff).get(reverse("tariffs:mine") + f"?aar={YEAR}"))
    for name in ("Bostedet Åparken", "Aarhus Botilbud", "Regionens Sødisbakke"):
        assert name in html


def test_the_default_year_is_that_of_the_next_deadline(world: World) -> None:
    assert default_year() == timezone.localdate().year
    TariffYearFactory(year=2030, submission_deadline=timezone.now() - datetime.timedelta(days=1))
    assert default_year() == 2030
    TariffYearFactory(year=2031, submission_deadline=timezone.now() + datetime.timedelta(days=9))
    TariffYearFactory(year=2032, submission_deadline=timezone.now() + datetime.timedelta(days=99))
    assert default_year() == 2031


def test_mine_runs_a_fixed_number_of_queries(world: World, setup: Setup) -> None:
    client = client_for(world.editor)
    url = reverse("tariffs:mine") + f"?aar={YEAR}"
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(5):
        offer = OfferFactory(name=f"Viborg {n}", operator_municipality=world.municipality)
        TariffSheetFactory(offer=offer, year=YEAR, state=SheetState.PUBLISHED, lines=2)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)


# --- the editor's round --------------------------------------------------------------------------


def test_editor_starts_a_sheet_adds_a_line_typed_the_danish_way_and_submits(
    world: World, setup: Setup
) -> None:
    client = client_for(world.editor)
    response = client.post(reverse("tariffs:sheet_create", args=[setup.own.pk]), {"aar": YEAR + 1})
    sheet = TariffSheet.objects.get(offer=setup.own, year=YEAR + 1)
    assert response.status_code == 302
    assert response["Location"] == sheet.get_absolute_url()
    assert sheet.state == SheetState.DRAFT and sheet.created_by == world.editor

    response = client.post(reverse("tariffs:line_create", args=[sheet.pk]), line_post())
    line = sheet.lines.get(label="Niveau 2")
    assert response.status_code == 302
    assert response["Location"] == f"{sheet.get_absolute_url()}#takst-{line.pk}"
    assert line.amount == D("1528.48")
    assert line.staff_costs == D("8000000")
    assert line.occupancy_percent == D("95")

    html = html_of(client.get(sheet.get_absolute_url()))
    assert "1.528,48 kr." in html  # the computed tariff, next to the entered one
    assert "10.000.000,00 kr." in html  # the costs, step by step
    assert "600.000,00 kr." in html  # the overhead (6 %)
    assert "6.935,00" in html  # 20 places × 365 days × 95 %

    response = client.post(reverse("tariffs:submit", args=[sheet.pk]))
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SUBMITTED
    assert sheet.submitted_by == world.editor
    assert "indsendt til takstgruppen" in messages_of(response)


def test_an_empty_overhead_takes_the_agreement_periods_rule(world: World, setup: Setup) -> None:
    period = AgreementPeriodFactory(
        region=setup.own.operator_municipality.region,
        start_date=datetime.date(YEAR - 1, 1, 1),
        end_date=datetime.date(YEAR, 12, 31),
    )
    TariffRules.objects.create(period=period, overhead_percent=D("7.5"))
    client = client_for(world.editor)
    url = reverse("tariffs:line_create", args=[setup.own_draft.pk])
    assert 'value="7,50"' in html_of(client.get(url))
    client.post(url, line_post(overhead_percent="", label="Aflastning"))
    assert setup.own_draft.lines.get(label="Aflastning").overhead_percent == D("7.5")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "-10"}, "amount", "Beløbet kan ikke være negativt."),
        ({"staff_costs": "-1.000"}, "staff_costs", "Beløbet kan ikke være negativt."),
        ({"occupancy_percent": "0"}, "occupancy_percent", "over 0 og højst 100"),
        ({"occupancy_percent": "120"}, "occupancy_percent", "over 0 og højst 100"),
        ({"amount": "mange"}, "amount", "er ikke et tal"),
        ({"amount": "12,345"}, "amount", "to decimaler"),
        ({"amount": ""}, "amount", "Skriv taksten."),
        ({"places": "0"}, "places", "mindst 1 plads"),
        ({"days": "400"}, "days", "højst 366 dage"),
        ({"overhead_percent": "140"}, "overhead_percent", "mellem 0 og 100"),
        ({"base_amount": "1000"}, "service_amount", "både grundtakst og ydelsestakst"),
        (
            {"base_amount": "1.000", "service_amount": "400"},
            "amount",
            "giver ikke taksten",
        ),
        ({"unit": ""}, "unit", "Vælg enheden."),
        ({"label": " "}, "label", "allerede en takst med denne ydelse"),
    ],
)
def test_a_bad_line_is_refused_in_danish_at_the_field(
    world: World, setup: Setup, overrides: dict[str, str], field: str, message: str
) -> None:
    before = snapshot()
    response = client_for(world.editor).post(
        reverse("tariffs:line_create", args=[setup.own_draft.pk]), line_post(**overrides)
    )
    assert_error_at(response, field, message)
    assert snapshot() == before


def test_editor_changes_and_deletes_a_line(world: World, setup: Setup) -> None:
    client = client_for(world.editor)
    line = setup.own_draft.lines.get()
    url = reverse("tariffs:line_edit", args=[setup.own_draft.pk, line.pk])
    html = html_of(client.get(url))
    assert 'value="2500000,00"' in html  # the basis, shown the Danish way
    assert client.post(url, line_post(amount="1.600,00")).status_code == 302
    line.refresh_from_db()
    assert line.amount == D("1600.00")
    response = client.post(reverse("tariffs:line_delete", args=[setup.own_draft.pk, line.pk]))
    assert response.status_code == 302
    assert not setup.own_draft.lines.exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"staff_costs": None}, "feltet »personaleudgifter (kr.)« mangler"),
        ({"places": None}, "feltet »pladser« mangler"),
        ({"amount": D("-5")}, "»takst (kr.)« kan ikke være negativ"),
        ({"occupancy_percent": D("0")}, "belægningsprocenten skal være over 0 og højst 100"),
        ({"occupancy_percent": D("120")}, "belægningsprocenten skal være over 0 og højst 100"),
    ],
)
def test_submitting_is_blocked_by_errors_which_are_listed(
    world: World, setup: Setup, line: dict[str, Any], message: str
) -> None:
    TariffLineFactory(sheet=setup.own_draft, label="Niveau 2", order=2, **line)
    before = snapshot()
    response = client_for(world.editor).post(reverse("tariffs:submit", args=[setup.own_draft.pk]))
    html = html_of(response)
    refused = html.split('id="submit-refused"', 1)[1].split("</ul>", 1)[0]
    assert message in refused
    assert snapshot() == before


def test_the_sheet_page_shows_errors_red_and_warnings_yellow(world: World, setup: Setup) -> None:
    TariffLineFactory(sheet=setup.own_draft, label="Niveau 2", staff_costs=None)
    TariffLineFactory(
        sheet=setup.own_draft, label="Niveau 3", occupancy_percent=D("80"), amount=D("9999")
    )
    html = html_of(client_for(world.editor).get(setup.own_draft.get_absolute_url()))
    errors = html.split('id="sheet-errors"', 1)[1].split("</div>", 1)[0]
    warnings = html.split('id="sheet-warnings"', 1)[1].split("</div>", 1)[0]
    assert "alert-error" in html.split('id="sheet-errors"', 1)[0].rsplit("<div", 1)[1]
    assert "mangler" in errors
    assert "belægningsprocenten 80" in warnings
    assert "afviger fra den beregnede" in warnings
    assert "Efterreguleringsmodellen fører" in html


def test_a_submitted_sheet_is_not_edited(world: World, setup: Setup) -> None:
    client = client_for(world.editor)
    client.post(reverse("tariffs:submit", args=[setup.own_draft.pk]))
    before = snapshot()
    response = client.post(
        reverse("tariffs:line_create", args=[setup.own_draft.pk]), line_post(label="Ny")
    )
    assert response.status_code == 302
    assert "kan ikke ændres" in messages_of(response)
    html = html_of(client.get(setup.own_draft.get_absolute_url()))
    assert "Tilføj takst" not in html
    assert snapshot() == before


# --- review --------------------------------------------------------------------------------------


def test_reviewers_see_submitted_sheets_with_their_warnings_and_the_offers_without_a_sheet(
    world: World, setup: Setup
) -> None:
    TariffLineFactory(sheet=setup.other_submitted, label="Niveau 2", occupancy_percent=D("80"))
    missing = OfferFactory(name="Uden Takst", operator_municipality=world.other_municipality)
    html = html_of(client_for(world.member_b).get(reverse("tariffs:review") + f"?aar={YEAR}"))
    queue = html.split('id="review-queue"', 1)[1].split("</table>", 1)[0]
    assert setup.other_submitted.offer.name in queue
    assert "belægningsprocenten 80" in queue
    assert setup.own_draft.offer.name not in queue
    without = html.split('id="covered-without-tariff"', 1)[1].split("</ul>", 1)[0]
    assert missing.name in without
    assert setup.other_approved.offer.name in html.split('id="approved-sheets"', 1)[1]


def test_the_review_queue_runs_a_fixed_number_of_queries(world: World, setup: Setup) -> None:
    """Every submitted sheet is checked (rules, last year, PL index, efterregulering) in a
    batch: ten more sheets in the queue cost no more queries."""
    client = client_for(world.staff)
    url = reverse("tariffs:review") + f"?aar={YEAR}"
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(10):
        offer = OfferFactory(name=f"Kø {n}", operator_municipality=world.other_municipality)
        TariffSheetFactory(offer=offer, year=YEAR, state=SheetState.SUBMITTED, lines=2)
        SettlementFactory(offer=offer, year=YEAR - 1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert "Kø 9" in html_of(response)
    assert len(many) == len(one)


def test_takstgruppen_returns_a_sheet_only_with_a_comment(world: World, setup: Setup) -> None:
    client = client_for(world.member_b)
    url = reverse("tariffs:review_sheet", args=[setup.other_submitted.pk])
    before = snapshot()
    response = client.post(url, {"return-comment": "  ", "return": "1"})
    assert_error_at(response, "return-comment", "Skriv, hvad der skal rettes.")
    assert snapshot() == before

    response = client.post(url, {"return-comment": "Belægningen er for lav.", "return": "1"})
    assert response.status_code == 302
    sheet = TariffSheet.objects.get(pk=setup.other_submitted.pk)
    assert sheet.state == SheetState.RETURNED
    assert sheet.reviewed_by == world.member_b
    assert sheet.review_comment == "Belægningen er for lav."


def test_the_editor_sees_the_return_comment_and_may_edit_again(world: World, setup: Setup) -> None:
    client = client_for(world.editor)
    client.post(reverse("tariffs:submit", args=[setup.own_draft.pk]))
    client_for(world.staff).post(
        reverse("tariffs:review_sheet", args=[setup.own_draft.pk]),
        {"return-comment": "Overhead skal være 6 %.", "return": "1"},
    )
    html = html_of(client.get(setup.own_draft.get_absolute_url()))
    comment = html.split('id="review-comment"', 1)[1]
    assert "Returneret af takstgruppen" in comment and "Overhead skal være 6 %." in comment
    assert "Tilføj takst" in html


def test_takstgruppen_approves_but_does_not_publish(world: World, setup: Setup) -> None:
    client = client_for(world.member_b)
    response = client.post(
        reverse("tariffs:review_sheet", args=[setup.other_submitted.pk]),
        {"approve-comment": "", "approve": "1"},
    )
    assert response.status_code == 302
    assert TariffSheet.objects.get(pk=setup.other_submitted.pk).state == SheetState.APPROVED
    before = snapshot()
    assert client.get(reverse("tariffs:publish")).status_code == 403
    assert client.post(reverse("tariffs:publish"), {"aar": YEAR}).status_code == 403
    assert snapshot() == before
    html = html_of(client.get(setup.other_approved.get_absolute_url()))
    assert "Offentliggør årets godkendte takster" not in html


def test_the_editor_cannot_approve_their_own_sheet(world: World, setup: Setup) -> None:
    client = client_for(world.editor)
    client.post(reverse("tariffs:submit", args=[setup.own_draft.pk]))
    before = snapshot()
    response = client.post(
        reverse("tariffs:review_sheet", args=[setup.own_draft.pk]),
        {"approve-comment": "fint", "approve": "1"},
    )
    assert response.status_code == 403
    assert snapshot() == before
    assert "Godkend eller returnér" not in html_of(client.get(setup.own_draft.get_absolute_url()))


def test_a_draft_cannot_be_approved(world: World, setup: Setup) -> None:
    before = snapshot()
    response = client_for(world.staff).post(
        reverse("tariffs:review_sheet", args=[setup.own_draft.pk]),
        {"approve-comment": "", "approve": "1"},
    )
    assert "kan ikke behandles" in html_of(response) or "kan ikke behandles" in messages_of(
        response
    )
    assert snapshot() == before


# --- publication ---------------------------------------------------------------------------------


def test_the_secretariat_publishes_a_year_after_seeing_what_will_be_published(
    world: World, setup: Setup
) -> None:
    client = client_for(world.staff)
    html = html_of(client.get(reverse("tariffs:publish") + f"?aar={YEAR}"))
    listed = html.split('id="to-publish"', 1)[1].split("</table>", 1)[0]
    assert setup.other_approved.offer.name in listed
    assert setup.other_submitted.offer.name not in listed
    assert "Indsendt: 1" in html  # not all sheets are approved

    response = client.post(reverse("tariffs:publish"), {"aar": YEAR})
    assert response.status_code == 302
    assert "1 takstblad for 2027 er offentliggjort" in messages_of(response)
    assert TariffSheet.objects.get(pk=setup.other_approved.pk).state == SheetState.PUBLISHED
    assert TariffSheet.objects.get(pk=setup.other_submitted.pk).state == SheetState.SUBMITTED
    assert TariffYear.objects.get(year=YEAR).published_at is not None

    response = client.post(reverse("tariffs:publish"), {"aar": YEAR})
    assert "ingen godkendte takstblade" in html_of(response)


# --- history and corrections ---------------------------------------------------------------------


def test_history_is_recorded_with_the_user_and_shown_to_the_secretariat_only(
    world: World, setup: Setup
) -> None:
    editor = client_for(world.editor)
    sheet = setup.own_draft
    line = sheet.lines.get()
    editor.post(
        reverse("tariffs:line_edit", args=[sheet.pk, line.pk]), line_post(amount="1.700,00")
    )
    editor.post(reverse("tariffs:submit", args=[sheet.pk]))

    last_line = line.history.latest("history_date")  # type: ignore[attr-defined]
    assert last_line.history_user == world.editor and last_line.amount == D("1700.00")
    last_sheet = sheet.history.latest("history_date")  # type: ignore[attr-defined]
    assert last_sheet.history_user == world.editor
    assert last_sheet.state == SheetState.SUBMITTED

    html = html_of(client_for(world.staff).get(sheet.get_absolute_url()))
    history = html.split('id="sheet-history"', 1)[1].split("</table>", 1)[0]
    assert "Redaktør" in history
    assert "Kladde → Indsendt" in history
    assert "1.700,00" in history
    assert "Ændringshistorik" not in html_of(editor.get(sheet.get_absolute_url()))
    assert "Ændringshistorik" not in html_of(
        client_for(world.member_b).get(sheet.get_absolute_url())
    )


def test_a_correction_is_a_new_version_and_replaces_the_published_one_when_published(
    world: World, setup: Setup
) -> None:
    staff = client_for(world.staff)
    published = setup.other_published
    url = reverse("tariffs:correct", args=[published.pk])
    before = snapshot()
    assert_error_at(staff.post(url, {"reason": ""}), "reason", "Skriv, hvorfor taksterne rettes.")
    assert snapshot() == before

    response = staff.post(url, {"reason": "Forkert belægning i budgettet."})
    correction = TariffSheet.objects.get(replaces=published)
    assert response["Location"] == correction.get_absolute_url()
    assert correction.version == 2 and correction.state == SheetState.DRAFT
    assert correction.lines.count() == published.lines.count()
    # The copied lines are in the history too.
    assert TariffLine.history.filter(sheet_id=correction.pk, history_type="+").count() == 1  # type: ignore[attr-defined]

    # The published version holds, visible to all, until the correction is published.
    public = html_of(Client().get(published.get_absolute_url()))
    assert "Offentliggjort" in public and "erstattet" not in public.lower()
    assert client_for(world.member_a).get(correction.get_absolute_url()).status_code == 404
    assert "En rettelse (version 2) er kladde" in html_of(staff.get(published.get_absolute_url()))
    assert "Ret de offentliggjorte takster" not in html_of(staff.get(published.get_absolute_url()))

    line = correction.lines.get()
    staff.post(reverse("tariffs:line_edit", args=[correction.pk, line.pk]), line_post())
    staff.post(reverse("tariffs:submit", args=[correction.pk]))
    staff.post(
        reverse("tariffs:review_sheet", args=[correction.pk]),
        {"approve-comment": "", "approve": "1"},
    )
    html = html_of(staff.get(reverse("tariffs:publish") + f"?aar={YEAR}"))
    assert "erstatter version 1" in html
    staff.post(reverse("tariffs:publish"), {"aar": YEAR})

    published.refresh_from_db()
    correction.refresh_from_db()
    assert published.state == SheetState.SUPERSEDED
    assert correction.state == SheetState.PUBLISHED
    old = html_of(staff.get(published.get_absolute_url()))
    assert "Erstattet af rettelse" in old and "Se de gældende takster" in old
    # The public is led from the old version to the one that holds, with why it was corrected.
    response = Client().get(published.get_absolute_url())
    assert response["Location"] == correction.get_absolute_url()
    new = html_of(Client().get(correction.get_absolute_url()))
    assert "Forkert belægning i budgettet." in new and "1.528,48 kr." in new


def test_the_editor_corrects_their_own_published_sheet(world: World, setup: Setup) -> None:
    setup.own_draft.state = SheetState.PUBLISHED
    setup.own_draft.published_at = timezone.now()
    setup.own_draft.save()
    response = client_for(world.editor).post(
        reverse("tariffs:correct", args=[setup.own_draft.pk]), {"reason": "Ny husleje."}
    )
    assert response.status_code == 302
    assert TariffSheet.objects.get(replaces=setup.own_draft).created_by == world.editor


def test_a_sheet_in_the_works_is_not_corrected(world: World, setup: Setup) -> None:
    before = snapshot()
    response = client_for(world.staff).post(
        reverse("tariffs:correct", args=[setup.own_draft.pk]), {"reason": "Hvorfor ikke."}
    )
    assert "Kun et offentliggjort takstblad" in html_of(response)
    assert snapshot() == before


# --- the tables ----------------------------------------------------------------------------------


def test_the_secretariat_keeps_the_pl_index(world: World) -> None:
    client = client_for(world.staff)
    response = client.post(
        reverse("tariffs:price_index_create"), {"year": "2027", "index": "104,3"}
    )
    assert response.status_code == 302
    assert PriceIndex.objects.get(year=2027).index == D("104.3")
    response = client.post(reverse("tariffs:price_index_create"), {"year": "2027", "index": "105"})
    assert_error_at(response, "year", "Der er allerede et indeks for 2027.")
    client.post(reverse("tariffs:price_index_create"), {"year": "2026", "index": "100"})
    html = html_of(client.get(reverse("tariffs:price_index")))
    assert "4,3 %" in html


def test_the_secretariat_sets_the_tariff_rules_of_a_period(world: World) -> None:
    period = AgreementPeriodFactory(region=world.municipality.region)
    client = client_for(world.staff)
    assert "Standardregler" in html_of(client.get(reverse("tariffs:rules")))
    url = reverse("tariffs:rules_edit", args=[period.pk])
    data = {
        "overhead_percent": "6,5",
        "settlement_next_year_percent": "5",
        "change_warning_percent": "5",
        "occupancy_warning_percent": "101",
    }
    assert_error_at(client.post(url, data), "occupancy_warning_percent", "højst være 100")
    response = client.post(url, {**data, "occupancy_warning_percent": "85"})
    assert response.status_code == 302
    assert TariffRules.objects.get(period=period).overhead_percent == D("6.5")


def test_the_secretariat_sets_a_years_deadline_in_danish_time(world: World) -> None:
    client = client_for(world.staff)
    response = client.post(
        reverse("tariffs:year_create"),
        {"year": "2028", "deadline_date": "2027-09-01", "deadline_time": "12:00"},
    )
    assert response.status_code == 302
    deadline = TariffYear.objects.get(year=2028).submission_deadline
    assert timezone.localtime(deadline).hour == 12
    assert deadline.utcoffset() is not None
    response = client.post(
        reverse("tariffs:year_create"),
        {"year": "2028", "deadline_date": "2027-09-01", "deadline_time": "12:00"},
    )
    assert_error_at(response, "year", "Takståret 2028 findes allerede.")
    assert "1. september 2027" in html_of(client.get(reverse("tariffs:years")))


# --- efterregulering -----------------------------------------------------------------------------


def test_editor_records_a_past_years_result_for_their_own_offer(world: World, setup: Setup) -> None:
    client = client_for(world.editor)
    html = html_of(client.get(reverse("tariffs:settlement_create") + f"?tilbud={setup.own.pk}"))
    assert "Aarhus Botilbud" not in html
    response = client.post(
        reverse("tariffs:settlement_create"),
        {
            "offer": setup.own.pk,
            "year": "2024",
            "budget": "3.500.000",
            "actual_revenue": "3.200.000",
            "actual_costs": "3.500.000",
        },
    )
    assert response.status_code == 302
    settlement = Settlement.objects.get(offer=setup.own, year=2024)
    assert settlement.next_year == D("175000.00")  # 5 % of the budget
    assert settlement.year_after == D("125000.00")
    assert "175.000,00 kr. indregnes i 2025" in messages_of(response)
    listing = html_of(client.get(reverse("tariffs:settlements")))
    assert "Bostedet Åparken" in listing and "Aarhus Botilbud" not in listing


def test_a_settlement_for_a_year_not_yet_closed_is_refused(world: World, setup: Setup) -> None:
    before = snapshot()
    response = client_for(world.editor).post(
        reverse("tariffs:settlement_create"),
        {
            "offer": setup.own.pk,
            "year": str(timezone.localdate().year),
            "budget": "0",
            "actual_revenue": "-1",
            "actual_costs": "1",
        },
    )
    assert_error_at(response, "year", "Regnskabsåret skal være afsluttet")
    assert_error_at(response, "actual_revenue", "Beløbet kan ikke være negativt.")
    assert snapshot() == before


# --- query counts --------------------------------------------------------------------------------


def test_the_sheet_page_runs_a_fixed_number_of_queries(world: World, setup: Setup) -> None:
    client = client_for(world.staff)
    url = setup.own_draft.get_absolute_url()
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(6):
        TariffLineFactory(sheet=setup.own_draft, label=f"Niveau {n}")
    client.post(
        reverse("tariffs:line_edit", args=[setup.own_draft.pk, setup.own_draft.lines.first().pk]),
        line_post(),
    )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)


def test_the_batched_check_finds_what_the_single_check_finds(world: World, setup: Setup) -> None:
    TariffLineFactory(sheet=setup.other_submitted, label="Niveau 2", occupancy_percent=D("80"))
    SettlementFactory(offer=setup.other_submitted.offer, year=YEAR - 1)
    sheets = list(
        TariffSheet.objects.select_related(
            "offer__operator_municipality", "offer__operator_region", "offer__location"
        ).prefetch_related("lines")
    )
    batched = services.sheets_check(sheets)
    for sheet in sheets:
        single = services.sheet_check(sheet)
        assert [(f.level, f.message) for f in batched[sheet.pk]] == [
            (f.level, f.message) for f in single
        ]
