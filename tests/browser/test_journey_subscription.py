"""Journey: an anonymous visitor follows Forretningsudvalget from its page, receives the
confirmation mail, opens the link in the browser and confirms; nothing else is sent before."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command

from notices.models import Subscription
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_visitor_follows_fu_and_confirms_from_the_mail(page: Any, transactional_db: Any) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    mail.outbox.clear()

    page.goto("/organisation/organer/forretningsudvalget/")
    box = page.locator("section", has=page.get_by_role("heading", name="Følg FU"))
    assert box.count() == 1
    assert axe_violations(page) == []
    box.get_by_label("Din e-mailadresse").fill("borger@example.dk")
    box.get_by_label("Referater").uncheck()
    box.get_by_label("Resultater af skriftlige høringer").uncheck()
    box.get_by_label("Hvor ofte vil du have mail?").select_option(label="Ugentligt overblik")
    box.get_by_role("button", name="Følg FU").click()

    page.wait_for_load_state()
    assert "Tjek din indbakke" in page.get_by_role("heading", level=1).inner_text()
    row = Subscription.objects.get(email="borger@example.dk")
    assert (row.status, row.frequency) == ("pending", "weekly")
    assert row.topic.endswith(":agenda")

    # The live server runs in a thread of this process: its locmem mail lands in mail.outbox.
    [message] = mail.outbox
    assert message.to == ["borger@example.dk"]
    link = re.search(r"https?://\S+/abonnement/bekraeft/\S+", str(message.body))
    assert link, message.body

    page.goto(urlsplit(link.group(0)).path)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Bekræft abonnement").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Abonnementet er bekræftet"
    assert "Forretningsudvalget" in page.locator("main").inner_text()
    row.refresh_from_db()
    assert row.status == "confirmed"
    assert len(mail.outbox) == 1
