"""The secretariat imports members and contacts from spreadsheets.

A file is written whole or not at all; every error names its row (the spreadsheet's, header =
row 1) and column, in Danish; importing the same file again changes nothing.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.importing import (
    CellError,
    Column,
    ImportFileError,
    RowError,
    decode_text,
    normalise,
    parse_date,
    parse_yes_no,
    read_csv,
    sniff_separator,
)
from organizations.models import (
    Contact,
    ContactArea,
    ContactFunction,
    ContactTopic,
    Membership,
    Organization,
    Person,
    Region,
    Role,
)
from organizations.services import contacts_import, members_import
from tests.conftest import World
from tests.factories import MunicipalityFactory, PersonFactory

MEMBERS_CSV = """\
navn,email,telefon,stilling,organ,rolle,repræsenterer,stemmeret,fra,til
Anne Jensen,anne.jensen@viborg.dk,87878787,Socialdirektør,fu,Formand,Viborg Kommune,ja,2024-01-01,
Bo Hansen,bo.hansen@aarhus.dk,,Direktør,Forretningsudvalget,næstformand,751,ja,01-02-2024,
Carla Holm,,,Socialdirektør,takstgruppen,medlem,Region Midtjylland,nej,2024-03-01,31-12-2025
Dorte Kjær,Dorte@KKR.dk,,Konsulent,FU,OBSERVATØR,KKR Midtjylland,nej,2024-01-01,
Erik Sø,,,Sekretariatschef,fu,sekretær,,nej,2024-01-01,
"""

CONTACTS_CSV = """\
kommune,funktion,område,emne,navn,email,telefon,stilling
Viborg Kommune,myndighed,børn og unge,betalingsaftaler,Anne Jensen,anne.jensen@viborg.dk,,Teamleder
791,Drift,Voksne,,Anne Jensen,ANNE.JENSEN@viborg.dk,,Teamleder
Aarhus,drift,voksne,Takster,Per Møller,,,Økonomikonsulent
"""

VALID_ROLES = "formand, næstformand, medlem, suppleant, observatør, sekretær"


@pytest.fixture
def kkr(world: World) -> Organization:
    return Organization.objects.create(name="KKR Midtjylland", short_name="KKR")


def counts() -> tuple[int, int, int]:
    return Person.objects.count(), Membership.objects.count(), Contact.objects.count()


def messages_of(result_errors: list[RowError]) -> list[str]:
    return [str(error) for error in result_errors]


# --- the generic machinery -----------------------------------------------------------------------


def test_separator_is_sniffed_from_the_header() -> None:
    assert sniff_separator("navn;email;rolle\nA;b@c.dk;medlem") == ";"
    assert sniff_separator("navn,email,rolle\n") == ","
    assert sniff_separator('"navn, fuldt";email;rolle') == ";"
    assert sniff_separator("sep=;\nnavn;email") == ";"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", datetime.date(2024, 3, 1)),
        ("01-03-2024", datetime.date(2024, 3, 1)),
        ("1-3-2024", datetime.date(2024, 3, 1)),
        ("01.03.2024", datetime.date(2024, 3, 1)),
        (" 2024-12-31 ", datetime.date(2024, 12, 31)),
    ],
)
def test_dates_are_read_in_iso_and_danish_order(text: str, expected: datetime.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31-02-2024", "2024/13/01", "i morgen", "03-01-24"])
def test_invalid_dates_are_refused_in_danish(text: str) -> None:
    with pytest.raises(CellError, match=r"er ikke en gyldig dato\. Skriv datoen som ÅÅÅÅ-MM-DD"):
        parse_date(text)


def test_yes_and_no() -> None:
    assert parse_yes_no("Ja") is True
    assert parse_yes_no("NEJ") is False
    assert parse_yes_no("", default=True) is True
    with pytest.raises(CellError, match="hverken 'ja' eller 'nej'"):
        parse_yes_no("måske")


def test_normalise_ignores_case_space_and_danish_spelling() -> None:
    assert normalise("  Børn   og UNGE ") == normalise("boern og unge")
    assert normalise("Næstformand") == "naestformand"


def test_a_byte_order_mark_is_dropped() -> None:
    assert decode_text("\ufeffnavn".encode()) == "navn"


def test_row_errors_name_row_and_column() -> None:
    error = RowError(4, "rolle", "'bossen' er ikke en gyldig rolle.")
    assert str(error) == "Række 4, kolonne 'rolle': 'bossen' er ikke en gyldig rolle."
    assert str(RowError(2, None, "Fejl.")) == "Række 2: Fejl."
    assert str(RowError(None, None, "Filen er tom.")) == "Filen er tom."


def test_header_problems_are_all_reported() -> None:
    columns = [Column("navn"), Column("rolle"), Column("til", required=False)]
    with pytest.raises(ImportFileError) as caught:
        read_csv(b"Navn,hobby,navn\nA,b,c\n", columns=columns)
    assert messages_of(caught.value.errors) == [
        "Række 1, kolonne 'hobby': Ukendt kolonne. Kolonnerne er: 'navn', 'rolle', 'til'.",
        "Række 1, kolonne 'navn': Kolonnen findes mere end én gang.",
        "Række 1, kolonne 'rolle': Kolonnen mangler i filen.",
    ]


def test_quoted_fields_blank_lines_and_crlf_are_read() -> None:
    data = b'navn;rolle\r\n\r\n"Hansen; Bo";medlem\r\n;\r\n"Jensen ""AJ"" Anne";formand\r\n'
    table = read_csv(data, columns=[Column("navn"), Column("rolle")])
    assert [row["navn"] for row in table.rows] == ["Hansen; Bo", 'Jensen "AJ" Anne']
    assert [row.number for row in table.rows] == [3, 5]


def test_size_limit_applies_to_streams_without_a_size() -> None:
    with pytest.raises(ImportFileError, match="Filen er for stor"):
        read_csv(io.BytesIO(b"navn\n" + b"a\n" * 2000), columns=[Column("navn")], max_bytes=1024)


# --- members -------------------------------------------------------------------------------------


def test_member_import_creates_people_and_memberships(world: World, kkr: Organization) -> None:
    people_before, memberships_before, _ = counts()
    result = members_import(upload=MEMBERS_CSV.encode())

    assert result.ok, messages_of(result.errors)
    assert result.counts == {"nye personer": 5, "nye medlemskaber": 5}
    assert Person.objects.count() == people_before + 5
    assert Membership.objects.count() == memberships_before + 5

    anne = Membership.objects.get(person__email="anne.jensen@viborg.dk")
    assert (anne.body, anne.role, anne.municipality) == (
        world.body_a,
        Role.CHAIR,
        world.municipality,
    )
    assert anne.voting_right is True and anne.end_date is None
    assert anne.person.phone == "87878787" and anne.person.job_title == "Socialdirektør"
    assert (
        anne.person.municipality == world.municipality
    )  # a new person works for whom they represent

    bo = Membership.objects.get(person__name="Bo Hansen")
    assert (bo.role, bo.municipality) == (Role.VICE_CHAIR, world.other_municipality)
    assert bo.start_date == datetime.date(2024, 2, 1)

    carla = Membership.objects.get(person__name="Carla Holm")
    assert carla.body == world.body_b
    assert carla.region == Region.objects.get(code="1082")
    assert carla.voting_right is False
    assert carla.end_date == datetime.date(2025, 12, 31)

    dorte = Membership.objects.get(person__name="Dorte Kjær")
    assert (dorte.role, dorte.organization) == (Role.OBSERVER, kkr)

    erik = Membership.objects.get(person__name="Erik Sø")
    assert erik.role == Role.SECRETARY
    assert erik.affiliation is None and erik.person.affiliation is None


def test_importing_the_same_member_file_twice_creates_nothing_new(
    world: World, kkr: Organization
) -> None:
    assert members_import(upload=MEMBERS_CSV.encode()).ok
    before = counts()
    again = members_import(upload=MEMBERS_CSV.encode())
    assert again.ok
    assert counts() == before
    assert again.counts == {"uændrede medlemskaber": 5}


def test_a_later_file_ends_a_membership_instead_of_adding_one(
    world: World, kkr: Organization
) -> None:
    assert members_import(upload=MEMBERS_CSV.encode()).ok
    before = counts()
    ended = MEMBERS_CSV.replace(
        "Viborg Kommune,ja,2024-01-01,", "Viborg Kommune,ja,2024-01-01,30-06-2025"
    )
    result = members_import(upload=ended.encode())
    assert result.ok
    assert counts() == before
    assert result.counts["opdaterede medlemskaber"] == 1
    anne = Membership.objects.get(person__email="anne.jensen@viborg.dk")
    assert anne.end_date == datetime.date(2025, 6, 30)


def test_people_are_matched_by_email_in_any_case(world: World, kkr: Organization) -> None:
    existing = PersonFactory(name="Anne M. Jensen", email="Anne.Jensen@Viborg.DK", job_title="")
    result = members_import(upload=MEMBERS_CSV.encode())
    assert result.ok
    assert not Person.objects.filter(name="Anne Jensen").exists()
    existing.refresh_from_db()
    assert existing.memberships.get().role == Role.CHAIR
    assert existing.job_title == "Socialdirektør"  # the file fills in what was missing
    assert result.counts["opdaterede personer"] == 1


def test_people_without_email_are_matched_by_name_and_affiliation(
    world: World, kkr: Organization
) -> None:
    region = Region.objects.get(code="1082")
    carla = PersonFactory(name="carla holm", email="", municipality=None, region=region)
    namesake = PersonFactory(name="Erik Sø", email="", municipality=world.municipality)
    assert members_import(upload=MEMBERS_CSV.encode()).ok
    assert carla.memberships.count() == 1
    # The Erik Sø of the file represents nobody; the one working for Viborg is someone else.
    assert namesake.memberships.count() == 0
    assert Person.objects.filter(name="Erik Sø").count() == 2


def test_a_member_file_with_one_bad_row_writes_nothing(world: World, kkr: Organization) -> None:
    bad = MEMBERS_CSV.replace("takstgruppen,medlem,", "takstgruppen,bossen,")
    before = counts()
    result = members_import(upload=bad.encode())
    assert not result.ok
    assert counts() == before
    assert messages_of(result.errors) == [
        "Række 4, kolonne 'rolle': 'bossen' er ikke en gyldig rolle. "
        f"Gyldige roller: {VALID_ROLES}."
    ]


def test_every_error_in_every_row_is_reported(world: World, kkr: Organization) -> None:
    data = (
        "navn,email,organ,rolle,repræsenterer,stemmeret,fra,til\n"
        ",ikke-en-adresse,ukendt-organ,medlem,Atlantis Kommune,måske,2024-02-30,\n"
        "Ida,ida@x.dk,fu,medlem,,ja,2024-05-01,2024-04-30\n"
    )
    result = members_import(upload=data.encode())
    assert {(e.row, e.column) for e in result.errors} == {
        (2, "navn"),
        (2, "email"),
        (2, "organ"),
        (2, "repræsenterer"),
        (2, "stemmeret"),
        (2, "fra"),
        (3, "til"),
    }
    text = "\n".join(messages_of(result.errors))
    assert "Række 2, kolonne 'navn': Feltet skal udfyldes." in text
    assert "'ikke-en-adresse' er ikke en gyldig e-mailadresse." in text
    assert "Organet 'ukendt-organ' findes ikke i portalen." in text
    assert "'Atlantis Kommune' er hverken en kommune (navn eller kommunekode)" in text
    assert (
        "Række 3, kolonne 'til': Slutdatoen 30. april 2024 ligger før startdatoen 1. maj 2024."
        in text
    )


def test_a_semicolon_file_with_bom_from_danish_excel_works(world: World, kkr: Organization) -> None:
    data = "\ufeff" + MEMBERS_CSV.replace(",", ";").replace("\n", "\r\n")
    result = members_import(upload=data.encode("utf-8"))
    assert result.ok, messages_of(result.errors)
    assert result.counts["nye medlemskaber"] == 5


def test_a_member_file_needs_its_required_columns(world: World) -> None:
    result = members_import(upload=b"navn,email,organ\nA,a@b.dk,fu\n")
    assert messages_of(result.errors) == [
        "Række 1, kolonne 'rolle': Kolonnen mangler i filen.",
        "Række 1, kolonne 'fra': Kolonnen mangler i filen.",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Filen er ikke en tekstfil."),
        (b"PK\x03\x04\x14\x00\x06\x00", "Filen er et regneark (fx .xlsx) og ikke en CSV-fil."),
        (b"%PDF-1.7\n", "Filen er en PDF og ikke en CSV-fil."),
        ("navn,rolle\r\n".encode("utf-16"), "Filen er gemt som UTF-16"),
        ("navn,organ,rolle,fra\nSøren,fu,medlem,2024-01-01\n".encode("latin-1"), "UTF-8"),
        (b"", "Filen er tom."),
    ],
)
def test_files_that_are_not_utf8_text_are_refused_in_danish(
    world: World, data: bytes, message: str
) -> None:
    before = counts()
    result = members_import(upload=data)
    assert not result.ok
    assert message in str(result.errors[0])
    assert result.errors[0].row is None
    assert counts() == before


def test_an_oversize_file_is_refused(world: World) -> None:
    big = MEMBERS_CSV.encode() * 20
    result = members_import(upload=big, max_bytes=1024)
    assert messages_of(result.errors) == ["Filen er for stor. Den må højst fylde 1 kB."]


# --- through the staff page ----------------------------------------------------------------------


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_staff_imports_members_on_the_import_page(
    world: World, kkr: Organization, staff_client: Client
) -> None:
    response = staff_client.post(
        reverse("organizations:import_members"),
        {"file": upload("medlemmer.csv", MEMBERS_CSV.encode())},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:staff_index")
    message = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "Importen er gennemført: 5 rækker læst, nye personer: 5, nye medlemskaber: 5." in message


def test_the_import_page_lists_row_errors_and_writes_nothing(
    world: World, kkr: Organization, staff_client: Client
) -> None:
    bad = MEMBERS_CSV.replace("takstgruppen,medlem,", "takstgruppen,bossen,")
    before = counts()
    response = staff_client.post(
        reverse("organizations:import_members"), {"file": upload("m.csv", bad.encode())}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert counts() == before
    assert "Der er fejl i 1 række. Intet er gemt." in html
    assert 'class="form-group form-error"' in html
    assert "&#x27;bossen&#x27; er ikke en gyldig rolle. Gyldige roller:" in html
    assert '<table class="table table--compact" id="import-errors">' in html


def test_the_import_page_refuses_a_binary_file_at_the_field(
    world: World, staff_client: Client
) -> None:
    response = staff_client.post(
        reverse("organizations:import_members"),
        {"file": upload("medlemmer.csv", b"\x00\x01\x02binary\xff\xfe")},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_file_error"' in html
    assert "Filen er ikke en tekstfil. Upload en CSV-fil gemt i UTF-8." in html


def test_the_import_page_refuses_an_oversize_file(
    world: World, staff_client: Client, settings: object
) -> None:
    settings.IMPORT_MAX_BYTES = 1024  # type: ignore[attr-defined]
    before = counts()
    response = staff_client.post(
        reverse("organizations:import_members"),
        {"file": upload("medlemmer.csv", MEMBERS_CSV.encode() * 20)},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_file_error"' in html
    assert "Filen er for stor" in html
    assert counts() == before


# --- contacts ------------------------------------------------------------------------------------


def test_contact_import_fills_the_directory(world: World) -> None:
    people_before = Person.objects.count()
    result = contacts_import(upload=CONTACTS_CSV.encode())
    assert result.ok, messages_of(result.errors)
    assert result.counts == {"nye personer": 2, "nye kontakter": 3}
    assert Person.objects.count() == people_before + 2

    anne = Person.objects.get(email="anne.jensen@viborg.dk")
    assert anne.municipality == world.municipality
    entries = {
        (c.municipality, c.function, c.area, c.topic) for c in Contact.objects.filter(person=anne)
    }
    assert entries == {
        (world.municipality, ContactFunction.AUTHORITY, ContactArea.CHILDREN, ContactTopic.PAYMENT),
        (world.municipality, ContactFunction.OPERATOR, ContactArea.ADULTS, ContactTopic.GENERAL),
    }
    per = Contact.objects.get(person__name="Per Møller")
    assert per.municipality == world.other_municipality
    assert per.topic == ContactTopic.TARIFFS


def test_importing_the_same_contact_file_twice_creates_nothing_new(world: World) -> None:
    assert contacts_import(upload=CONTACTS_CSV.encode()).ok
    before = counts()
    again = contacts_import(upload=CONTACTS_CSV.encode())
    assert again.ok
    assert counts() == before
    assert again.counts == {"uændrede kontakter": 3}


def test_a_contact_file_with_one_bad_row_writes_nothing(world: World) -> None:
    bad = CONTACTS_CSV.replace("791,Drift,", "791,Ledelse,")
    before = counts()
    result = contacts_import(upload=bad.encode())
    assert counts() == before
    assert messages_of(result.errors) == [
        "Række 3, kolonne 'funktion': 'Ledelse' er ikke en gyldig funktion. "
        "Gyldige funktioner: myndighed, drift."
    ]


def test_contact_errors_name_municipality_area_and_topic(world: World) -> None:
    data = "kommune,funktion,område,emne,navn\nNarnia,drift,ældre,kaffe,\n"
    result = contacts_import(upload=data.encode())
    assert messages_of(result.errors) == [
        "Række 2, kolonne 'kommune': 'Narnia' er ikke en kommune i portalen. "
        "Skriv kommunens navn eller kommunekode.",
        "Række 2, kolonne 'område': 'ældre' er ikke et gyldigt område. "
        "Gyldige områder: børn og unge, voksne.",
        "Række 2, kolonne 'emne': 'kaffe' er ikke et gyldigt emne. Gyldige emner: generelt, "
        "betalingsaftaler, delegationsaftaler, varsling af ændringer i bevillinger, takster, "
        "kapacitet og tilbud.",
        "Række 2, kolonne 'navn': Feltet skal udfyldes.",
    ]


def test_a_semicolon_contact_file_with_bom_works(world: World) -> None:
    data = ("\ufeff" + CONTACTS_CSV.replace(",", ";")).encode()
    result = contacts_import(upload=data)
    assert result.ok, messages_of(result.errors)
    assert result.counts["nye kontakter"] == 3


def test_a_binary_contact_file_is_refused(world: World, staff_client: Client) -> None:
    response = staff_client.post(
        reverse("organizations:import_contacts"),
        {"file": upload("kontakter.xlsx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00")},
    )
    assert "Filen er et regneark (fx .xlsx) og ikke en CSV-fil." in response.content.decode()
    assert Contact.objects.count() == 0


def test_staff_imports_contacts_on_the_import_page(world: World, staff_client: Client) -> None:
    MunicipalityFactory(code="101", name="Københavns Kommune")
    data = CONTACTS_CSV + "101,myndighed,voksne,,Kim Kofoed,kim@kk.dk,,Sagsbehandler\n"
    response = staff_client.post(
        reverse("organizations:import_contacts"), {"file": upload("k.csv", data.encode())}
    )
    assert response.status_code == 302
    assert Contact.objects.filter(municipality__code="101").count() == 1


def test_excel_sep_hint_and_blank_rows_above_the_header_keep_row_numbers(world: World) -> None:
    data = "sep=;\n\nkommune;funktion;område;navn\nViborg;drift;voksne;\nViborg;drift;voksne;Ib\n"
    result = contacts_import(upload=data.encode())
    assert messages_of(result.errors) == ["Række 3, kolonne 'navn': Feltet skal udfyldes."]
