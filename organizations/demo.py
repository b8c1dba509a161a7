"""Demo data from the seeds: regions and municipalities, the bodies of seed 001 (Region
Midtjylland) with Forretningsudvalget's composition, Nordjylland's Socialdirektørkreds with the
participants of seed 002, and K17 in Region Sjælland. Seed 001 is OCR text with broken æ/ø/å;
the names here have the correct Danish letters."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path
from typing import Any

from core.seeding import Counter, upsert
from organizations.models import (
    Body,
    BodyKind,
    Membership,
    Municipality,
    Organization,
    Person,
    Region,
    Role,
)

DATA = Path(__file__).resolve().parent / "data"
FU_START = datetime.date(2011, 6, 1)
SOCDIR_START = datetime.date(2011, 1, 1)


def seed_geography(counter: Counter) -> None:
    with (DATA / "kommuner.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    regions: dict[str, Region] = {}
    for row in rows:
        code = row["regionskode"]
        if code not in regions:
            regions[code] = upsert(Region, counter, {"code": code}, name=row["region"])
    for row in rows:
        upsert(
            Municipality,
            counter,
            {"code": row["kommunekode"]},
            name=row["kommune"],
            region=regions[row["regionskode"]],
        )


def _body(counter: Counter, slug: str, **values: object) -> Body:
    return upsert(Body, counter, {"slug": slug}, **values)


def _person(counter: Counter, name: str, *, job_title: str = "", **affiliation: Any) -> Person:
    return upsert(Person, counter, {"name": name, **affiliation}, job_title=job_title)


def _member(
    counter: Counter,
    person: Person,
    body: Body,
    start: datetime.date,
    role: str = Role.MEMBER,
    *,
    voting_right: bool = True,
) -> Membership:
    return upsert(
        Membership,
        counter,
        {"person": person, "body": body, "start_date": start},
        role=role,
        voting_right=voting_right,
        municipality=person.municipality,
        region=person.region,
        organization=person.organization,
    )


def seed_midtjylland(counter: Counter) -> None:
    region = Region.objects.get(code="1082")
    kommune = {m.name: m for m in Municipality.objects.filter(region=region)}
    kkr = upsert(
        Organization, counter, {"name": "KKR Midtjylland"}, short_name="KKR", region=region
    )
    secretariat = upsert(
        Organization,
        counter,
        {"name": "Sekretariat for rammeaftaler"},
        short_name="Sekretariatet",
        region=region,
    )

    kkr_body = _body(
        counter,
        "kkr-midtjylland",
        name="KKR Midtjylland",
        short_name="KKR",
        kind=BodyKind.POLITICAL,
        region=region,
        parent=None,
        order=10,
        is_public=True,
        meeting_rhythm="",
        mandate=(
            "Kommunekontaktrådet med regionens borgmestre og en række kommunalpolitikere. "
            "Godkender forslaget til rammeaftale, før det sendes til lokal godkendelse."
        ),
    )
    _body(
        counter,
        "kontaktudvalget",
        name="Kontaktudvalget",
        short_name="KU",
        kind=BodyKind.POLITICAL,
        region=region,
        parent=None,
        order=20,
        is_public=True,
        meeting_rhythm="",
        mandate="De 19 borgmestre og regionsrådsformanden: det kommunale-regionale samarbejde.",
    )
    kd_net = _body(
        counter,
        "kd-net",
        name="Kommunaldirektørnetværket",
        short_name="KD-net",
        kind=BodyKind.ADMINISTRATIVE,
        region=region,
        parent=kkr_body,
        order=30,
        is_public=True,
        meeting_rhythm="",
        mandate=(
            "Forum for udvikling af det tværkommunale samarbejde. Behandler forslag til "
            "Udviklingsstrategi og Styringsaftale inden fremsendelse til KKR og RKU."
        ),
    )
    dassos = _body(
        counter,
        "dassos",
        name="Den Administrative Styregruppe for Social- og Specialundervisningsområdet",
        short_name="DASSOS",
        kind=BodyKind.ADMINISTRATIVE,
        region=region,
        parent=kd_net,
        order=40,
        is_public=True,
        meeting_rhythm="2 møder årligt (marts og august)",
        mandate=(
            "1 direktørrepræsentant på strategisk niveau fra hver kommune i regionen og Region "
            "Midtjylland. Godkender forslag til Udviklingsstrategi og Styringsaftale inden "
            "fremsendelse til KD-net, godkender løbende kapacitetsjusteringer uden for "
            "rammeaftale-årshjulet og drøfter hovedtemaer i kommende års Udviklingsstrategi og "
            "Styringsaftale. Forslag til kapacitetsjusteringer mellem møderne behandles ved "
            "skriftlig rundspørge: har ingen bemærkninger, betragtes forslaget som godkendt."
        ),
    )
    fu = _body(
        counter,
        "forretningsudvalget",
        name="Forretningsudvalget",
        short_name="FU",
        kind=BodyKind.ADMINISTRATIVE,
        region=region,
        parent=dassos,
        order=50,
        is_public=True,
        meeting_rhythm="3 møder i foråret og 3 møder i efteråret",
        mandate=(
            "Den fælles overordnede og ansvarlige styregruppe for det fælleskommunale "
            "Sekretariat for rammeaftaler: udarbejdelse af forslag til Udviklingsstrategien og "
            "Styringsaftalen, retningslinjer og rammer for koordinering og samarbejde på det "
            "specialiserede socialområde, opfølgning på igangsatte initiativer, "
            "udviklingsnetværk og Takststyregruppens opgaver. Kommunerne kan indmelde "
            "dagsordenspunkter til sekretariatet."
        ),
    )
    _body(
        counter,
        "takstgruppen",
        name="Takstgruppen",
        short_name="TG",
        kind=BodyKind.WORKING_GROUP,
        region=region,
        parent=dassos,
        order=60,
        is_public=True,
        meeting_rhythm="Efter behov; sekretariatet indkalder",
        mandate=(
            "Mulighed for repræsentation fra hver kommune samt fra regionen. Har i samarbejde "
            "med Sekretariat for rammeaftaler ansvaret for udarbejdelse af Styringsaftalen og "
            "fungerer som sparringspartner for sekretariatet. Viborg Kommune har formandskabet."
        ),
    )
    for slug, name, short, order, mandate in [
        (
            "udviklingsnetvaerk-boern-unge",
            "Udviklingsnetværk for børn og unge",
            "UN B&U",
            70,
            "1 samlet gruppe med 19 kommuner; Ikast-Brande Kommune har formandskabet. Faglig "
            "vidensdeling, samarbejde om tilbud og forslag til Udviklingsstrategi og "
            "Styringsaftale.",
        ),
        (
            "udviklingsnetvaerk-voksne",
            "Udviklingsnetværk for voksne",
            "UN Voksne",
            80,
            "Voksenområdet, evt. opdelt i en øst- og en vestgruppe (Viborg og Herning). Faglig "
            "vidensdeling, samarbejde om tilbud og forslag til Udviklingsstrategi og "
            "Styringsaftale.",
        ),
    ]:
        _body(
            counter,
            slug,
            name=name,
            short_name=short,
            kind=BodyKind.NETWORK,
            region=region,
            parent=fu,
            order=order,
            is_public=True,
            meeting_rhythm="Efter behov",
            mandate=mandate,
        )
    for slug, name, order, mandate in [
        (
            "novemberkonference",
            "Novemberkonferencen",
            90,
            "Konference for fagfolk, der sætter fokus på aktuelle problemstillinger og "
            "udviklingsområder for det efterfølgende års rammeaftale.",
        ),
        (
            "januarkonference",
            "Januarkonferencen",
            100,
            "Konference for politikere og brugerorganisationer, der udstikker rammerne for det "
            "efterfølgende års rammeaftale.",
        ),
        (
            "dialogforum",
            "Dialogforum",
            110,
            "Drøfter i perioden november–januar fokusområder for det kommende års "
            "udviklingsstrategi.",
        ),
    ]:
        _body(
            counter,
            slug,
            name=name,
            short_name="",
            kind=BodyKind.CONFERENCE,
            region=region,
            parent=None,
            order=order,
            is_public=True,
            meeting_rhythm="Årligt",
            mandate=mandate,
        )

    # Forretningsudvalget as listed in seed 001 (Rammeaftale 2012, bilag 7, afsnit 7).
    fu_members = [
        ("Henning Hansen", "Kommunaldirektør", "Ikast-Brande Kommune", Role.CHAIR),
        ("Leif Gjørtz Christensen", "Socialdirektør", "Viborg Kommune", Role.MEMBER),
        ("Henrik Beyer", "Socialdirektør", "Herning Kommune", Role.MEMBER),
        ("Henning Haahr", "Socialdirektør", "Skanderborg Kommune", Role.MEMBER),
        ("Jacob Stengaard Madsen", "Socialdirektør", "Favrskov Kommune", Role.MEMBER),
        ("Karin Holland", "Socialdirektør", "Horsens Kommune", Role.MEMBER),
        ("Kjeld Berthelsen", "Socialdirektør", "Struer Kommune", Role.MEMBER),
        ("Steinar E. Kristensen", "Socialdirektør", "Aarhus Kommune", Role.MEMBER),
    ]
    for name, title, municipality, role in fu_members:
        person = _person(counter, name, job_title=title, municipality=kommune[municipality])
        _member(counter, person, fu, FU_START, role)
        _member(counter, person, dassos, FU_START)
    jastrup = _person(counter, "Anne Jastrup", job_title="Socialdirektør", region=region)
    _member(counter, jastrup, fu, FU_START)
    _member(counter, jastrup, dassos, FU_START)
    glaesner = _person(counter, "Eva Glæsner", job_title="KKR-konsulent", organization=kkr)
    _member(counter, glaesner, fu, FU_START, voting_right=False)
    binderup = _person(counter, "Karsten Binderup", job_title="Konsulent", organization=secretariat)
    _member(counter, binderup, fu, FU_START, voting_right=False)


def seed_nordjylland(counter: Counter) -> None:
    region = Region.objects.get(code="1081")
    kommune = {m.name: m for m in Municipality.objects.filter(region=region)}
    kkr = upsert(
        Organization, counter, {"name": "KKR Nordjylland"}, short_name="KKR", region=region
    )
    secretariat = upsert(
        Organization,
        counter,
        {"name": "Sekretariat for rammeaftaler, Nordjylland"},
        short_name="Sekretariatet",
        region=region,
    )
    socdir = _body(
        counter,
        "socialdirektoerkredsen",
        name="Socialdirektørkredsen",
        short_name="SOCDIR",
        kind=BodyKind.ADMINISTRATIVE,
        region=region,
        parent=None,
        order=10,
        is_public=True,
        meeting_rhythm="6 møder årligt",
        mandate=(
            "Socialdirektørerne i de nordjyske kommuner (og Region Nordjylland efter behov). "
            "Drøfter de overordnede strategier for det fælleskommunale samarbejde og kommunerne "
            "som myndighed."
        ),
    )
    _body(
        counter,
        "das-nordjylland",
        name="Den Administrative Styregruppe",
        short_name="DAS",
        kind=BodyKind.ADMINISTRATIVE,
        region=region,
        parent=socdir,
        order=20,
        is_public=True,
        meeting_rhythm="Ca. 4 møder årligt",
        mandate=(
            "Sager, hvor driftsherrerne har en interesse, og koordinering af tilbud. Regionen "
            "deltager på lige linje med kommunerne."
        ),
    )
    # Participants of the meeting of 14 December 2011 (seed 002). Where the minutes show whom a
    # participant represents, it is recorded; otherwise it is left blank rather than guessed.
    participants: list[tuple[str, dict[str, Any], str]] = [
        ("Jan Nielsen", {"municipality": kommune["Aalborg Kommune"]}, Role.CHAIR),
        ("Jesper Hosbond Jensen", {}, Role.MEMBER),
        ("Dorthe Jende", {}, Role.MEMBER),
        ("Henrik Aarup Kristensen", {}, Role.MEMBER),
        ("Jes Lunde", {}, Role.MEMBER),
        ("Leif Serup", {"municipality": kommune["Hjørring Kommune"]}, Role.MEMBER),
        ("Jane Hvas", {}, Role.MEMBER),
        ("Hans Ole Steffensen", {}, Role.MEMBER),
        ("Jens Nørgaard", {"municipality": kommune["Mariagerfjord Kommune"]}, Role.MEMBER),
        ("Henrik Leth", {}, Role.MEMBER),
        ("Søren Kjær", {}, Role.MEMBER),
        ("Charlotte Buhl Houmøller", {"region": region}, Role.MEMBER),
        ("Benjamin Holst", {"organization": kkr}, Role.OBSERVER),
        ("Ann K. Liljenberg", {}, Role.MEMBER),
        ("Hilde Elisabeth Thun Holst", {"organization": secretariat}, Role.SECRETARY),
    ]
    for name, affiliation, role in participants:
        person = _person(counter, name, **affiliation)
        _member(
            counter,
            person,
            socdir,
            SOCDIR_START,
            role,
            voting_right=role not in (Role.OBSERVER, Role.SECRETARY),
        )


def seed_sjaelland(counter: Counter) -> None:
    region = Region.objects.get(code="1085")
    _body(
        counter,
        "k17",
        name="K17",
        short_name="K17",
        kind=BodyKind.ADMINISTRATIVE,
        region=region,
        parent=None,
        order=10,
        is_public=True,
        meeting_rhythm="",
        mandate=(
            "De 17 kommuners direktører i Region Sjælland. Ingen kommune åbner eller lukker et "
            "tilbud uden at have drøftet det i K17. Fælles principper: standardkontrakter, "
            "gennemsigtige takster efter én fælles beregningsmodel og fælles kvalitet."
        ),
    )


def seed(counter: Counter) -> None:
    seed_geography(counter)
    seed_midtjylland(counter)
    seed_nordjylland(counter)
    seed_sjaelland(counter)
