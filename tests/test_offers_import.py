"""The secretariat imports offers from a Tilbudsportalen-like export: every row is checked, a
preview shows what will be created and changed, the confirmed import is written all at once or
not at all, and importing the same file again changes nothing."""

from __future__ import annotations

import datetime
import io
import zipfile
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from offers import importers, rules
from offers.importers import apply_plan, build_plan, offer_import_apply
from offers.models import (
    Area,
    Capacity,
    ImportJob,
    ImportState,
    LegalBasis,
    Offer,
    OfferType,
)
from organizations.models import Region
from tests.conftest import World
from tests.offer_factories import LegalBasisFactory, OfferFactory, TargetGroupFactory

HEADER = [
    "Tilbudsportalen-id",
    "Navn",
    "Driftsherre",
    "Beliggenhedskommune",
    "Adresse",
    "Postnr",
    "By",
    "Område",
    "Tilbudstype",
    "Paragraffer",
    "Målgrupper",
    "Pladser",
]


def rows_of(*rows: list[Any]) -> list[list[Any]]:
    return [HEADER, *rows]


def csv_bytes(rows: list[list[Any]], *, sep: str = ";", bom: bool = False) -> bytes:
    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return f'"{text}"' if sep in text or '"' in text else text

    text = "\r\n".join(sep.join(cell(value) for value in row) for row in rows) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client: Client, data: bytes, name: str = "tilbud.csv") -> Any:
    return client.post(reverse("offers:import"), {"file": SimpleUploadedFile(name, data)})


def staff(world: World) -> Client:
    client = Client()
    client.force_login(world.staff)
    return client


@pytest.fixture
def tables(world: World) -> dict[str, Any]:
    return {
        "sel107": LegalBasisFactory(law="SEL", paragraph="107"),
        "sel108": LegalBasisFactory(law="SEL", paragraph="108"),
        "bl43": LegalBasisFactory(law="BL", paragraph="43, stk. 3"),
        "udv": TargetGroupFactory(name="Voksne med udviklingshæmning"),
        "psyk": TargetGroupFactory(name="Voksne med sindslidelse"),
    }


def aparken(**overrides: Any) -> list[Any]:
    row = {
        "id": "1001",
        "name": "Bostedet Åparken",
        "operator": "Viborg Kommune",
        "location": "791",
        "address": "Åvej 4",
        "postal": "8800",
        "city": "Viborg",
        "area": "Voksne",
        "type": "Botilbud",
        "bases": "SEL § 107; SEL § 108",
        "groups": "Voksne med udviklingshæmning",
        "places": 24,
    }
    row.update(overrides)
    return list(row.values())


def sodisebakke(**overrides: Any) -> list[Any]:
    row = {
        "id": "2002",
        "name": "Sødisebakke",
        "operator": "Region Midtjylland",
        "location": "Aarhus Kommune",
        "address": "Sødisvej 1",
        "postal": "8000",
        "city": "Aarhus C",
        "area": "Voksne",
        "type": "Døgntilbud",
        "bases": "Serviceloven §108",
        "groups": "Voksne med udviklingshæmning; Voksne med sindslidelse",
        "places": "30",
    }
    row.update(overrides)
    return list(row.values())


def apply(client: Client, job: ImportJob, django_capture_on_commit_callbacks: Any) -> ImportJob:
    """Confirm the preview; the Celery task runs in-process when the request commits."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("offers:import_job", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


# --- a valid file: preview, then apply ---------------------------------------------------------


def test_a_new_file_is_previewed_then_applied(
    world: World, tables: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(world)
    data = csv_bytes(rows_of(aparken(), sodisebakke()))
    response = upload(client, data)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("offers:import_job", args=[job.pk])
    assert job.state == ImportState.PREVIEW
    assert Offer.objects.count() == 0  # a preview writes no offers

    html = client.get(response["Location"]).content.decode()
    assert "2 nye, 0 ændrede, 0 uændrede" in html
    created = html.split('id="import-created"')[1].split("</table>")[0]
    assert "Bostedet Åparken" in created and "Sødisebakke" in created
    assert "Region Midtjylland" in created

    job = apply(client, job, django_capture_on_commit_callbacks)
    assert job.state == ImportState.DONE
    assert job.result == {"created": 2, "changed": 0, "unchanged": 0}
    assert (job.processed, job.total) == (2, 2)
    assert job.applied_by == world.staff

    aparken_offer = Offer.objects.get(tilbudsportalen_id="1001")
    assert aparken_offer.operator_municipality == world.municipality
    assert aparken_offer.location == world.municipality
    assert aparken_offer.area == Area.ADULTS and aparken_offer.offer_type == OfferType.HOUSING
    assert set(aparken_offer.legal_bases.all()) == {tables["sel107"], tables["sel108"]}
    assert list(aparken_offer.target_groups.all()) == [tables["udv"]]
    row = Capacity.objects.get(offer=aparken_offer)
    assert (row.places, row.valid_from) == (24, timezone.localdate())

    regional = Offer.objects.get(tilbudsportalen_id="2002")
    assert regional.operator_region == Region.objects.get(name="Region Midtjylland")
    assert regional.location == world.other_municipality
    assert list(regional.legal_bases.all()) == [tables["sel108"]]

    page = client.get(reverse("offers:import_job", args=[job.pk])).content.decode()
    assert "Importen er gennemført" in page
    assert "2 nye, 0 ændrede, 0 uændrede tilbud" in page


def test_the_same_file_twice_changes_nothing(
    world: World, tables: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(world)
    data = csv_bytes(rows_of(aparken(), sodisebakke()))
    upload(client, data)
    apply(client, ImportJob.objects.get(), django_capture_on_commit_callbacks)
    offers_before = list(Offer.objects.order_by("pk").values())
    capacity_before = list(Capacity.objects.order_by("pk").values())

    response = upload(client, data)
    second = ImportJob.objects.latest("pk")
    html = client.get(response["Location"]).content.decode()
    assert "0 nye, 0 ændrede, 2 uændrede" in html
    assert "Filen ændrer intet" in html
    assert second.preview["unchanged"] and not second.preview["changed"]

    # Applying it anyway (a second click, a retried task) writes nothing.
    second = apply(client, second, django_capture_on_commit_callbacks)
    assert second.result == {"created": 0, "changed": 0, "unchanged": 2}
    assert list(Offer.objects.order_by("pk").values()) == offers_before
    assert list(Capacity.objects.order_by("pk").values()) == capacity_before


def test_the_preview_lists_created_changed_and_unchanged_offers(
    world: World, tables: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    today = timezone.localdate()
    existing = OfferFactory(
        tilbudsportalen_id="1001",
        name="Bostedet Åparken",
        operator_municipality=world.municipality,
        location=world.municipality,
        address="Gammel Vej 1",
        postal_code="8800",
        city="Viborg",
        area=Area.ADULTS,
        offer_type=OfferType.HOUSING,
        legal_bases=[tables["sel107"], tables["sel108"]],
        target_groups=[tables["udv"]],
        places=20,
    )
    unchanged = OfferFactory(
        tilbudsportalen_id="3003",
        name="Danahus",
        operator_municipality=world.municipality,
        location=world.municipality,
        address="Danavej 2",
        postal_code="8800",
        city="Viborg",
        area=Area.CHILDREN,
        offer_type=OfferType.RESIDENTIAL,
        legal_bases=[tables["bl43"]],
        places=6,
    )
    danahus = aparken(
        id="3003",
        name="Danahus",
        address="Danavej 2",
        area="Børn og unge",
        type="Døgntilbud",
        bases="Barnets lov § 43, stk. 3",
        groups="",
        places=6,
    )
    client = staff(world)
    data = csv_bytes(rows_of(aparken(address="Åvej 4"), sodisebakke(), danahus))
    response = upload(client, data)
    html = client.get(response["Location"]).content.decode()
    assert "1 nye, 1 ændrede, 1 uændrede" in html
    changed = html.split('id="import-changed"')[1].split("</table>")[0]
    assert "Gammel Vej 1" in changed and "Åvej 4" in changed
    assert "Pladser" in changed and "20" in changed and "24 fra" in changed
    assert "Danahus" in html.split('id="import-unchanged"')[1]

    apply(client, ImportJob.objects.get(), django_capture_on_commit_callbacks)
    existing.refresh_from_db()
    assert existing.address == "Åvej 4"
    # A changed number of places is a new row from the import date; the old one is kept.
    rows: list[Any] = list(Capacity.objects.filter(offer=existing).order_by("valid_from"))
    assert [(r.places, r.valid_from) for r in rows] == [
        (20, datetime.date(2024, 1, 1)),
        (24, today),
    ]
    assert rules.places_on(rows, today - datetime.timedelta(days=1)) == 20
    assert rules.places_on(rows, today) == 24
    unchanged.refresh_from_db()
    assert Capacity.objects.filter(offer=unchanged).count() == 1


def test_a_column_left_out_leaves_the_field_as_it_is(world: World, tables: dict[str, Any]) -> None:
    OfferFactory(
        tilbudsportalen_id="1001",
        name="Bostedet Åparken",
        operator_municipality=world.municipality,
        location=world.municipality,
        address="Åvej 4",
        legal_bases=[tables["sel107"], tables["sel108"]],
        target_groups=[tables["psyk"]],
        places=24,
    )
    header = [h for h in HEADER if h not in ("Adresse", "Postnr", "By", "Målgrupper")]
    row = [v for h, v in zip(HEADER, aparken(), strict=True) if h in header]
    plan = build_plan(csv_bytes([header, row]), today=timezone.localdate())
    assert plan.ok, plan.errors
    assert [p.changes for p in plan.rows] == [[]]


# --- bad files write nothing -------------------------------------------------------------------


def test_bad_rows_write_nothing_and_name_row_and_column(
    world: World, tables: dict[str, Any]
) -> None:
    client = staff(world)
    data = csv_bytes(
        rows_of(
            aparken(),
            sodisebakke(places="mange"),
            aparken(id="1003", name="", bases="SEL § 999"),
            aparken(id="1001", operator="Atlantis Kommune", postal="88"),
            aparken(id="", area="Ældre", type="Villa"),
        )
    )
    response = upload(client, data)
    assert response.status_code == 200
    assert Offer.objects.count() == 0
    assert ImportJob.objects.count() == 0
    html = response.content.decode()
    assert "Intet er gemt" in html
    assert "Der er fejl i 4 rækker" in html

    plan = build_plan(data, today=timezone.localdate())
    messages = [str(error) for error in plan.errors]
    assert any(m.startswith("Række 3, kolonne 'Pladser': »mange«") for m in messages)
    assert any(m.startswith("Række 4, kolonne 'Navn'") for m in messages)
    assert any(
        m.startswith("Række 4, kolonne 'Paragraffer': »SEL § 999« findes ikke") for m in messages
    )
    assert any(
        m.startswith("Række 5, kolonne 'Tilbudsportalen-id'") and "række 2" in m for m in messages
    )
    assert any(m.startswith("Række 5, kolonne 'Driftsherre'") for m in messages)
    assert any(m.startswith("Række 5, kolonne 'Postnr'") for m in messages)
    assert any(m.startswith("Række 6, kolonne 'Tilbudsportalen-id'") for m in messages)
    assert any(m.startswith("Række 6, kolonne 'Område'") for m in messages)
    assert any(m.startswith("Række 6, kolonne 'Tilbudstype'") for m in messages)
    table = html.split('id="import-errors"')[1].split("</table>")[0]
    assert "Pladser" in table and "»mange« er ikke et helt antal pladser" in table


def test_a_missing_column_is_named(world: World, tables: dict[str, Any]) -> None:
    header = [h for h in HEADER if h != "Pladser"]
    response = upload(staff(world), csv_bytes([header, aparken()[:-1]]))
    assert response.status_code == 200
    assert "Pladser" in response.content.decode()
    assert "Kolonnen mangler i filen." in response.content.decode()
    assert Offer.objects.count() == 0


def test_the_operator_of_a_known_offer_is_not_changed_by_an_import(
    world: World, tables: dict[str, Any]
) -> None:
    OfferFactory(tilbudsportalen_id="1001", operator_municipality=world.other_municipality)
    plan = build_plan(csv_bytes(rows_of(aparken())), today=timezone.localdate())
    assert [str(e) for e in plan.errors] == [
        "Række 2, kolonne 'Driftsherre': Tilbuddet drives i portalen af Aarhus Kommune, ikke "
        "Viborg Kommune. Et skift af driftsherre registreres som en ændring på tilbuddets "
        "side, ikke ved import."
    ]


def test_a_file_that_went_bad_before_it_was_applied_writes_nothing(
    world: World, tables: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(world)
    upload(client, csv_bytes(rows_of(aparken(), sodisebakke())))
    job = ImportJob.objects.get()
    # Between the preview and the import, SEL § 108 is taken out of use.
    LegalBasis.objects.filter(pk=tables["sel108"].pk).update(is_active=False)

    job = apply(client, job, django_capture_on_commit_callbacks)
    assert job.state == ImportState.FAILED
    assert Offer.objects.count() == 0
    assert any(e["column"] == "Paragraffer" for e in job.errors)
    html = client.get(reverse("offers:import_job", args=[job.pk])).content.decode()
    assert "Importen blev ikke gennemført" in html and "SEL § 108" in html


def test_places_already_registered_today_are_not_overwritten(
    world: World, tables: dict[str, Any]
) -> None:
    today = timezone.localdate()
    offer = OfferFactory(
        tilbudsportalen_id="1001",
        operator_municipality=world.municipality,
        location=world.municipality,
        legal_bases=[tables["sel107"], tables["sel108"]],
        places=24,
        places__from=today,
    )
    plan = build_plan(csv_bytes(rows_of(sodisebakke(), aparken(places=30))), today=today)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "Pladser")]
    assert Capacity.objects.filter(offer=offer).count() == 1


def test_the_writes_are_all_or_nothing(
    world: World, tables: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row refused at the last moment undoes the rows written before it, and the refusal is
    reported at its row and column."""
    OfferFactory(
        tilbudsportalen_id="1001",
        name="Gammelt navn",
        operator_municipality=world.municipality,
        location=world.municipality,
        legal_bases=[tables["sel107"], tables["sel108"]],
    )
    plan = build_plan(csv_bytes(rows_of(sodisebakke(), aparken())), today=timezone.localdate())
    assert plan.ok

    def refuse(**kwargs: Any) -> Offer:
        raise ValidationError({"name": "Navnet er optaget."})

    monkeypatch.setattr(importers, "offer_update", refuse)
    assert apply_plan(plan, by=world.staff) == {}
    assert [str(e) for e in plan.errors] == ["Række 3, kolonne 'Navn': Navnet er optaget."]
    assert not Offer.objects.filter(tilbudsportalen_id="2002").exists()  # row 2 was undone


# --- formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tilbud.csv", csv_bytes(rows_of(aparken(), sodisebakke()), sep=";")),
        ("tilbud.csv", csv_bytes(rows_of(aparken(), sodisebakke()), sep=",")),
        ("tilbud.csv", csv_bytes(rows_of(aparken(), sodisebakke()), sep=";", bom=True)),
        ("tilbud.csv", csv_bytes(rows_of(aparken(), sodisebakke()), sep=",", bom=True)),
        ("tilbud.xlsx", xlsx_bytes(rows_of(aparken(), sodisebakke()))),
        ("tilbud.txt", xlsx_bytes(rows_of(aparken(), sodisebakke()))),  # decided by content
    ],
    ids=["semicolon", "comma", "semicolon-bom", "comma-bom", "xlsx", "xlsx-renamed"],
)
def test_csv_and_xlsx_are_read_alike(
    world: World, tables: dict[str, Any], name: str, data: bytes
) -> None:
    response = upload(staff(world), data, name)
    assert response.status_code == 302, response.content.decode()
    job = ImportJob.objects.get()
    assert job.file_format == ("xlsx" if data.startswith(b"PK") else "csv")
    assert [row["name"] for row in job.preview["created"]] == ["Bostedet Åparken", "Sødisebakke"]
    assert [row["places"] for row in job.preview["created"]] == [24, 30]


def test_xlsx_numbers_and_row_numbers_are_the_sheets(world: World, tables: dict[str, Any]) -> None:
    data = xlsx_bytes(
        [
            [],  # an empty first row: the header is row 2
            HEADER,
            aparken(id=1001, postal=8800, places=24.0),
            aparken(id=1002, places="x"),
        ]
    )
    plan = build_plan(data, today=timezone.localdate())
    assert [str(e) for e in plan.errors] == [
        "Række 4, kolonne 'Pladser': »x« er ikke et helt antal pladser. Skriv et tal, fx 12."
    ]
    plan = build_plan(
        xlsx_bytes([HEADER, aparken(id=1001, postal=8800, places=24.0)]),
        today=timezone.localdate(),
    )
    assert plan.ok
    assert plan.rows[0].row.tilbudsportalen_id == "1001"
    assert plan.rows[0].row.postal_code == "8800"
    assert plan.rows[0].row.places == 24


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("tilbud.csv", PNG, "Filen er en PNG-fil"),
        ("tilbud.xlsx", PNG, "Filen er en PNG-fil"),
        ("tilbud.xlsx", _docx(), "Filen er en Word-fil"),
        ("tilbud.xlsx", b"PK\x03\x04" + b"\x00" * 40, "ZIP-fil, men ikke et Excel-regneark"),
        ("tilbud.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "gamle Excel-format"),
        ("tilbud.csv", b"%PDF-1.7\n" + b"\x00" * 40, "Filen er en PDF-fil"),
        ("tilbud.csv", "Navn;Pladser\nÅparken;3\n".encode("latin-1"), "UTF-8"),
    ],
    ids=["png-as-csv", "png-as-xlsx", "docx-as-xlsx", "bare-zip", "xls", "pdf", "latin-1"],
)
def test_a_file_is_judged_by_its_content(
    world: World, tables: dict[str, Any], name: str, data: bytes, message: str
) -> None:
    response = upload(staff(world), data, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0 and Offer.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(
    world: World, tables: dict[str, Any], settings: Any
) -> None:
    settings.IMPORT_MAX_BYTES = 1024
    data = csv_bytes(rows_of(*[aparken(id=str(5000 + n)) for n in range(40)]))
    response = upload(staff(world), data)
    assert response.status_code == 200
    assert "Filen er for stor" in response.content.decode()
    assert ImportJob.objects.count() == 0


# --- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("SEL § 108", ["sel108"]),
        ("SEL §108", ["sel108"]),
        ("sel 108", ["sel108"]),
        ("Serviceloven § 108", ["sel108"]),
        ("servicelovens § 107 | SEL § 108", ["sel107", "sel108"]),
        ("Barnets lov § 43, stk. 3", ["bl43"]),
        ("BL §43 stk 3", ["bl43"]),
        ("barnets lov 43, stk.3", ["bl43"]),
        ("§ 107", ["sel107"]),
        ("SEL § 107;SEL § 107", ["sel107"]),
    ],
)
def test_paragraphs_are_matched_tolerantly(
    world: World, tables: dict[str, Any], cell: str, expected: list[str]
) -> None:
    plan = build_plan(csv_bytes(rows_of(aparken(bases=cell))), today=timezone.localdate())
    assert plan.ok, [str(e) for e in plan.errors]
    assert list(plan.rows[0].row.legal_bases) == [tables[name] for name in expected]


def test_an_ambiguous_paragraph_asks_for_the_law(world: World, tables: dict[str, Any]) -> None:
    LegalBasisFactory(law="ABL", paragraph="108")
    plan = build_plan(csv_bytes(rows_of(aparken(bases="§ 108"))), today=timezone.localdate())
    assert len(plan.errors) == 1
    assert "Skriv loven med" in str(plan.errors[0])


def test_unknown_target_groups_are_named(world: World, tables: dict[str, Any]) -> None:
    plan = build_plan(
        csv_bytes(rows_of(aparken(groups="Voksne med udviklingshæmning; Ukendt gruppe"))),
        today=timezone.localdate(),
    )
    assert [str(e) for e in plan.errors] == [
        "Række 2, kolonne 'Målgrupper': Målgruppen »Ukendt gruppe« findes ikke i portalens "
        "liste over målgrupper."
    ]


# --- progress ----------------------------------------------------------------------------------


def test_a_running_import_refreshes_itself(world: World, tables: dict[str, Any]) -> None:
    client = staff(world)
    upload(client, csv_bytes(rows_of(aparken(), sodisebakke())))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportState.RUNNING, started_at=timezone.now(), processed=1
    )
    url = reverse("offers:import_job", args=[job.pk])
    html = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{url}"' in html
    assert '<meta http-equiv="refresh"' in html  # without JavaScript
    assert "1 af 2" in html

    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert 'id="import-progress"' in fragment.content.decode()

    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.DONE, result={"created": 2})
    done = client.get(url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"
    page = client.get(url).content.decode()
    assert 'http-equiv="refresh"' not in page and "every 2s" not in page


def test_the_task_is_idempotent(
    world: World, tables: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(world)
    upload(client, csv_bytes(rows_of(aparken(), sodisebakke())))
    job = apply(client, ImportJob.objects.get(), django_capture_on_commit_callbacks)
    assert job.state == ImportState.DONE
    assert offer_import_apply(job_id=job.pk) is None  # a second delivery of the task
    assert Offer.objects.count() == 2

    # A confirmed job cannot be started twice.
    response = client.post(reverse("offers:import_job", args=[job.pk]))
    assert response.status_code == 200
    assert "allerede sat i gang" in response.content.decode()


def test_an_abandoned_run_is_taken_over(world: World, tables: dict[str, Any]) -> None:
    client = staff(world)
    upload(client, csv_bytes(rows_of(aparken())))
    job = ImportJob.objects.get()
    long_ago = timezone.now() - datetime.timedelta(hours=3)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportState.RUNNING, started_at=long_ago, applied_by=world.staff
    )
    done = offer_import_apply(job_id=job.pk)
    assert done is not None and done.state == ImportState.DONE
    assert Offer.objects.filter(tilbudsportalen_id="1001").exists()
