"""Journey: the secretariat logs in (with its second factor), opens Forretningsudvalget's page,
adds a member and sees the member listed with role and whom they represent."""

from __future__ import annotations

import io

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import call_command

from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "JBSWY3DPEHPK3PXPJOURNEYTESTSTAF"[:32].ljust(32, "A")


def test_staff_adds_a_member_to_forretningsudvalget(page, transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    staff = UserFactory(email="journey@sekretariat.dk", name="Journey", is_secretariat=True)
    TOTP.activate(staff, SECRET)

    log_in(page, "journey@sekretariat.dk", "hemmeligt-kodeord-1", totp_secret=SECRET)
    page.goto("/organisation/organer/forretningsudvalget/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Forretningsudvalget")
    assert page.get_by_text("Henning Hansen").count() >= 1

    page.get_by_role("link", name="Tilføj medlem").click()
    page.get_by_label("Navn på ny person").fill("Lise Damgaard Sørensen")
    page.get_by_label("Rolle").select_option(label="Næstformand")
    page.get_by_label("Repræsenterer").select_option(label="Randers Kommune")
    page.get_by_role("button", name="Tilføj medlem").click()

    page.wait_for_url("**/organisation/organer/forretningsudvalget/")
    row = page.locator("main table tr", has_text="Lise Damgaard Sørensen")
    assert row.count() == 1
    assert "Randers Kommune" in row.inner_text()
    heading = page.get_by_role("heading", name="Næstformand")
    assert heading.count() == 1
