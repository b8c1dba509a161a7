"""The tariffs' mails as subscribers and municipal editors receive them: publishing a year's
tariffs reaches each confirmed follower of the "tariffs" topic exactly once; the reminder a
week before the deadline reaches the editors of municipalities that have not submitted, and
nobody else.

The mails go over real SMTP to a server on 127.0.0.1 (aiosmtpd) started by the test.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from notices.models import Delivery, Frequency, Subscription
from organizations.models import MunicipalEditor
from tariffs.models import Service, SheetState, TariffYear, Unit
from tariffs.services import (
    line_save,
    reminders_send,
    sheet_approve,
    sheet_correct,
    sheet_create,
    sheet_submit,
    year_publish,
)
from tests.conftest import World
from tests.factories import MunicipalityFactory, UserFactory
from tests.offer_factories import OfferFactory
from tests.test_notices_support import Sink, confirmed

# The SMTP server fixtures.
pytest_plugins = ["tests.test_notices_support"]

pytestmark = pytest.mark.django_db

CPH = ZoneInfo("Europe/Copenhagen")
YEAR = 2027
DEADLINE = datetime.datetime(2026, 12, 15, 12, tzinfo=CPH)
LINE: dict[str, Any] = {
    "service": Service.RESIDENTIAL,
    "unit": Unit.DAY_NIGHT,
    "amount": Decimal("1528.48"),
    "staff_costs": Decimal("8000000"),
    "operating_costs": Decimal("1000000"),
    "indirect_costs": Decimal("500000"),
    "building_costs": Decimal("500000"),
    "overhead_percent": Decimal("6"),
    "places": 20,
    "days": 365,
    "occupancy_percent": Decimal("95"),
}


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def html_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


def submitted(world: World, offer: Any) -> Any:
    sheet = sheet_create(offer=offer, year=YEAR, by=world.staff)
    line_save(sheet=sheet, by=world.staff, values=LINE)
    return sheet_submit(sheet=sheet, by=world.staff)


def editor_of(municipality: Any, address: str) -> Any:
    user = UserFactory(email=address)
    MunicipalEditor.objects.create(user=user, municipality=municipality)
    return user


# --- publication ---------------------------------------------------------------------------------


def test_publishing_reaches_a_confirmed_follower_of_tariffs_exactly_once(
    world: World, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    confirmed("abonnent@example.dk", "tariffs")
    # Not confirmed yet, a digest reader, and a follower of another topic: no mail now.
    Subscription.objects.create(email="venter@example.dk", topic="tariffs")
    confirmed("ugentlig@example.dk", "tariffs", Frequency.WEEKLY)
    confirmed("andet@example.dk", "tariffs:2027:pending")
    # The editor of an offer in the year is not a default recipient of the public topic.
    offers = [OfferFactory(operator_municipality=world.municipality) for _ in range(2)]
    for offer in offers:
        sheet_approve(sheet=submitted(world, offer), by=world.member_b)

    with django_capture_on_commit_callbacks(execute=True):
        year_publish(year=YEAR, by=world.staff)

    assert smtp.recipients() == {"abonnent@example.dk": 1}
    [message] = smtp.to("abonnent@example.dk")
    assert message["Subject"] == "Takster for 2027 er offentliggjort"
    url = f"{settings.SITE_URL}/takster/?aar=2027"
    text, html = text_of(message), html_of(message)
    assert "har offentliggjort 2 takstblade for 2027." in text
    assert f"Se takstoversigten for 2027: {url}" in text
    assert f'<a href="{url}">Se takstoversigten for 2027</a>' in html
    assert "takstblade" in html and "{{" not in text + html
    assert message["List-Unsubscribe"] is not None
    assert Delivery.objects.filter(email="abonnent@example.dk", status="sent").count() == 1

    # A later correction is published on its own: one more mail, for one sheet.
    smtp.clear()
    [sheet] = [s for s in offers[0].tariff_sheets.all() if s.state == SheetState.PUBLISHED]
    correction = sheet_correct(sheet=sheet, by=world.staff, reason="Forkert pladstal.")
    sheet_submit(sheet=correction, by=world.staff)
    sheet_approve(sheet=correction, by=world.staff)
    with django_capture_on_commit_callbacks(execute=True):
        year_publish(year=YEAR, by=world.staff)
    assert smtp.recipients() == {"abonnent@example.dk": 1}
    assert "har offentliggjort 1 takstblad for 2027." in text_of(smtp.parsed()[0])


# --- the reminder --------------------------------------------------------------------------------


def test_the_reminder_reaches_the_editors_who_have_not_submitted(
    world: World, smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    TariffYear.objects.create(year=YEAR, submission_deadline=DEADLINE)
    # Viborg (world.editor) has a covered offer and only a draft: reminded.
    viborg_offer = OfferFactory(operator_municipality=world.municipality)
    sheet_create(offer=viborg_offer, year=YEAR, by=world.editor)
    second_viborg_editor = editor_of(world.municipality, "viborg-2@example.dk")
    # Aarhus has submitted the tariffs of its covered offer: not reminded.
    aarhus_editor = editor_of(world.other_municipality, "aarhus@example.dk")
    submitted(world, OfferFactory(operator_municipality=world.other_municipality))
    # Herning has no sheet at all: reminded.
    herning = MunicipalityFactory(name="Herning Kommune")
    herning_editor = editor_of(herning, "herning@example.dk")
    OfferFactory(operator_municipality=herning)
    # A municipality with no covered offer is not reminded.
    samsoe_editor = editor_of(MunicipalityFactory(name="Samsø Kommune"), "samsoe@example.dk")

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=DEADLINE - datetime.timedelta(days=7)) == [YEAR]

    reminded = {world.editor.email, second_viborg_editor.email, herning_editor.email}
    assert smtp.recipients() == dict.fromkeys(reminded, 1)
    for user in (aarhus_editor, samsoe_editor, world.member_b, world.staff):
        assert smtp.to(user.email) == []

    [message] = smtp.to(herning_editor.email)
    deadline = "15. december 2026 kl. 12.00"
    assert message["Subject"] == f"Påmindelse: indberet taksterne for 2027 senest {deadline}"
    text, html = text_of(message), html_of(message)
    assert "endnu ikke har indsendt takster for 2027" in text
    assert f"Fristen for indberetning er {deadline}." in text
    assert f"<strong>{deadline}</strong>" in html
    mine = f"{settings.SITE_URL}{reverse('tariffs:mine')}"
    assert f"Indberet taksterne (kræver login): {mine}" in text
    assert f'<a href="{mine}">Indberet taksterne</a>' in html
    assert "{{" not in text + html

    # The hourly task runs again: nobody is reminded twice.
    smtp.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=DEADLINE - datetime.timedelta(days=6)) == []
    assert smtp.recipients() == {}
