"""The secretariat imports a year's tariffs from the sheet it uses today: every row is checked
and a bad one is named by row and column, a preview shows which sheets are created and which
tariffs are added or changed, the confirmed import is written all at once or not at all, only
sheets in draft or returned are written, and importing the same file again changes nothing."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from offers.models import ImportState, Offer
from tariffs.importers import build_plan, parse_decimal, tariff_import_apply, tariff_import_preview
from tariffs.models import (
    Service,
    SheetState,
    TariffImport,
    TariffLine,
    TariffRules,
    TariffSheet,
    Unit,
)
from tests.conftest import World
from tests.factories import RegionFactory
from tests.offer_factories import AgreementPeriodFactory, OfferFactory
from tests.tariff_factories import TariffLineFactory, TariffSheetFactory

pytestmark = pytest.mark.django_db

D = Decimal
YEAR = 2027

HEADER = [
    "Tilbudsportalen-id",
    "År",
    "Ydelse",
    "Betegnelse",
    "Enhed",
    "Takst",
    "Grundtakst",
    "Ydelsestakst",
    "Personaleudgifter",
    "Driftsudgifter",
    "Indirekte udgifter",
    "Bygninger",
    "Overhead %",
    "Pladser",
    "Dage",
    "Belægningsprocent",
    "Efterregulering",
]


def row(**overrides: Any) -> list[Any]:
    values = {
        "id": "1001",
        "year": YEAR,
        "service": "Døgnophold",
        "label": "",
        "unit": "pr. døgn",
        "amount": "1.528,48",
        "base": "",
        "part": "",
        "staff": "8.000.000",
        "operating": "1.000.000",
        "indirect": "500.000",
        "buildings": "500.000",
        "overhead": "6",
        "places": 20,
        "days": 365,
        "occupancy": "95",
        "settlement": "0",
    }
    values.update(overrides)
    return list(values.values())


def csv_bytes(rows: list[list[Any]], *, header: list[str] = HEADER, sep: str = ";") -> bytes:
    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return f'"{text}"' if sep in text or '"' in text else text

    lines = [sep.join(cell(v) for v in r) for r in [header, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in [HEADER, *rows]:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def staff(world: World) -> Client:
    client = Client()
    client.force_login(world.staff)
    return client


def upload(client: Client, data: bytes, *, year: int = YEAR, name: str = "takster.csv") -> Any:
    return client.post(
        reverse("tariffs:import"), {"year": str(year), "file": SimpleUploadedFile(name, data)}
    )


def apply(client: Client, job: TariffImport, capture: Any) -> TariffImport:
    with capture(execute=True):
        response = client.post(reverse("tariffs:import_job", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def written() -> tuple[Any, ...]:
    return (
        list(TariffSheet.objects.order_by("pk").values()),
        list(TariffLine.objects.order_by("pk").values()),
        TariffSheet.history.count(),  # type: ignore[attr-defined]
        TariffLine.history.count(),  # type: ignore[attr-defined]
    )


@pytest.fixture
def offers(world: World) -> dict[str, Offer]:
    return {
        "aparken": OfferFactory(
            name="Bostedet Åparken",
            tilbudsportalen_id="1001",
            operator_municipality=world.municipality,
        ),
        "aarhus": OfferFactory(
            name="Aarhus Botilbud",
            tilbudsportalen_id="2002",
            operator_municipality=world.other_municipality,
        ),
        "region": OfferFactory(
            name="Sødisbakke",
            tilbudsportalen_id="3003",
            operator_municipality=None,
            operator_region=RegionFactory(),
            location=world.other_municipality,
        ),
    }


# --- a good file ---------------------------------------------------------------------------------


def test_a_file_is_previewed_then_imported_through_the_services(
    world: World, offers: dict[str, Offer], django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(world)
    data = csv_bytes(
        [
            row(),
            row(label="Niveau 2", amount="2.000,00", service="Døgnophold"),
            row(id="3003", service="Aflastning", unit="døgn", amount="1.528,48"),
        ]
    )
    before = written()
    response = upload(client, data)
    job = TariffImport.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert written() == before  # the preview writes nothing but the import itself

    html = client.get(job.get_absolute_url()).content.decode()
    assert "2 nye takstblade, 3 nye takster, 0 ændrede, 0 uændrede" in html
    assert "Sødisbakke" in html.split('id="import-sheets"', 1)[1].split("</ul>", 1)[0]

    job = apply(client, job, django_capture_on_commit_callbacks)
    assert job.state == ImportState.DONE
    assert job.result == {"sheets": 2, "added": 3, "changed": 0, "unchanged": 0}
    assert job.processed == job.total == 3
    sheet = TariffSheet.objects.get(offer=offers["aparken"], year=YEAR)
    assert sheet.state == SheetState.DRAFT
    assert sheet.created_by == world.staff
    line = sheet.lines.get(label="")
    assert line.amount == D("1528.48")
    assert line.staff_costs == D("8000000")
    assert line.places == 20 and line.occupancy_percent == D("95")
    regional = TariffSheet.objects.get(offer=offers["region"]).lines.get()
    assert (regional.service, regional.unit) == (Service.RESPITE, Unit.DAY_NIGHT)
    # The history says who imported.
    assert {h.history_user for h in TariffLine.history.all()} == {world.staff}  # type: ignore[attr-defined]
    assert "Importen er gennemført" in client.get(job.get_absolute_url()).content.decode()


def test_importing_the_same_file_again_changes_nothing(
    world: World, offers: dict[str, Offer], django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(world)
    # An empty overhead is the period's rule, both times.
    data = csv_bytes([row(overhead=""), row(id="2002", label="Niveau 1")])
    upload(client, data)
    apply(client, TariffImport.objects.get(), django_capture_on_commit_callbacks)
    assert TariffLine.objects.get(sheet__offer=offers["aparken"]).overhead_percent == D("6")
    before = written()

    upload(client, data)
    second = TariffImport.objects.latest("pk")
    html = client.get(second.get_absolute_url()).content.decode()
    assert "0 nye takstblade, 0 nye takster, 0 ændrede, 2 uændrede" in html
    assert 'id="import-nothing"' in html
    # Even applied, it writes nothing (not even history).
    TariffImport.objects.filter(pk=second.pk).update(
        state=ImportState.QUEUED, applied_by=world.staff
    )
    job = tariff_import_apply(job_id=second.pk)
    assert job is not None and job.state == ImportState.DONE
    assert job.result == {"sheets": 0, "added": 0, "changed": 0, "unchanged": 2}
    assert written() == before


def test_a_changed_file_changes_the_lines_it_names_and_leaves_the_rest(
    world: World, offers: dict[str, Offer], django_capture_on_commit_callbacks: Any
) -> None:
    sheet = TariffSheetFactory(offer=offers["aparken"], year=YEAR, state=SheetState.RETURNED)
    TariffLineFactory(sheet=sheet, label="Niveau 1", amount=D("1000"))
    kept = TariffLineFactory(sheet=sheet, label="Aflastning", amount=D("500"))
    client = staff(world)
    # Without the basis columns: an existing line keeps its basis.
    header = ["Tilbudsportalen-id", "År", "Ydelse", "Betegnelse", "Enhed", "Takst"]
    data = csv_bytes(
        [["1001", YEAR, "Døgnophold", "niveau 1", "pr. døgn", "1.100,00"]], header=header
    )
    upload(client, data)
    job = TariffImport.objects.get()
    html = client.get(job.get_absolute_url()).content.decode()
    changed = html.split('id="import-changed"', 1)[1].split("</table>", 1)[0]
    assert "Takst" in changed and "1.000,00" in changed and "1.100,00" in changed

    apply(client, job, django_capture_on_commit_callbacks)
    line = sheet.lines.get(label="Niveau 1")
    assert line.amount == D("1100.00")
    assert line.staff_costs == D("2500000.00")  # untouched
    kept.refresh_from_db()
    assert kept.amount == D("500")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.RETURNED


def test_an_xlsx_file_with_numbers_as_numbers_is_read(
    world: World, offers: dict[str, Offer], django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(world)
    data = xlsx_bytes(
        [
            row(
                amount=1528.48,
                staff=8000000,
                operating=1000000.0,
                indirect=500000,
                buildings=500000,
                overhead=6,
                occupancy=95.0,
                settlement=None,
                label=None,
            )
        ]
    )
    upload(client, data, name="takster.xlsx")
    job = TariffImport.objects.get()
    assert job.file_format == "xlsx"
    apply(client, job, django_capture_on_commit_callbacks)
    line = TariffLine.objects.get()
    assert line.amount == D("1528.48") and line.operating_costs == D("1000000")


def test_a_correction_in_draft_is_written_but_the_published_version_is_not(
    world: World, offers: dict[str, Offer], django_capture_on_commit_callbacks: Any
) -> None:
    published = TariffSheetFactory(
        offer=offers["aparken"], year=YEAR, state=SheetState.PUBLISHED, lines=1
    )
    correction = TariffSheetFactory(
        offer=offers["aparken"], year=YEAR, version=2, replaces=published, lines=1
    )
    client = staff(world)
    upload(client, csv_bytes([row(amount="1.100,00")]))
    apply(client, TariffImport.objects.get(), django_capture_on_commit_callbacks)
    assert correction.lines.get().amount == D("1100.00")
    assert published.lines.get().amount != D("1100.00")


# --- bad files -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"amount": "-5"}, "Takst", "kan ikke være negativt"),
        ({"staff": "-1.000"}, "Personaleudgifter", "kan ikke være negativt"),
        ({"occupancy": "0"}, "Belægningsprocent", "over 0 og højst 100"),
        ({"occupancy": "120"}, "Belægningsprocent", "højst være 100"),
        ({"amount": "mange"}, "Takst", "er ikke et tal"),
        ({"amount": "1,234"}, "Takst", "mere end to decimaler"),
        ({"amount": ""}, "Takst", "Feltet skal udfyldes."),
        ({"unit": "pr. uge"}, "Enhed", "er ikke en enhed"),
        ({"service": "Kørsel"}, "Ydelse", "er ikke en ydelse"),
        ({"year": "2026"}, "År", "du importerer takster for 2027"),
        ({"places": "2,5"}, "Pladser", "ikke et helt antal pladser"),
        ({"days": "400"}, "Dage", "ikke et sandsynligt antal"),
        ({"id": "9999"}, "Tilbudsportalen-id", "intet tilbud med Tilbudsportalen-id »9999«"),
        ({"base": "1.000"}, "Ydelsestakst", "både grundtakst og ydelsestakst"),
        ({"base": "1.000", "part": "1"}, "Takst", "giver 1.001,00, ikke taksten"),
    ],
)
def test_a_bad_row_is_named_by_row_and_column_and_nothing_is_written(
    world: World, offers: dict[str, Offer], overrides: dict[str, Any], column: str, message: str
) -> None:
    client = staff(world)
    before = written()
    response = upload(client, csv_bytes([row(id="2002"), row(**overrides)]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Filen blev ikke importeret" in html
    errors = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    assert "<td>3</td>" in errors, errors  # row 3 of the sheet: the header is row 1
    assert f"<td>{column}</td>" in errors, errors
    assert message in errors, errors
    assert "<td>2</td>" not in errors
    assert not TariffImport.objects.exists()
    assert written() == before


def test_a_duplicate_row_names_the_first(world: World, offers: dict[str, Offer]) -> None:
    response = upload(staff(world), csv_bytes([row(), row(label=" "), row(label="Niveau 2")]))
    assert "står også i række 2" in response.content.decode()
    assert not TariffImport.objects.exists()


def test_a_missing_column_is_named(world: World, offers: dict[str, Offer]) -> None:
    header = [h for h in HEADER if h != "Enhed"]
    data = csv_bytes(
        [[v for h, v in zip(HEADER, row(), strict=True) if h != "Enhed"]], header=header
    )
    html = upload(staff(world), data).content.decode()
    assert "Kolonnen mangler i filen." in html and "Enhed" in html


@pytest.mark.parametrize(
    ("state", "why"),
    [
        (SheetState.SUBMITTED, "er indsendt og kan ikke ændres ved import"),
        (SheetState.APPROVED, "er godkendt og kan ikke ændres ved import"),
        (SheetState.PUBLISHED, "er offentliggjort og kan ikke ændres ved import"),
    ],
)
def test_a_row_for_a_sheet_out_of_the_editors_hands_is_an_error_saying_why(
    world: World, offers: dict[str, Offer], state: str, why: str
) -> None:
    TariffSheetFactory(offer=offers["aparken"], year=YEAR, state=state, lines=1)
    before = written()
    response = upload(staff(world), csv_bytes([row(id="2002"), row()]))
    errors = response.content.decode().split('id="import-errors"', 1)[1]
    assert why in errors and "Bostedet Åparken" in errors
    assert written() == before
    assert not TariffImport.objects.exists()


def test_the_import_is_all_or_nothing_when_the_database_has_moved_since_the_preview(
    world: World, offers: dict[str, Offer], django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(world)
    sheet = TariffSheetFactory(offer=offers["aparken"], year=YEAR, lines=1)
    upload(client, csv_bytes([row(id="2002"), row(id="3003"), row(amount="1.100,00")]))
    job = TariffImport.objects.get()
    sheet.state = SheetState.SUBMITTED  # submitted after the preview
    sheet.submitted_at = sheet.created_at
    sheet.save()
    before = written()
    job = apply(client, job, django_capture_on_commit_callbacks)
    assert job.state == ImportState.FAILED
    assert written() == before
    html = client.get(job.get_absolute_url()).content.decode()
    assert "Importen blev ikke gennemført" in html and "er indsendt" in html


def test_a_running_import_shows_its_progress_and_htmx_reloads_when_done(
    world: World, offers: dict[str, Offer], django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(world)
    upload(client, csv_bytes([row()]))
    job = TariffImport.objects.get()
    TariffImport.objects.filter(pk=job.pk).update(state=ImportState.RUNNING, processed=0)
    html = client.get(job.get_absolute_url()).content.decode()
    assert 'id="import-progress"' in html and 'http-equiv="refresh"' in html
    partial = client.get(job.get_absolute_url(), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in partial.content.decode()
    TariffImport.objects.filter(pk=job.pk).update(state=ImportState.DONE)
    done = client.get(job.get_absolute_url(), headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_only_the_secretariat_imports(world: World, offers: dict[str, Offer]) -> None:
    for user in (world.editor, world.member_a, world.member_b):
        with pytest.raises(PermissionDenied):
            tariff_import_preview(
                upload=SimpleUploadedFile("t.csv", csv_bytes([row()])), year=YEAR, by=user
            )
    assert not TariffImport.objects.exists()


# --- reading numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2.345,50", D("2345.50")),
        ("2345,5", D("2345.5")),
        ("2 345,50 kr.", D("2345.50")),
        ("-1.000", D("-1000")),
        ("1.500", D("1500")),
        ("1.5", D("1.5")),
        ("2345.50", D("2345.50")),
        ("95 %", D("95")),
        ("", None),
    ],
)
def test_numbers_are_read_as_a_dane_writes_them(text: str, value: Decimal | None) -> None:
    assert parse_decimal(text) == value


def test_the_overhead_default_is_the_rule_of_the_offers_period(
    world: World, offers: dict[str, Offer]
) -> None:
    period = AgreementPeriodFactory(
        region=world.municipality.region,
        start_date=datetime.date(YEAR, 1, 1),
        end_date=datetime.date(YEAR + 1, 12, 31),
    )
    TariffRules.objects.create(period=period, overhead_percent=D("7"))
    plan = build_plan(csv_bytes([row(overhead="")]), year=YEAR)
    assert plan.ok, plan.errors
    assert plan.rows[0].values["overhead_percent"] == D("7")
