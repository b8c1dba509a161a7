"""axe-core finds no WCAG 2.1 A/AA violations on the main public pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.parametrize(
    "path",
    ["/", "/organisation/", "/organisation/organer/forretningsudvalget/", "/konto/login/"],
)
def test_page_has_no_accessibility_violations(seeded, page, path):
    response = page.goto(path)
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "da"
    assert axe_violations(page) == []


def test_meeting_pages_have_no_accessibility_violations(seeded, page):
    from meetings.models import Meeting

    meeting = Meeting.objects.get(body__slug="socialdirektoerkredsen")
    for path in ["/moeder/", "/moeder/aarshjul/2026/", f"/moeder/{meeting.pk}/"]:
        response = page.goto(path)
        assert response.status == 200, path
        assert axe_violations(page) == [], path


def test_round_pages_have_no_accessibility_violations(seeded, page):
    from rounds.models import RoundState, WrittenRound

    # DASSOS's approved round from rounds/demo.py: the outcome as the public reads it.
    round_ = WrittenRound.objects.filter(state=RoundState.APPROVED, is_confidential=False).first()
    assert round_ is not None
    for path in ["/hoeringer/", f"/hoeringer/{round_.pk}/"]:
        response = page.goto(path)
        assert response.status == 200, path
        assert axe_violations(page) == [], path
