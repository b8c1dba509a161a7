"""Journey through a capacity change (issue 6): Viborg's editor proposes 4 more places on the
municipality's offer, the secretariat confirms the change in its queue, and the offer's page
shows the new capacity from the date the change takes effect."""

from __future__ import annotations

import datetime

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from offers.models import EventState, LifecycleEvent
from organizations.models import MunicipalEditor
from tests.browser.conftest import axe_violations, log_in
from tests.factories import MunicipalityFactory, UserFactory
from tests.offer_factories import LegalBasisFactory, OfferFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "JBSWY3DPEHPK3PXPOFFERJOURNEYAAAA"
PASSWORD = "hemmeligt-kodeord-1"


def test_editor_proposes_secretariat_confirms_offer_page_shows_new_capacity(
    browser, live_server, transactional_db
):
    viborg = MunicipalityFactory(code="791", name="Viborg Kommune")
    offer = OfferFactory(
        name="Bostedet Åparken",
        operator_municipality=viborg,
        location=viborg,
        legal_bases=[LegalBasisFactory(law="SEL", paragraph="108")],
        places=10,
    )
    editor = UserFactory(email="redaktoer@viborg.dk", name="Rikke Redaktør")
    MunicipalEditor.objects.create(user=editor, municipality=viborg)
    staff = UserFactory(email="sekretariat@rammeaftale.dk", name="Sekretær", is_secretariat=True)
    TOTP.activate(staff, SECRET)
    day = timezone.localdate() + datetime.timedelta(days=45)

    def new_page():
        context = browser.new_context(locale="da-DK", base_url=live_server.url)
        context.set_default_timeout(15_000)
        return context.new_page()

    # The editor proposes 14 places from a date 45 days ahead.
    editor_page = new_page()
    log_in(editor_page, "redaktoer@viborg.dk", PASSWORD)
    editor_page.goto(f"/tilbud/{offer.pk}/")
    editor_page.get_by_role("link", name="Redigér tilbuddet").click()
    editor_page.get_by_role("link", name="Foreslå en ændring").click()
    editor_page.wait_for_url(f"**/tilbud/{offer.pk}/aendring/")
    assert "Varslingsregler" in editor_page.inner_text("main")
    assert axe_violations(editor_page) == []
    editor_page.get_by_label("Hvad ændres").select_option(label="Kapacitetsændring")
    editor_page.get_by_label("Gælder fra").fill(day.isoformat())
    editor_page.get_by_label("Pladser", exact=False).first.fill("14")
    editor_page.get_by_label("Begrundelse").fill(
        "Ventelisten er vokset; der er behov for 4 pladser."
    )
    editor_page.get_by_role("button", name="Gem ændringen").click()
    editor_page.wait_for_url(f"**/tilbud/{offer.pk}/")
    assert "venter på sekretariatets bekræftelse" in editor_page.inner_text("main")
    event = LifecycleEvent.objects.get(offer=offer)
    assert event.state == EventState.PROPOSED

    # The secretariat confirms it in the queue.
    staff_page = new_page()
    log_in(staff_page, "sekretariat@rammeaftale.dk", PASSWORD, totp_secret=SECRET)
    staff_page.goto("/tilbud/aendringer/")
    queue = staff_page.locator("#proposed-events")
    assert "Bostedet Åparken" in queue.inner_text()
    assert axe_violations(staff_page) == []
    queue.get_by_role("link", name="Behandl").first.click()
    staff_page.wait_for_url(f"**/tilbud/aendringer/{event.pk}/")
    preview = staff_page.locator("#capacity-preview").inner_text()
    assert "10" in preview and "14" in preview
    assert axe_violations(staff_page) == []
    staff_page.get_by_label("Bemærkning").fill("Godkendt af Forretningsudvalget.")
    staff_page.get_by_role("button", name="Bekræft ændringen").click()
    staff_page.wait_for_url("**/tilbud/aendringer/")
    assert "er bekræftet" in staff_page.inner_text("main")

    # The offer's page shows 14 places from the change's date (and 10 until then).
    editor_page.goto(f"/tilbud/{offer.pk}/")
    row = editor_page.locator(f'tr[data-date="{day.isoformat()}"]')
    assert row.count() == 1, f"no capacity row from {day.isoformat()}"
    assert row.get_attribute("data-places") == "14"
    assert "10 pladser" in editor_page.locator("#places-now").inner_text()
    event.refresh_from_db()
    assert event.state == EventState.CONFIRMED


def test_secretariat_imports_offers_after_a_preview(page, live_server, transactional_db, tmp_path):
    """The import page, its preview and its result, and the maintained tables, work in a real
    browser and pass axe."""
    viborg = MunicipalityFactory(code="791", name="Viborg Kommune")
    LegalBasisFactory(law="SEL", paragraph="108")
    staff = UserFactory(email="sekretariat@rammeaftale.dk", name="Sekretær", is_secretariat=True)
    TOTP.activate(staff, SECRET)
    upload = tmp_path / "tilbudsportalen.csv"
    upload.write_text(
        "Tilbudsportalen-id;Navn;Driftsherre;Beliggenhedskommune;Område;Tilbudstype;"
        "Paragraffer;Pladser\n"
        "4711;Bostedet Åparken;Viborg Kommune;791;Voksne;Botilbud;SEL § 108;24\n",
        encoding="utf-8",
    )

    log_in(page, "sekretariat@rammeaftale.dk", PASSWORD, totp_secret=SECRET)
    for path in ["/tilbud/ny/", "/tilbud/lovgrundlag/", "/tilbud/aftaleperioder/ny/"]:
        assert page.goto(path).status == 200, path
        assert axe_violations(page) == [], path

    page.goto("/tilbud/import/")
    assert axe_violations(page) == []
    page.get_by_label("Regneark eller CSV-fil").set_input_files(str(upload))
    page.get_by_role("button", name="Kontrollér filen").click()
    page.wait_for_url("**/tilbud/import/*/")
    assert "1 nye, 0 ændrede, 0 uændrede" in page.inner_text("main")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Importér").click()
    page.get_by_text("Importen er gennemført").wait_for()
    assert axe_violations(page) == []

    from offers.models import Offer

    offer = Offer.objects.get(tilbudsportalen_id="4711")
    assert offer.operator_municipality == viborg
