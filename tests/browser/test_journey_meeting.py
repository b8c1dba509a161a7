"""Journey through a whole meeting cycle (issue 3): the secretariat creates a meeting, adds items
(one of them closed) and publishes the agenda; a member registers an apology; the secretariat
writes and publishes the minutes; an anonymous visitor reads the minutes but not the closed
item."""

from __future__ import annotations

import datetime

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from tests.browser.conftest import log_in
from tests.factories import BodyFactory, MembershipFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "JBSWY3DPEHPK3PXPMEETINGJOURNEYAA"
MARKER = "FORTROLIG-BORGERSAG-7731"


def test_meeting_cycle_from_agenda_to_public_minutes(browser, live_server, transactional_db):
    body = BodyFactory(name="Forretningsudvalget", short_name="FU", slug="fu")
    member_user = UserFactory(email="medlem@kommune.dk", name="Henning Hansen")
    MembershipFactory(
        person=PersonFactory(name="Henning Hansen", user=member_user),
        body=body,
        start_date=datetime.date(2020, 1, 1),
    )
    staff = UserFactory(email="sekretariat@rammeaftale.dk", is_secretariat=True)
    TOTP.activate(staff, SECRET)
    day = timezone.localdate() + datetime.timedelta(days=14)

    def new_page():
        context = browser.new_context(locale="da-DK", base_url=live_server.url)
        context.set_default_timeout(15_000)
        return context.new_page()

    # The secretariat prepares and publishes the agenda.
    staff_page = new_page()
    log_in(staff_page, "sekretariat@rammeaftale.dk", "hemmeligt-kodeord-1", totp_secret=SECRET)
    staff_page.goto("/organisation/organer/fu/")
    staff_page.get_by_role("link", name="Nyt møde").first.click()
    staff_page.get_by_label("Dato").fill(day.isoformat())
    staff_page.get_by_label("Starter kl.").fill("10:00")
    staff_page.get_by_label("Slutter kl.").fill("12:00")
    staff_page.get_by_label("Sted").fill("Byrådssalen i Viborg")
    staff_page.locator("main form button[type=submit]").first.click()
    staff_page.wait_for_url("**/moeder/redigering/*/dagsorden/")
    agenda_url = staff_page.url

    staff_page.get_by_label("Titel").fill("Kapacitetsjustering på Bostedet Åparken")
    staff_page.get_by_label("Sagsfremstilling").fill("<p>Driftsherren ønsker 4 pladser mere.</p>")
    staff_page.get_by_role("button", name="Tilføj punkt").click()
    staff_page.goto(agenda_url)
    staff_page.get_by_label("Titel").fill("Sag om en enkelt borger")
    staff_page.get_by_label("Sagsfremstilling").fill(f"<p>{MARKER}</p>")
    staff_page.get_by_label("Lukket punkt").check()
    staff_page.get_by_role("button", name="Tilføj punkt").click()
    staff_page.goto(agenda_url)
    assert "Kapacitetsjustering på Bostedet Åparken" in staff_page.inner_text("main")

    staff_page.get_by_role("link", name="Offentliggør dagsordenen").first.click()
    preview = staff_page.inner_text("main")
    assert "Lukket punkt" in preview and MARKER not in preview
    staff_page.get_by_role("button", name="Offentliggør dagsordenen").click()
    staff_page.wait_for_load_state()
    meeting_path = "/moeder/" + agenda_url.split("/redigering/")[1].split("/")[0] + "/"

    # A member of the body registers an apology with one click.
    member_page = new_page()
    log_in(member_page, "medlem@kommune.dk", "hemmeligt-kodeord-1")
    member_page.goto(meeting_path)
    assert MARKER in member_page.inner_text("main")  # members read closed items
    member_page.get_by_role("button", name="Meld afbud").click()
    member_page.get_by_role("button", name="Træk dit afbud tilbage").wait_for()

    # The secretariat writes and publishes the minutes.
    staff_page.goto(agenda_url)
    staff_page.get_by_role("link", name="Skriv referat").first.click()
    boxes = staff_page.locator("main form textarea")
    for index in range(boxes.count()):
        boxes.nth(index).fill("<p>Godkendt som indstillet.</p>")
    staff_page.get_by_role("button", name="Gem referatet").click()
    staff_page.get_by_role("link", name="Offentliggør referatet").first.click()
    staff_page.get_by_role("button", name="Offentliggør referatet").click()
    staff_page.wait_for_load_state()

    # The public reads the minutes, never the closed item.
    public_page = new_page()
    response = public_page.goto(meeting_path)
    assert response.status == 200
    text = public_page.inner_text("main")
    assert "Godkendt som indstillet." in text
    assert "Kapacitetsjustering på Bostedet Åparken" in text
    assert "Lukket punkt" in text
    assert MARKER not in public_page.content()
    assert "Henning Hansen" in text  # attendance shows the apology, by name only
