"""Journey through a written round (issue 5), from creation to approval: the secretariat creates
a round from the body's page and sends it; the member asked gets a mail, logs in and answers
"Ingen bemærkninger"; the secretariat closes the round early as approved; the public reads the
outcome on the round's page and finds it on the body's page. axe finds nothing on the way."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail

from rounds.models import Answer, Respondent, RoundState, WrittenRound
from tests.browser.conftest import axe_violations, log_in
from tests.factories import BodyFactory, MembershipFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "JBSWY3DPEHPK3PXPROUNDJOURNEYAAAA"
TITLE = "Kapacitetsjustering på Bostedet Åparken"


def test_written_round_from_creation_to_approval(
    browser: Any, live_server: Any, transactional_db: Any
) -> None:
    body = BodyFactory(name="Forretningsudvalget", short_name="FU", slug="fu")
    member_user = UserFactory(email="henning@viborg.dk", name="Henning Hansen")
    MembershipFactory(
        person=PersonFactory(name="Henning Hansen", user=member_user, email="henning@viborg.dk"),
        body=body,
        start_date=datetime.date(2020, 1, 1),
    )
    staff = UserFactory(
        email="sekretariat@rammeaftale.dk", name="Sara Sekretær", is_secretariat=True
    )
    TOTP.activate(staff, SECRET)

    def new_page() -> Any:
        context = browser.new_context(locale="da-DK", base_url=live_server.url)
        context.set_default_timeout(15_000)
        return context.new_page()

    # The secretariat writes the round from the body's page; the deadline is prefilled.
    staff_page = new_page()
    log_in(staff_page, "sekretariat@rammeaftale.dk", "hemmeligt-kodeord-1", totp_secret=SECRET)
    staff_page.goto("/organisation/organer/fu/")
    staff_page.get_by_role("link", name="Ny skriftlig høring").click()
    assert staff_page.get_by_label("Svarfrist, dato").input_value() != ""
    staff_page.get_by_label("Titel").fill(TITLE)
    staff_page.get_by_label("Forslag", exact=True).fill(
        "<p>Driftsherren ønsker 4 pladser mere.</p>"
    )
    staff_page.get_by_label("Forslag til beslutning").fill("<p>Kapaciteten øges med 4 pladser.</p>")
    staff_page.get_by_role("button", name="Opret høringen").click()
    staff_page.wait_for_url(re.compile(r".*/hoeringer/\d+/$"))
    round_path = staff_page.url.removeprefix(live_server.url)
    round_ = WrittenRound.objects.get()
    assert round_path == f"/hoeringer/{round_.pk}/"
    assert "Henning Hansen" in staff_page.inner_text("main")  # asked by default
    on_round = re.compile(rf".*{round_path}(#.*)?$")

    # It is sent after a look at who will be asked.
    staff_page.get_by_role("link", name="Send høringen").click()
    assert "henning@viborg.dk" in staff_page.inner_text("main")
    staff_page.get_by_role("button", name="Send høringen nu").click()
    staff_page.wait_for_url(on_round)
    assert "I høring" in staff_page.inner_text("main")
    invitations = [m for m in mail.outbox if "henning@viborg.dk" in m.to]
    assert invitations and round_path in str(invitations[0].body)

    # The member opens the link, logs in and answers.
    member_page = new_page()
    member_page.goto(round_path)
    assert member_page.get_by_role("heading", name=TITLE).count() == 0  # public: not yet
    log_in(member_page, "henning@viborg.dk", "hemmeligt-kodeord-1")
    member_page.goto(round_path)
    assert axe_violations(member_page) == []
    member_page.get_by_label("Ingen bemærkninger").check()
    member_page.get_by_role("button", name="Afgiv svar").click()
    member_page.wait_for_url(on_round)
    assert "Dit svar »Ingen bemærkninger« er registreret" in member_page.inner_text("main")
    assert Respondent.objects.get().answer == Answer.NO_OBJECTION

    # Everyone has answered: the secretariat closes the round early as approved.
    staff_page.goto(round_path)
    assert "Ingen bemærkninger" in staff_page.inner_text("main")
    staff_page.get_by_role("link", name="Afslut som godkendt før fristen").click()
    staff_page.get_by_role("button", name="Afslut som godkendt").click()
    staff_page.wait_for_url(on_round)
    round_.refresh_from_db()
    assert round_.state == RoundState.APPROVED
    assert "Godkendt" in staff_page.inner_text("main")
    assert axe_violations(staff_page) == []

    # The public reads the outcome (never the answers) and finds it on the body's page.
    public_page = new_page()
    response = public_page.goto(round_path)
    assert response is not None and response.status == 200
    text = public_page.inner_text("main")
    assert "Godkendt" in text
    assert "Kapaciteten øges med 4 pladser." in text
    assert "Henning Hansen" not in text
    assert axe_violations(public_page) == []
    public_page.goto("/organisation/organer/fu/")
    section = public_page.locator(
        "section", has=public_page.get_by_role("heading", name="Skriftlige høringer")
    )
    assert TITLE in section.inner_text() and "Godkendt" in section.inner_text()
    public_page.goto("/hoeringer/")
    assert TITLE in public_page.inner_text("main")
    assert axe_violations(public_page) == []
