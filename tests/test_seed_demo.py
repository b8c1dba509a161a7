"""The demo data: the organisation of the seeds, loaded idempotently."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.models import Body, Membership, Municipality, Person, Region, Role

FU_MEMBERS = {
    "Henning Hansen": ("formand", "Ikast-Brande Kommune"),
    "Leif Gjørtz Christensen": ("medlem", "Viborg Kommune"),
    "Henrik Beyer": ("medlem", "Herning Kommune"),
    "Henning Haahr": ("medlem", "Skanderborg Kommune"),
    "Jacob Stengaard Madsen": ("medlem", "Favrskov Kommune"),
    "Karin Holland": ("medlem", "Horsens Kommune"),
    "Kjeld Berthelsen": ("medlem", "Struer Kommune"),
    "Steinar E. Kristensen": ("medlem", "Aarhus Kommune"),
    "Anne Jastrup": ("medlem", "Region Midtjylland"),
    "Eva Glæsner": ("medlem", "KKR Midtjylland"),
    "Karsten Binderup": ("medlem", "Sekretariat for rammeaftaler"),
}


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=io.StringIO())


def test_regions_and_municipalities_have_official_codes(seeded):
    assert Municipality.objects.filter(region__code="1082").count() == 19
    assert Municipality.objects.filter(region__code="1081").count() == 11
    assert Municipality.objects.filter(region__code="1085").count() == 17
    assert Municipality.objects.get(code="756").name == "Ikast-Brande Kommune"
    assert Region.objects.get(code="1082").name == "Region Midtjylland"


def test_forretningsudvalget_composition_is_exactly_as_in_seed_001(seeded):
    fu = Body.objects.get(short_name="FU", region__code="1082")
    members = Membership.objects.filter(body=fu).select_related("person")
    found = {m.person.name: (m.role, m.affiliation_name) for m in members}
    assert found == FU_MEMBERS
    assert members.get(role=Role.CHAIR).person.name == "Henning Hansen"


def test_socialdirektoerkredsen_has_the_participants_of_seed_002(seeded):
    body = Body.objects.get(slug="socialdirektoerkredsen")
    names = set(Membership.objects.filter(body=body).values_list("person__name", flat=True))
    assert {"Jan Nielsen", "Jane Hvas", "Søren Kjær", "Hilde Elisabeth Thun Holst"} <= names
    assert len(names) == 15
    assert Body.objects.filter(slug="k17", region__code="1085").exists()


def test_demo_text_has_correct_danish_letters(seeded):
    blob = " ".join(
        " ".join(values) for values in Body.objects.values_list("name", "mandate", "meeting_rhythm")
    ) + " ".join(Person.objects.values_list("name", flat=True))
    for garbled in ("Mgdefrekvens", "Gjgrtz", "Glaesner", " arlige", " omrade", " mgder"):
        assert garbled not in blob
    assert "Gjørtz" in blob and "årligt" in blob and "Glæsner" in blob


def test_seeding_twice_writes_nothing(seeded):
    counts = {m: m.objects.count() for m in (Region, Municipality, Body, Person, Membership)}
    with CaptureQueriesContext(connection) as queries:
        call_command("seed_demo", stdout=io.StringIO())
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert counts == {m: m.objects.count() for m in counts}
