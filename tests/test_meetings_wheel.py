"""The annual wheel (årshjul): a year month by month with the meetings the visitor may see and the
recurring milestones; the secretariat edits the milestones."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from meetings.models import MeetingState, Milestone
from tests.conftest import World
from tests.factories import BodyFactory
from tests.meeting_factories import CPH, MeetingFactory


def _h2s(response: Any) -> list[str]:
    return [
        re.sub(r"\s+", " ", h).strip()
        for h in re.findall(r'<h2 id="maaned-[^>]*>(.*?)</h2>', response.content.decode(), re.S)
    ]


def _month_section(response: Any, month: int) -> str:
    page = response.content.decode()
    start = page.index(f'id="maaned-{month}"')
    end = page.find("<section", start)
    return page[start : end if end != -1 else None]


@pytest.fixture
def milestones(world: World) -> list[Milestone]:
    return [
        Milestone.objects.create(
            title="Novemberkonference", month=11, description="Fagfolk sætter fokus."
        ),
        Milestone.objects.create(
            title="Indsendelse til Socialstyrelsen", month=10, day=15, body=world.body_a
        ),
    ]


def test_the_year_has_twelve_months_with_meetings_and_milestones(
    world: World, milestones: list[Milestone], anonymous_client: Client
) -> None:
    meeting = MeetingFactory(
        body=world.body_a,
        state=MeetingState.AGENDA_PUBLISHED,
        starts_at=datetime.datetime(2026, 10, 1, 10, 0, tzinfo=CPH),
    )
    response = anonymous_client.get(reverse("meetings:wheel_year", args=[2026]))
    assert response.status_code == 200
    assert _h2s(response) == [
        f"{month} 2026"
        for month in (
            "Januar",
            "Februar",
            "Marts",
            "April",
            "Maj",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "December",
        )
    ]
    october = _month_section(response, 10)
    assert reverse("meetings:detail", args=[meeting.pk]) in october
    assert "Indsendelse til Socialstyrelsen" in october and "15. oktober" in october
    assert "FU" in october
    november = _month_section(response, 11)
    assert "Novemberkonference" in november and "Fagfolk sætter fokus." in november
    assert reverse("meetings:wheel_year", args=[2025]) in response.content.decode()
    assert reverse("meetings:wheel_year", args=[2027]) in response.content.decode()


def test_the_wheel_shows_this_year_and_refuses_absurd_years(
    db: Any, anonymous_client: Client
) -> None:
    response = anonymous_client.get(reverse("meetings:wheel"))
    assert response.status_code == 200
    assert anonymous_client.get("/moeder/aarshjul/1850/").status_code == 404


def test_a_meeting_in_the_night_to_new_year_belongs_to_the_danish_year(
    world: World, anonymous_client: Client
) -> None:
    # 00:30 on 1 January in Copenhagen is still 31 December in UTC.
    meeting = MeetingFactory(
        body=world.body_a,
        state=MeetingState.AGENDA_PUBLISHED,
        starts_at=datetime.datetime(2027, 1, 1, 0, 30, tzinfo=CPH),
    )
    url = reverse("meetings:detail", args=[meeting.pk])
    page_2027 = anonymous_client.get(reverse("meetings:wheel_year", args=[2027]))
    assert url in _month_section(page_2027, 1)
    page_2026 = anonymous_client.get(reverse("meetings:wheel_year", args=[2026]))
    assert url not in page_2026.content.decode()


def test_the_public_wheel_leaves_out_drafts_and_non_public_bodies(
    world: World, anonymous_client: Client, staff_client: Client
) -> None:
    draft = MeetingFactory(body=world.body_a, state=MeetingState.DRAFT, title="Kladdemøde")
    secret = MeetingFactory(
        body=BodyFactory(is_public=False),
        state=MeetingState.AGENDA_PUBLISHED,
        title="Lukket netværksmøde",
    )
    page = anonymous_client.get(reverse("meetings:wheel_year", args=[2026])).content.decode()
    assert "Kladdemøde" not in page and "Lukket netværksmøde" not in page
    staff_page = staff_client.get(reverse("meetings:wheel_year", args=[2026])).content.decode()
    assert reverse("meetings:detail", args=[draft.pk]) in staff_page
    assert reverse("meetings:detail", args=[secret.pk]) in staff_page


@pytest.mark.parametrize("count", [1, 10])
def test_the_wheel_runs_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any, count: int
) -> None:
    for n in range(count):
        MeetingFactory(
            body=world.body_a,
            state=MeetingState.AGENDA_PUBLISHED,
            starts_at=datetime.datetime(2026, 1 + n % 12, 2, 10, 0, tzinfo=CPH),
        )
        Milestone.objects.create(title=f"Milepæl {n}", month=1 + n % 12, body=world.body_b)
    client = Client()
    with django_assert_num_queries(2):  # the meetings, the milestones
        response = client.get(reverse("meetings:wheel_year", args=[2026]))
    assert response.status_code == 200


# --- editing milestones --------------------------------------------------------------------------


def test_only_the_secretariat_edits_milestones(
    world: World,
    milestones: list[Milestone],
    anonymous_client: Client,
    member_a_client: Client,
    editor_client: Client,
) -> None:
    milestone = milestones[0]
    urls = [
        reverse("meetings:milestone_create"),
        reverse("meetings:milestone_edit", args=[milestone.pk]),
        reverse("meetings:milestone_delete", args=[milestone.pk]),
    ]
    for url in urls:
        response = anonymous_client.get(url)
        assert response.status_code == 302 and "/konto/" in response["Location"]
        for client in (member_a_client, editor_client):
            assert client.get(url).status_code == 403
            assert client.post(url, {"title": "X", "month": "1", "order": "0"}).status_code == 403
    assert Milestone.objects.count() == 2
    assert Milestone.objects.get(pk=milestone.pk).title == "Novemberkonference"
    page = member_a_client.get(reverse("meetings:wheel_year", args=[2026])).content.decode()
    assert reverse("meetings:milestone_create") not in page


def test_staff_adds_edits_and_deletes_a_milestone(world: World, staff_client: Client) -> None:
    response = staff_client.post(
        reverse("meetings:milestone_create"),
        {
            "title": "DASSOS-møde",
            "month": "3",
            "day": "",
            "body": str(world.body_a.pk),
            "description": "Forår",
            "order": "0",
        },
    )
    assert response.status_code == 302
    milestone = Milestone.objects.get(title="DASSOS-møde")
    assert (milestone.month, milestone.day, milestone.body) == (3, None, world.body_a)
    assert staff_client.get(response["Location"]).status_code == 200

    response = staff_client.post(
        reverse("meetings:milestone_edit", args=[milestone.pk]),
        {"title": "DASSOS-møde", "month": "8", "day": "20", "order": "1"},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.month, milestone.day, milestone.body) == (8, 20, None)

    confirm = staff_client.get(reverse("meetings:milestone_delete", args=[milestone.pk]))
    assert confirm.status_code == 200 and "DASSOS-møde" in confirm.content.decode()
    assert Milestone.objects.filter(pk=milestone.pk).exists()
    response = staff_client.post(reverse("meetings:milestone_delete", args=[milestone.pk]))
    assert response.status_code == 302
    assert not Milestone.objects.filter(pk=milestone.pk).exists()


@pytest.mark.parametrize(
    ("month", "day", "field", "message"),
    [
        ("4", "31", "day", "April har kun 30 dage."),
        ("2", "30", "day", "Februar har kun 29 dage."),
        ("13", "", "month", "Vælg en måned fra januar til december."),
        ("0", "", "month", "Vælg en måned fra januar til december."),
        ("", "", "month", "Vælg en måned."),
        ("5", "0", "day", "Dagen skal være mellem 1 og 31."),
        ("5", "x", "day", "Skriv dagen som et tal, fx 15."),
    ],
)
def test_a_day_that_does_not_exist_is_refused_in_danish_at_the_field(
    world: World, staff_client: Client, month: str, day: str, field: str, message: str
) -> None:
    response = staff_client.post(
        reverse("meetings:milestone_create"),
        {"title": "Frist", "month": month, "day": day, "order": "0"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert not Milestone.objects.exists()


def test_29_february_is_allowed(world: World, staff_client: Client) -> None:
    response = staff_client.post(
        reverse("meetings:milestone_create"),
        {"title": "Skuddag", "month": "2", "day": "29", "order": "0"},
    )
    assert response.status_code == 302
    assert Milestone.objects.get(title="Skuddag").day == 29


def test_a_title_is_required(world: World, staff_client: Client) -> None:
    response = staff_client.post(
        reverse("meetings:milestone_create"), {"title": "", "month": "2", "order": "0"}
    )
    assert response.context["form"].errors["title"] == ["Skriv milepælens titel."]


def test_demo_milestones_follow_the_cycle(db: Any) -> None:
    import io

    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    found = {(m.title, m.month, m.day) for m in Milestone.objects.all()}
    assert {
        ("Januarkonference", 1, None),
        ("DASSOS-møde", 3, None),
        ("DASSOS-møde", 8, None),
        ("Styringsaftalen besluttes", 10, None),
        ("Godkendelse i byråd og regionsråd", 10, None),
        ("Indsendelse til Socialstyrelsen", 10, 15),
        ("Novemberkonference", 11, None),
        ("Dialogforum", 12, None),
    } == found
    assert Milestone.objects.get(month=3).body.slug == "dassos"
