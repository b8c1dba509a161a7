"""Journey through a tariff round (issue 7): Viborg's editor starts the offer's sheet, enters a
døgntakst with its basis and submits it; the reviewer returns it with a comment; the editor
fixes it and submits again; the reviewer approves it; the secretariat publishes the year; and
the public overview shows the tariff."""

from __future__ import annotations

import datetime
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from organizations.models import MunicipalEditor
from tariffs.models import SheetState, TariffSheet, TariffYear
from tests.browser.conftest import axe_violations, log_in
from tests.factories import MunicipalityFactory, UserFactory
from tests.offer_factories import LegalBasisFactory, OfferFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "JBSWY3DPEHPK3PXPTARIFFJOURNEYAAA"
PASSWORD = "hemmeligt-kodeord-1"
YEAR = timezone.localdate().year + 1

BASIS = {
    "#id_staff_costs": "8.000.000",
    "#id_operating_costs": "1.000.000",
    "#id_indirect_costs": "500.000",
    "#id_building_costs": "500.000",
    "#id_overhead_percent": "6",
    "#id_places": "20",
    "#id_days": "365",
    "#id_occupancy_percent": "80",  # a typo: the budget says 95 %
}


def test_editor_submits_reviewer_returns_editor_fixes_reviewer_approves_public_sees_it(
    browser, live_server, transactional_db
):
    viborg = MunicipalityFactory(code="791", name="Viborg Kommune")
    offer = OfferFactory(
        name="Bostedet Åparken",
        tilbudsportalen_id="4711",
        operator_municipality=viborg,
        location=viborg,
        legal_bases=[LegalBasisFactory(law="SEL", paragraph="108")],
        places=20,
    )
    editor = UserFactory(email="redaktoer@viborg.dk", name="Rikke Redaktør")
    MunicipalEditor.objects.create(user=editor, municipality=viborg)
    staff = UserFactory(email="sekretariat@rammeaftale.dk", name="Sekretær", is_secretariat=True)
    TOTP.activate(staff, SECRET)
    TariffYear.objects.create(
        year=YEAR, submission_deadline=timezone.now() + datetime.timedelta(days=30)
    )

    def new_page():
        context = browser.new_context(locale="da-DK", base_url=live_server.url)
        context.set_default_timeout(15_000)
        return context.new_page()

    # The editor starts the sheet from "Mine takster" and enters a døgntakst with its basis.
    editor_page = new_page()
    log_in(editor_page, "redaktoer@viborg.dk", PASSWORD)
    editor_page.goto("/takster/mine/")
    assert "Frist for indberetning" in editor_page.inner_text("main")
    assert axe_violations(editor_page) == []
    editor_page.get_by_role("button", name="Opret takstblad for Bostedet Åparken").click()
    editor_page.wait_for_url("**/takster/ark/*/")
    sheet = TariffSheet.objects.get(offer=offer, year=YEAR)
    editor_page.get_by_role("link", name="Tilføj takst").click()
    editor_page.wait_for_url(f"**/takster/ark/{sheet.pk}/takst/ny/")
    assert axe_violations(editor_page) == []
    editor_page.select_option("#id_service", label="Døgnophold")
    editor_page.select_option("#id_unit", label="pr. døgn")
    editor_page.fill("#id_amount", "1.528,48")
    for selector, value in BASIS.items():
        editor_page.fill(selector, value)
    editor_page.get_by_role("button", name="Gem taksten").click()
    editor_page.wait_for_url(re.compile(rf"/takster/ark/{sheet.pk}/#takst-\d+$"))
    computed = editor_page.locator(".computed-tariff").first.inner_text()
    assert "1.815,07 kr." in computed  # 10,6 mio. kr. over 20 × 365 × 80 % = 5.840 døgn
    assert "afviger fra den beregnede" in editor_page.locator("#sheet-warnings").inner_text()
    assert axe_violations(editor_page) == []
    editor_page.get_by_role("link", name="Indsend takstbladet").click()
    editor_page.wait_for_url(f"**/takster/ark/{sheet.pk}/indsend/")
    assert axe_violations(editor_page) == []
    editor_page.get_by_role("button", name="Indsend takstbladet").click()
    editor_page.wait_for_url(f"**/takster/ark/{sheet.pk}/")
    assert "indsendt til takstgruppen" in editor_page.inner_text("main")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SUBMITTED

    # The reviewer sees the warnings in the queue and returns the sheet with a comment.
    staff_page = new_page()
    log_in(staff_page, "sekretariat@rammeaftale.dk", PASSWORD, totp_secret=SECRET)
    staff_page.goto("/takster/behandling/")
    queue = staff_page.locator("#review-queue")
    assert "Bostedet Åparken" in queue.inner_text()
    assert "belægningsprocenten 80" in queue.inner_text()
    assert axe_violations(staff_page) == []
    queue.get_by_role("link", name="Behandl").first.click()
    staff_page.wait_for_url(f"**/takster/ark/{sheet.pk}/behandl/")
    assert axe_violations(staff_page) == []
    staff_page.get_by_label("Hvad skal rettes?").fill("Belægningen skal være 95 % som i budgettet.")
    staff_page.get_by_role("button", name="Returnér til kommunen").click()
    staff_page.wait_for_url("**/takster/behandling/**")
    assert "er returneret til kommunen" in staff_page.inner_text("main")

    # The editor reads the comment, fixes the occupancy and submits again.
    editor_page.goto(f"/takster/ark/{sheet.pk}/")
    comment = editor_page.locator("#review-comment").inner_text()
    assert "Belægningen skal være 95 %" in comment
    editor_page.get_by_role("link", name="Ret taksten").first.click()
    editor_page.fill("#id_occupancy_percent", "95")
    editor_page.get_by_role("button", name="Gem taksten").click()
    editor_page.wait_for_url(re.compile(rf"/takster/ark/{sheet.pk}/#takst-\d+$"))
    assert "1.528,48 kr." in editor_page.locator(".computed-tariff").first.inner_text()
    editor_page.get_by_role("link", name="Indsend takstbladet").click()
    editor_page.get_by_role("button", name="Indsend takstbladet").click()
    editor_page.wait_for_url(f"**/takster/ark/{sheet.pk}/")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SUBMITTED

    # The reviewer approves it; the secretariat publishes the year after seeing what it holds.
    staff_page.goto(f"/takster/ark/{sheet.pk}/behandl/")
    staff_page.get_by_role("button", name="Godkend takstbladet").click()
    staff_page.wait_for_url("**/takster/behandling/**")
    assert "er godkendt" in staff_page.inner_text("main")
    staff_page.goto(f"/takster/offentliggoer/?aar={YEAR}")
    assert "Bostedet Åparken" in staff_page.locator("#to-publish").inner_text()
    assert axe_violations(staff_page) == []
    staff_page.get_by_role("button", name=f"Offentliggør takster for {YEAR}").click()
    staff_page.wait_for_url("**/takster/behandling/**")
    assert "er offentliggjort" in staff_page.inner_text("main")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.PUBLISHED

    # Anyone sees the tariff in the year's overview, and the sheet shows how it was made.
    public = new_page()
    public.goto(f"/takster/?aar={YEAR}")
    overview = public.inner_text("main")
    assert "Bostedet Åparken" in overview
    assert "1.528,48" in overview
    public.goto(f"/takster/ark/{sheet.pk}/")
    assert "= beregnet takst" in public.inner_text("main")
    assert axe_violations(public) == []
