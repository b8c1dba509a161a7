"""The pages of written rounds (skriftlig høring), told from each persona's side: the list, a
round's page, answering (also as a substitute), downloads, the section on a body's page, "Mine
høringer" on the profile, and the secretariat's pages from creation to the outcome.

A marker planted in an objection's comment must never reach an outsider (the public, a member
of another body, a municipal editor): outsiders see a closed round's outcome, never the answers
or who gave them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings.models import MeetingState
from organizations.models import Person, Role
from rounds import services
from rounds.models import (
    Answer,
    EventKind,
    Respondent,
    RoundAttachment,
    RoundEvent,
    RoundState,
    WrittenRound,
)
from rounds.permissions import respondents_answerable_by
from tests.conftest import World, give_mfa
from tests.factories import BodyFactory, MembershipFactory, PersonFactory, UserFactory
from tests.meeting_factories import MeetingFactory
from tests.round_factories import WrittenRoundFactory

CPH = ZoneInfo("Europe/Copenhagen")
MARKER = "INDSIGELSE-HEMMELIG-5e2a"
TITLE = "Kapacitetsjustering på Bostedet Åparken"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OUTSIDERS = ["anonymous", "member_b", "editor"]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


# --- helpers -------------------------------------------------------------------------------------


def client_for(world: World, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    return client


def person_of(user: Any) -> Person:
    return Person.objects.get(user=user)


def new_round(world: World, *, body: Any = None, send: bool = False, **kwargs: Any) -> WrittenRound:
    """A round of body A (by default) written by the secretariat; member A is asked."""
    kwargs.setdefault("title", TITLE)
    kwargs.setdefault("proposal", "<p>Driftsherren ønsker 4 pladser mere.</p>")
    kwargs.setdefault("proposed_decision", "<p>Kapaciteten øges med 4 pladser.</p>")
    kwargs.setdefault("proposer_municipality", world.municipality)
    round_ = services.round_create(body=body or world.body_a, by=world.staff, **kwargs)
    if send:
        round_ = services.round_send(round_=round_, by=world.staff)
    return round_


def respondent_of(round_: WrittenRound, user: Any) -> Respondent:
    return Respondent.objects.get(round=round_, person__user=user)


def answer(round_: WrittenRound, user: Any, value: str, comment: str = "") -> Respondent:
    return services.round_answer(
        respondent=respondent_of(round_, user), by=user, answer=value, comment=comment
    )


def pass_deadline(round_: WrittenRound) -> None:
    WrittenRound.objects.filter(pk=round_.pk).update(
        deadline=timezone.now() - datetime.timedelta(minutes=5)
    )


def referred_round(world: World, **kwargs: Any) -> WrittenRound:
    """Sent, objected to by member A (the comment carries the marker), resolved at its
    deadline: referred to the next meeting."""
    round_ = new_round(world, send=True, **kwargs)
    answer(round_, world.member_a, Answer.OBJECTION, f"Vi kan ikke tiltræde. {MARKER}")
    pass_deadline(round_)
    resolved = services.round_resolve(round_id=round_.pk)
    assert resolved is not None and resolved.state == RoundState.REFERRED
    return resolved


def approved_round(world: World, **kwargs: Any) -> WrittenRound:
    round_ = new_round(world, send=True, **kwargs)
    answer(round_, world.member_a, Answer.NO_OBJECTION)
    return services.round_close_early(round_=round_, by=world.staff)


def add_attachment(round_: WrittenRound, world: World, name: str = "Notat.pdf") -> RoundAttachment:
    upload = SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")
    return services.round_attachment_add(round_=round_, by=world.staff, upload=upload)


def detail_url(round_: WrittenRound) -> str:
    return reverse("rounds:detail", args=[round_.pk])


def answer_url(round_: WrittenRound) -> str:
    return reverse("rounds:answer", args=[round_.pk])


def answer_data(respondent: Respondent, value: str, comment: str = "") -> dict[str, Any]:
    prefix = f"svar-{respondent.pk}"
    return {"respondent": respondent.pk, f"{prefix}-answer": value, f"{prefix}-comment": comment}


def field_group(html: str, field_id: str) -> str:
    """The DKFDS form-group that holds the input with `field_id`."""
    for group in re.findall(r'<div class="form-group[^"]*">.*?</div>', html, flags=re.S):
        if f'id="{field_id}"' in group:
            return group
    raise AssertionError(f"no form-group holds #{field_id}")


def assert_error_at(response: Any, field_id: str, message: str) -> None:
    """The Danish message is shown at the field, in DKFDS error-state markup."""
    group = field_group(response.content.decode(), field_id)
    assert 'class="form-group form-error"' in group
    assert f'id="{field_id}_error"' in group
    assert message in group


def text(response: Any) -> str:
    return response.content.decode()


# --- who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsider_never_sees_answers_respondents_or_comments(world, outsider):
    """On every page and download an outsider can reach, a referred round shows its outcome
    only: no comment, no respondent's name, no table of answers."""
    round_ = referred_round(world)
    attachment = add_attachment(new_round(world), world)  # a draft's file
    open_round = new_round(world, send=True)
    answer(open_round, world.member_a, Answer.OBJECTION, f"Også her {MARKER}")
    respondent_name = person_of(world.member_a).name
    client = client_for(world, outsider)

    pages = {
        "list": client.get(reverse("rounds:index")),
        "list_filtered": client.get(reverse("rounds:index") + "?organ=fu&status=referred"),
        "detail": client.get(detail_url(round_)),
        "answer": client.get(answer_url(round_)),
        "body": client.get(world.body_a.get_absolute_url()),
        "open_detail": client.get(detail_url(open_round)),
        "open_answer": client.get(answer_url(open_round)),
        "draft_file": client.get(reverse("rounds:attachment", args=[attachment.pk])),
    }
    if outsider != "anonymous":
        pages["profile"] = client.get(reverse("profile"))

    detail = text(pages["detail"])
    assert pages["detail"].status_code == 200
    assert "Henvist til næste møde" in detail
    assert "Viborg Kommune" in detail  # the outcome names the municipality that objected
    assert "Høringsparternes svar" not in detail
    assert pages["open_detail"].status_code == 404
    assert pages["draft_file"].status_code == 404
    for name, response in pages.items():
        body = b"".join(response) if hasattr(response, "streaming_content") else response.content
        assert MARKER.encode() not in body, name
        if name not in ("body", "profile"):  # the body page lists its members by name
            assert respondent_name.encode() not in body, name


@pytest.mark.parametrize("insider", ["staff", "member_a"])
def test_insiders_see_each_municipalitys_answer_and_when(world, insider):
    round_ = new_round(world, send=True)
    answer(round_, world.member_a, Answer.OBJECTION, f"Vi kan ikke tiltræde. {MARKER}")

    html = text(client_for(world, insider).get(detail_url(round_)))

    assert "Høringsparternes svar" in html
    assert "Viborg Kommune" in html
    assert person_of(world.member_a).name in html
    assert "Indsigelse / bemærkninger" in html
    assert MARKER in html
    assert "Svaret: 1 af 1" in html
    assert "Indsigelser eller bemærkninger: 1" in html


def test_a_member_of_the_body_who_is_not_asked_sees_the_answers(world):
    colleague = UserFactory(email="kollega@example.dk")
    MembershipFactory(person=PersonFactory(user=colleague), body=world.body_a, role=Role.OBSERVER)
    round_ = new_round(world, send=True)
    answer(round_, world.member_a, Answer.NO_OBJECTION)

    client = Client()
    client.force_login(colleague)
    html = text(client.get(detail_url(round_)))

    assert "Høringsparternes svar" in html and person_of(world.member_a).name in html
    assert "Dit svar" not in html  # an observer is not asked


def test_public_sees_the_outcome_of_a_closed_round_only(world, anonymous_client):
    approved = approved_round(world)
    open_round = new_round(world, send=True)

    html = text(anonymous_client.get(detail_url(approved)))
    listing = text(anonymous_client.get(reverse("rounds:index")))

    assert "Godkendt" in html
    assert "Kapaciteten øges med 4 pladser." in html  # the decision
    assert approved.decided_on is not None
    assert f"{approved.decided_on.day}. " in html
    assert "Høringsparternes svar" not in html
    assert person_of(world.member_a).name not in html
    assert anonymous_client.get(detail_url(open_round)).status_code == 404
    assert detail_url(approved) in listing
    assert detail_url(open_round) not in listing


def test_confidential_round_is_not_found_for_the_public(world, persona):
    name, _user, client = persona
    round_ = approved_round(world, is_confidential=True)

    response = client.get(detail_url(round_))

    assert response.status_code == (200 if name in ("staff", "member_a") else 404)
    assert (detail_url(round_) in text(client.get(reverse("rounds:index")))) == (
        name in ("staff", "member_a")
    )


def test_round_of_a_non_public_body_is_for_its_members_only(world, persona):
    name, _user, client = persona
    world.body_a.is_public = False
    world.body_a.save()
    round_ = approved_round(world)

    assert client.get(detail_url(round_)).status_code == (
        200 if name in ("staff", "member_a") else 404
    )


def test_draft_is_not_found_for_anyone_but_the_secretariat(world, persona):
    name, _user, client = persona
    round_ = new_round(world)
    attachment = add_attachment(round_, world)

    assert client.get(detail_url(round_)).status_code == (200 if name == "staff" else 404)
    download = client.get(reverse("rounds:attachment", args=[attachment.pk]))
    assert download.status_code == (200 if name == "staff" else 404)
    assert (detail_url(round_) in text(client.get(reverse("rounds:index")))) == (name == "staff")


def test_round_page_has_breadcrumbs_to_the_list(world, anonymous_client):
    round_ = approved_round(world)
    html = text(anonymous_client.get(detail_url(round_)))
    crumbs = html[
        html.index('<nav class="breadcrumbs"') : html.index("</nav>", html.index("breadcrumbs"))
    ]
    assert f'href="{reverse("rounds:index")}">Skriftlige høringer</a>' in crumbs
    assert crumbs.count(TITLE) == 1 and 'aria-current="page"' in crumbs


def test_unknown_round_is_not_found(world, staff_client):
    assert staff_client.get(reverse("rounds:detail", args=[999_999])).status_code == 404


# --- answering -----------------------------------------------------------------------------------


def test_respondent_answers_no_objection_on_the_round_page(world, member_a_client):
    round_ = new_round(world, send=True)
    respondent = respondent_of(round_, world.member_a)

    page = text(member_a_client.get(detail_url(round_)))
    response = member_a_client.post(
        answer_url(round_), answer_data(respondent, Answer.NO_OBJECTION)
    )

    assert "Dit svar for Viborg Kommune" in page
    assert f'action="{answer_url(round_)}"' in page
    assert response.status_code == 302
    assert response.url == detail_url(round_) + "#svar"
    respondent.refresh_from_db()
    assert respondent.answer == Answer.NO_OBJECTION
    assert respondent.answered_by == world.member_a
    assert not respondent.answered_as_substitute
    followed = text(member_a_client.get(response.url))
    assert "Dit svar »Ingen bemærkninger« er registreret" in followed


def test_answer_page_without_javascript_shows_the_form(world, member_a_client):
    round_ = new_round(world, send=True)

    html = text(member_a_client.get(answer_url(round_)))

    assert "<legend" in html and "Svar</legend>" in html
    assert "Ingen bemærkninger" in html and "Indsigelse / bemærkninger" in html


def test_objection_without_a_comment_is_refused_at_the_comment(world, member_a_client):
    round_ = new_round(world, send=True)
    respondent = respondent_of(round_, world.member_a)

    response = member_a_client.post(answer_url(round_), answer_data(respondent, Answer.OBJECTION))

    assert response.status_code == 200
    assert_error_at(
        response,
        f"id_svar-{respondent.pk}-comment",
        "Skriv din indsigelse eller dine bemærkninger.",
    )
    assert "Der er fejl i formularen" in text(response)
    respondent.refresh_from_db()
    assert respondent.answer == ""
    assert not RoundEvent.objects.filter(round=round_, kind=EventKind.ANSWERED).exists()


def test_no_answer_chosen_is_refused(world, member_a_client):
    round_ = new_round(world, send=True)
    respondent = respondent_of(round_, world.member_a)

    response = member_a_client.post(answer_url(round_), answer_data(respondent, ""))

    assert "Vælg et svar." in text(response)
    respondent.refresh_from_db()
    assert respondent.answer == ""


def test_changed_answer_updates_the_row_and_the_history(world, member_a_client):
    round_ = new_round(world, send=True)
    respondent = respondent_of(round_, world.member_a)
    member_a_client.post(answer_url(round_), answer_data(respondent, Answer.NO_OBJECTION))

    page = text(member_a_client.get(detail_url(round_)))
    member_a_client.post(
        answer_url(round_), answer_data(respondent, Answer.OBJECTION, "Vi har bemærkninger.")
    )

    assert "Gem ændret svar" in page
    respondent.refresh_from_db()
    assert respondent.answer == Answer.OBJECTION
    assert respondent.comment == "Vi har bemærkninger."
    kinds = list(RoundEvent.objects.filter(round=round_).values_list("kind", flat=True))
    assert kinds.count(EventKind.ANSWERED) == 1
    assert kinds.count(EventKind.ANSWER_CHANGED) == 1


def test_late_answer_is_refused_with_a_danish_message_and_nothing_stored(world, member_a_client):
    round_ = new_round(world, send=True)
    respondent = respondent_of(round_, world.member_a)
    pass_deadline(round_)

    response = member_a_client.post(
        answer_url(round_), answer_data(respondent, Answer.OBJECTION, "For sent, men vigtigt")
    )

    html = text(response)
    assert response.status_code == 200
    assert "Fristen for at svare var" in html
    assert "Dit svar er ikke registreret" in html
    assert "For sent, men vigtigt" in html  # the text typed is not lost
    respondent.refresh_from_db()
    assert respondent.answer == "" and respondent.comment == ""
    assert not RoundEvent.objects.filter(round=round_, respondent=respondent).exists()


def test_answer_after_the_round_is_closed_is_refused(world, member_a_client):
    round_ = approved_round(world)
    respondent = respondent_of(round_, world.member_a)

    response = member_a_client.post(
        answer_url(round_), answer_data(respondent, Answer.OBJECTION, "Nej")
    )

    assert "Høringen er ikke åben for svar" in text(response)
    respondent.refresh_from_db()
    assert respondent.answer == Answer.NO_OBJECTION


def test_a_member_who_is_not_asked_cannot_answer(world):
    """A member of the body sees the round, but posting an answer for the respondent is 403 and
    stores nothing."""
    colleague = UserFactory(email="kollega@example.dk")
    MembershipFactory(
        person=PersonFactory(user=colleague, municipality=world.other_municipality),
        body=world.body_a,
    )
    round_ = new_round(world, send=True, respondents=[person_of(world.member_a)])
    respondent = respondent_of(round_, world.member_a)
    client = Client()
    client.force_login(colleague)

    page = client.get(answer_url(round_))
    response = client.post(answer_url(round_), answer_data(respondent, Answer.NO_OBJECTION))

    assert "Du er ikke høringspart" in text(page)
    assert response.status_code == 403
    respondent.refresh_from_db()
    assert respondent.answer == ""
    assert not RoundEvent.objects.filter(round=round_, respondent=respondent).exists()


@pytest.mark.parametrize("outsider", ["member_b", "editor"])
def test_an_outsider_cannot_answer(world, outsider):
    round_ = new_round(world, send=True)
    respondent = respondent_of(round_, world.member_a)

    response = client_for(world, outsider).post(
        answer_url(round_), answer_data(respondent, Answer.NO_OBJECTION)
    )

    assert response.status_code == 404
    respondent.refresh_from_db()
    assert respondent.answer == ""


def test_anonymous_visitor_is_sent_to_log_in_to_answer(world, anonymous_client):
    round_ = new_round(world, send=True)
    respondent = respondent_of(round_, world.member_a)

    for response in (
        anonymous_client.get(answer_url(round_)),
        anonymous_client.post(answer_url(round_), answer_data(respondent, Answer.NO_OBJECTION)),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    respondent.refresh_from_db()
    assert respondent.answer == ""


def test_a_respondent_of_another_round_cannot_be_named(world, member_a_client):
    round_ = new_round(world, send=True)
    other = new_round(world, send=True, title="Et andet forslag")

    response = member_a_client.post(
        answer_url(round_), answer_data(respondent_of(other, world.member_a), Answer.NO_OBJECTION)
    )

    assert response.status_code == 404
    assert not Respondent.objects.exclude(answer="").exists()


def substitute_for_member_a(world: World) -> Any:
    """A substitute (suppleant) of body A for the same municipality as member A."""
    user = UserFactory(email="suppleant@example.dk", name="Sofie Suppleant")
    MembershipFactory(
        person=PersonFactory(user=user, name="Sofie Suppleant", municipality=world.municipality),
        body=world.body_a,
        role=Role.SUBSTITUTE,
    )
    return user


def test_substitute_answers_for_an_absent_member(world, staff_client):
    substitute = substitute_for_member_a(world)
    round_ = new_round(world, send=True)
    respondent = respondent_of(round_, world.member_a)
    client = Client()
    client.force_login(substitute)
    member_name = person_of(world.member_a).name

    page = text(client.get(detail_url(round_)))
    response = client.post(answer_url(round_), answer_data(respondent, Answer.NO_OBJECTION))

    assert f"Svar som suppleant for {member_name} (Viborg Kommune)" in page
    assert response.status_code == 302
    respondent.refresh_from_db()
    assert respondent.answer == Answer.NO_OBJECTION
    assert respondent.answered_by == substitute
    assert respondent.answered_as_substitute
    assert "svaret af suppleant Sofie Suppleant" in text(staff_client.get(detail_url(round_)))
    followed = text(client.get(response.url))
    assert f"Svaret »Ingen bemærkninger« er registreret for {member_name}." in followed


def test_substitute_of_another_municipality_cannot_answer(world):
    user = UserFactory(email="anden-suppleant@example.dk")
    MembershipFactory(
        person=PersonFactory(user=user, municipality=world.other_municipality),
        body=world.body_a,
        role=Role.SUBSTITUTE,
    )
    round_ = new_round(world, send=True)
    respondent = respondent_of(round_, world.member_a)
    client = Client()
    client.force_login(user)

    response = client.post(answer_url(round_), answer_data(respondent, Answer.NO_OBJECTION))

    assert response.status_code == 403
    respondent.refresh_from_db()
    assert respondent.answer == ""


# --- the profile: "Mine høringer" ----------------------------------------------------------------


def test_profile_lists_open_rounds_to_answer_with_deadline_and_answer(world, member_a_client):
    waiting = new_round(world, send=True, title="Venter på svar")
    answered = new_round(world, send=True, title="Allerede besvaret")
    answer(answered, world.member_a, Answer.NO_OBJECTION)
    approved_round(world, title="Afsluttet høring")
    new_round(world, title="Kladde til høring")

    html = text(member_a_client.get(reverse("profile")))

    assert "Mine høringer" in html
    section = html[html.index('id="hoeringer"') :]
    assert "Venter på svar" in section and "Allerede besvaret" in section
    assert "Afsluttet høring" not in section and "Kladde til høring" not in section
    assert "Ikke besvaret" in section and "Besvaret: Ingen bemærkninger" in section
    assert f"{detail_url(waiting)}#svar" in section


def test_profile_lists_rounds_a_substitute_may_answer(world):
    substitute = substitute_for_member_a(world)
    new_round(world, send=True)
    client = Client()
    client.force_login(substitute)

    html = text(client.get(reverse("profile")))

    assert TITLE in html
    assert f"Som suppleant for {person_of(world.member_a).name}" in html


def test_profile_has_no_rounds_section_for_someone_never_asked(world, editor_client):
    new_round(world, send=True)
    assert "Mine høringer" not in text(editor_client.get(reverse("profile")))


# --- attachments ---------------------------------------------------------------------------------


def test_attachment_is_downloaded_under_its_original_name(world, anonymous_client):
    round_ = new_round(world)
    attachment = add_attachment(round_, world, "Notat om Åparken.pdf")
    services.round_send(round_=round_, by=world.staff)
    answer(round_, world.member_a, Answer.NO_OBJECTION)
    services.round_close_early(round_=round_, by=world.staff)

    response = anonymous_client.get(reverse("rounds:attachment", args=[attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Notat%20om%20%C3%85parken.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert reverse("rounds:attachment", args=[attachment.pk]) in text(
        anonymous_client.get(detail_url(round_))
    )


def test_open_rounds_attachment_is_for_insiders(world, member_a_client, anonymous_client):
    round_ = new_round(world)
    attachment = add_attachment(round_, world)
    services.round_send(round_=round_, by=world.staff)
    url = reverse("rounds:attachment", args=[attachment.pk])

    assert member_a_client.get(url).status_code == 200
    assert anonymous_client.get(url).status_code == 404


# --- the list and the body page ------------------------------------------------------------------


def test_list_filters_by_state_and_body_and_can_be_bookmarked(world, staff_client):
    approved = approved_round(world, title="Godkendt forslag")
    open_a = new_round(world, send=True, title="Åbent forslag i FU")
    other_body = new_round(world, body=world.body_b, send=True, title="Forslag i TG")

    by_state = text(staff_client.get(reverse("rounds:index") + "?status=approved"))
    by_body = text(staff_client.get(reverse("rounds:index") + "?organ=takstgruppen"))
    both = text(staff_client.get(reverse("rounds:index") + "?organ=fu&status=open"))
    nonsense = staff_client.get(reverse("rounds:index") + "?organ=findes-ikke&status=xyz")

    assert "Godkendt forslag" in by_state and "Åbent forslag i FU" not in by_state
    assert "Forslag i TG" in by_body and "Godkendt forslag" not in by_body
    assert "Høringer i Takstgruppen" in by_body
    assert "Åbent forslag i FU" in both and "Forslag i TG" not in both
    assert nonsense.status_code == 200
    assert "Vælg et organ fra listen." in text(nonsense)
    for round_ in (approved, open_a, other_body):
        assert detail_url(round_) in text(nonsense)  # unknown values are ignored


def test_draft_state_is_a_filter_for_the_secretariat_only(world, staff_client, member_a_client):
    assert 'value="draft"' in text(staff_client.get(reverse("rounds:index")))
    assert 'value="draft"' not in text(member_a_client.get(reverse("rounds:index")))


def test_body_page_lists_its_rounds_beside_its_meetings(world, persona):
    name, _user, client = persona
    approved = approved_round(world, title="Godkendt i FU")
    open_round = new_round(world, send=True, title="I høring i FU")
    new_round(world, body=world.body_b, send=True, title="Høring i TG")

    html = text(client.get(world.body_a.get_absolute_url()))

    assert "Skriftlige høringer" in html
    assert detail_url(approved) in html
    assert (detail_url(open_round) in html) == (name in ("staff", "member_a"))
    assert "Høring i TG" not in html
    assert reverse("rounds:index") + "?organ=fu" in html
    create_url = reverse("rounds:create", args=["fu"])
    assert (create_url in html) == (name == "staff")
    assert html.index('id="meetings-heading"') < html.index('id="rounds-heading"')


def test_meetings_page_links_to_the_rounds(world, anonymous_client):
    html = text(anonymous_client.get(reverse("meetings:index")))
    assert reverse("rounds:index") in html and "Skriftlige høringer" in html


# --- the secretariat's pages ---------------------------------------------------------------------


def round_form_data(**overrides: Any) -> dict[str, Any]:
    day = timezone.localdate() + datetime.timedelta(days=21)
    data = {
        "title": TITLE,
        "proposal": "<p>Fire pladser mere.</p><script>alert(1)</script>",
        "justification": "<p>Venteliste på 6 borgere.</p>",
        "proposed_decision": "<p>Kapaciteten øges.</p>",
        "proposer_municipality": "",
        "proposer_region": "",
        "deadline_date": day.isoformat(),
        "deadline_time": "12:00",
    }
    data.update(overrides)
    return data


def test_secretariat_creates_a_round_from_the_body_page(world, staff_client):
    form = text(staff_client.get(reverse("rounds:create", args=["fu"])))
    response = staff_client.post(
        reverse("rounds:create", args=["fu"]),
        round_form_data(proposer_municipality=world.municipality.pk),
    )

    assert "Standard: 10 arbejdsdage, weekender og helligdage springes over." in form
    default = timezone.localtime(services.default_deadline())
    assert f'value="{default.date().isoformat()}"' in form
    round_ = WrittenRound.objects.get()
    assert response.status_code == 302 and response.url == detail_url(round_)
    assert round_.body == world.body_a and round_.state == RoundState.DRAFT
    assert round_.proposer_municipality == world.municipality
    assert "<script>" not in round_.proposal
    assert timezone.localtime(round_.deadline).time() == datetime.time(12, 0)
    assert [r.person for r in round_.respondents.all()] == [person_of(world.member_a)]
    page = text(staff_client.get(response.url))
    assert "Høringen er oprettet som kladde" in page
    assert "Send høringen" in page and "Historik" in page and "Oprettet" in page


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"title": ""}, "id_title", "Skriv høringens titel."),
        ({"proposal": ""}, "id_proposal", "Skriv forslaget."),
        ({"proposal": "<script>x</script>"}, "id_proposal", "Skriv forslaget."),
        (
            {"deadline_date": "2020-01-06"},
            "id_deadline_date",
            "Svarfristen skal ligge i fremtiden.",
        ),
        ({"deadline_date": "i morgen"}, "id_deadline_date", "Skriv en gyldig dato"),
        ({"deadline_time": ""}, "id_deadline_time", "Skriv klokkeslættet for svarfristen."),
        (
            {"proposer_region": "region"},
            "id_proposer_region",
            "Vælg enten en kommune eller regionen som forslagsstiller.",
        ),
    ],
)
def test_create_form_says_what_is_wrong_at_the_field(
    world, staff_client, overrides, field_id, message
):
    region = world.municipality.region
    if overrides.get("proposer_region") == "region":
        overrides = {
            "proposer_region": region.pk,
            "proposer_municipality": world.municipality.pk,
        }
    response = staff_client.post(
        reverse("rounds:create", args=["fu"]), round_form_data(**overrides)
    )

    assert response.status_code == 200
    assert_error_at(response, field_id, message)
    assert not WrittenRound.objects.exists()


def test_secretariat_edits_a_draft_but_not_a_sent_round(world, staff_client):
    round_ = new_round(world)
    url = reverse("rounds:edit", args=[round_.pk])

    response = staff_client.post(url, round_form_data(title="Ny titel", is_confidential="on"))
    round_.refresh_from_db()
    assert response.status_code == 302
    assert round_.title == "Ny titel" and round_.is_confidential

    services.round_send(round_=round_, by=world.staff)
    page = text(staff_client.get(url))
    refused = staff_client.post(url, round_form_data(title="Endnu en titel"))
    assert "Høringen er sendt og kan ikke længere ændres." in page
    assert "Høringen er sendt og kan ikke længere ændres." in text(refused)
    round_.refresh_from_db()
    assert round_.title == "Ny titel"


def test_secretariat_chooses_the_respondents(world, staff_client):
    round_ = new_round(world)
    colleague = PersonFactory(name="Karen Kollega", municipality=world.other_municipality)
    MembershipFactory(person=colleague, body=world.body_a, role=Role.OBSERVER)
    outside = PersonFactory(name="Otto Udenfor")
    url = reverse("rounds:respondents", args=[round_.pk])
    member = person_of(world.member_a)

    page = text(staff_client.get(url))
    response = staff_client.post(url, {"people": [colleague.pk], "extra": outside.pk})

    assert re.search(rf'<input type="checkbox" name="people" value="{member.pk}"[^>]*checked', page)
    assert not re.search(rf'name="people" value="{colleague.pk}"[^>]*checked', page)
    assert "Karen Kollega (Aarhus Kommune)" in page
    assert response.status_code == 302
    assert set(round_.respondents.values_list("person__name", flat=True)) == {
        "Karen Kollega",
        "Otto Udenfor",
    }
    assert RoundEvent.objects.filter(round=round_, kind=EventKind.RESPONDENTS).exists()
    # Otto, asked but not a member, can now be kept or removed with a tick.
    assert "Otto Udenfor" in text(staff_client.get(url)).split("<select")[0]


def test_choosing_nobody_is_refused_at_the_field(world, staff_client):
    round_ = new_round(world)
    response = staff_client.post(reverse("rounds:respondents", args=[round_.pk]), {})

    assert "Vælg mindst én høringspart." in text(response)
    assert 'id="id_people_error"' in text(response)
    assert round_.respondents.count() == 1


def test_secretariat_attaches_and_removes_files(world, staff_client):
    round_ = new_round(world)
    url = reverse("rounds:attachments", args=[round_.pk])

    upload = SimpleUploadedFile("Budget.pdf", PDF_BYTES, content_type="application/pdf")
    response = staff_client.post(url, {"file": upload})
    bad = staff_client.post(
        url, {"file": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 ikke en pdf")}
    )

    assert response.status_code == 302
    attachment = RoundAttachment.objects.get(round=round_)
    assert attachment.original_name == "Budget.pdf"
    assert_error_at(bad, "id_file", "kan ikke vedhæftes")
    assert RoundAttachment.objects.count() == 1

    delete = staff_client.post(reverse("rounds:attachment_delete", args=[attachment.pk]))
    assert delete.status_code == 302
    assert not RoundAttachment.objects.exists()


def test_send_page_shows_who_will_be_asked_and_sends_once(world, staff_client):
    round_ = new_round(world)
    url = reverse("rounds:send", args=[round_.pk])
    member = person_of(world.member_a)

    page = text(staff_client.get(url))
    response = staff_client.post(url)
    again = staff_client.post(url)

    assert member.name in page and member.email in page and "Viborg Kommune" in page
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.state == RoundState.OPEN and round_.sent_by == world.staff
    assert "Høringen er sendt og kan ikke længere ændres." in text(again)
    assert RoundEvent.objects.filter(round=round_, kind=EventKind.SENT).count() == 1


def test_sending_to_someone_without_an_address_is_refused(world, staff_client):
    nobody = PersonFactory(name="Uden Adresse", email="")
    round_ = new_round(world, respondents=[nobody])
    url = reverse("rounds:send", args=[round_.pk])

    page = text(staff_client.get(url))
    response = staff_client.post(url)

    assert "Mangler e-mailadresse" in page
    assert "Disse høringsparter har ingen e-mailadresse: Uden Adresse." in text(response)
    round_.refresh_from_db()
    assert round_.state == RoundState.DRAFT


def test_secretariat_reminds_those_who_have_not_answered(world, staff_client):
    round_ = new_round(world, send=True)
    url = reverse("rounds:remind", args=[round_.pk])

    staff_client.post(url)
    answer(round_, world.member_a, Answer.NO_OBJECTION)
    response = staff_client.post(url, follow=True)

    assert RoundEvent.objects.filter(round=round_, kind=EventKind.REMINDED).count() == 1
    assert "Alle har svaret; der er ikke sendt nogen påmindelse." in text(response)


def test_secretariat_extends_the_deadline_but_never_shortens_it(world, staff_client):
    round_ = new_round(world, send=True)
    url = reverse("rounds:deadline", args=[round_.pk])
    old = timezone.localtime(round_.deadline)
    later = old.date() + datetime.timedelta(days=7)
    earlier = old.date() - datetime.timedelta(days=1)

    refused = staff_client.post(
        url, {"deadline_date": earlier.isoformat(), "deadline_time": "12:00"}
    )
    response = staff_client.post(
        url, {"deadline_date": later.isoformat(), "deadline_time": "15:30"}
    )

    assert_error_at(refused, "id_deadline_date", "kan kun forlænges, ikke forkortes")
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.deadline == datetime.datetime.combine(later, datetime.time(15, 30), tzinfo=CPH)


def test_withdrawing_needs_a_reason(world, staff_client, anonymous_client):
    round_ = new_round(world, send=True)
    url = reverse("rounds:withdraw", args=[round_.pk])

    refused = staff_client.post(url, {"reason": "  "})
    response = staff_client.post(url, {"reason": "Driftsherren har trukket ønsket tilbage."})

    assert_error_at(refused, "id_reason", "Skriv, hvorfor høringen trækkes tilbage.")
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.state == RoundState.WITHDRAWN
    public = text(anonymous_client.get(detail_url(round_)))
    assert "Trukket tilbage" in public
    assert "Driftsherren har trukket ønsket tilbage." in public


def test_closing_early_needs_everyones_no_objection(world, staff_client, anonymous_client):
    round_ = new_round(world, send=True)
    url = reverse("rounds:close", args=[round_.pk])

    refused = staff_client.post(url)
    answer(round_, world.member_a, Answer.NO_OBJECTION)
    response = staff_client.post(url)

    assert "Høringen kan kun afsluttes før fristen" in text(refused)
    assert person_of(world.member_a).name in text(refused)  # who is missing
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.state == RoundState.APPROVED
    assert round_.decided_on == timezone.localdate()
    assert "Godkendt" in text(anonymous_client.get(detail_url(round_)))


def test_follow_up_item_is_added_once_a_meeting_exists(world, staff_client, anonymous_client):
    round_ = referred_round(world)
    url = reverse("rounds:follow_up", args=[round_.pk])
    page = text(staff_client.get(detail_url(round_)))

    nothing = staff_client.post(url, follow=True)
    meeting = MeetingFactory(
        body=world.body_a,
        state=MeetingState.DRAFT,
        starts_at=timezone.now() + datetime.timedelta(days=30),
    )
    added = staff_client.post(url, follow=True)

    assert "Opret opfølgningspunkt på næste møde" in page
    assert "Der er ikke oprettet noget opfølgningspunkt" in text(nothing)
    assert "Opfølgningspunktet er på dagsordenen" in text(added)
    round_.refresh_from_db()
    item = round_.follow_up_item
    assert item is not None and item.meeting == meeting
    item_url = reverse("meetings:item", args=[meeting.pk, item.pk])
    assert item_url in text(staff_client.get(detail_url(round_)))
    # The meeting's agenda is a draft: the public is not sent to a page it cannot open.
    assert item_url not in text(anonymous_client.get(detail_url(round_)))
    staff_client.post(url)
    assert round_.events.filter(kind=EventKind.FOLLOW_UP).count() == 1


def test_history_shows_who_did_what_when(world, staff_client, member_a_client):
    round_ = new_round(world, send=True)
    answer(round_, world.member_a, Answer.OBJECTION, f"Nej. {MARKER}")

    staff_page = text(staff_client.get(detail_url(round_)))
    member_page = text(member_a_client.get(detail_url(round_)))

    history = staff_page[staff_page.index('id="history-heading"') :]
    for kind in ("Oprettet", "Sendt i høring", "Svar afgivet"):
        assert kind in history
    assert "Medlem A" in history and "Sekretær" in history
    assert f"Indsigelse / bemærkninger: Nej. {MARKER}" in history
    assert 'id="history-heading"' not in member_page


# --- the gate: every staff page ------------------------------------------------------------------

StaffUrl = Callable[[WrittenRound, RoundAttachment], str]

STAFF_URLS: list[tuple[str, StaffUrl]] = [
    ("create", lambda r, a: reverse("rounds:create", args=[r.body.slug])),
    ("edit", lambda r, a: reverse("rounds:edit", args=[r.pk])),
    ("respondents", lambda r, a: reverse("rounds:respondents", args=[r.pk])),
    ("attachments", lambda r, a: reverse("rounds:attachments", args=[r.pk])),
    ("attachment_delete", lambda r, a: reverse("rounds:attachment_delete", args=[a.pk])),
    ("send", lambda r, a: reverse("rounds:send", args=[r.pk])),
    ("remind", lambda r, a: reverse("rounds:remind", args=[r.pk])),
    ("deadline", lambda r, a: reverse("rounds:deadline", args=[r.pk])),
    ("withdraw", lambda r, a: reverse("rounds:withdraw", args=[r.pk])),
    ("close", lambda r, a: reverse("rounds:close", args=[r.pk])),
    ("follow_up", lambda r, a: reverse("rounds:follow_up", args=[r.pk])),
]


@pytest.fixture
def target(world: World) -> tuple[WrittenRound, RoundAttachment]:
    round_ = new_round(world)
    return round_, add_attachment(round_, world)


def assert_untouched(target: tuple[WrittenRound, RoundAttachment]) -> None:
    round_, attachment = target
    fresh = WrittenRound.objects.get(pk=round_.pk)
    assert fresh.state == RoundState.DRAFT and fresh.title == round_.title
    assert WrittenRound.objects.count() == 1
    assert RoundAttachment.objects.filter(pk=attachment.pk).exists()
    assert list(RoundEvent.objects.values_list("kind", flat=True)) == [EventKind.CREATED]


@pytest.mark.parametrize("outsider", ["member_a", "member_b", "editor"])
@pytest.mark.parametrize(("name", "make_url"), STAFF_URLS, ids=[n for n, _ in STAFF_URLS])
def test_outsiders_get_403_on_every_staff_page(world, target, outsider, name, make_url):
    client = client_for(world, outsider)
    url = make_url(*target)

    assert client.get(url).status_code in (403, 405)  # POST-only pages refuse GET first
    assert client.post(url, {"reason": "x", "title": "x"}).status_code == 403
    assert_untouched(target)


@pytest.mark.parametrize(("name", "make_url"), STAFF_URLS, ids=[n for n, _ in STAFF_URLS])
def test_anonymous_visitors_are_sent_to_log_in(world, target, anonymous_client, name, make_url):
    url = make_url(*target)
    login = reverse("account_login")
    for response in (anonymous_client.get(url), anonymous_client.post(url)):
        assert response.status_code == 302
        assert response.url.startswith(f"{login}?next=")
    assert_untouched(target)


def test_secretariat_without_an_authenticator_gets_no_staff_page(world, target):
    user = UserFactory(email="ny-sekretaer@example.dk", is_secretariat=True)
    client = Client()
    client.force_login(user)
    response = client.get(reverse("rounds:edit", args=[target[0].pk]))
    assert response.status_code in (302, 403)  # to the TOTP set-up, never the page
    give_mfa(user)
    assert client.get(reverse("rounds:edit", args=[target[0].pk])).status_code == 200


def test_detail_shows_the_staff_controls_to_the_secretariat_only(world, persona):
    name, _user, client = persona
    round_ = new_round(world, send=True)
    html = text(client.get(detail_url(round_)))
    assert (reverse("rounds:remind", args=[round_.pk]) in html) == (name == "staff")
    assert ("Sekretariatets handlinger" in html) == (name == "staff")


# --- queries -------------------------------------------------------------------------------------


def build(world: World, factor: int) -> dict[str, WrittenRound]:
    """factor× rounds of body A in every state (and open rounds of body B and of a non-public
    body); the first of each state asks member A and 2×factor colleagues (half of them for the
    same municipality), with answers, changed answers, an objection, attachments and a
    history. Returns those first rounds, whose pages are measured."""
    colleagues = []
    for i in range(2 * factor):
        user = UserFactory()
        person = PersonFactory(user=user, municipality=[world.municipality, None][i % 2])
        MembershipFactory(person=person, body=world.body_a, municipality=person.municipality)
        colleagues.append((user, person))
    everyone = [person_of(world.member_a), *(person for _user, person in colleagues)]
    hidden_body = BodyFactory(is_public=False)
    MeetingFactory(  # the next meeting, where referred rounds get their follow-up items
        body=world.body_a,
        state=MeetingState.DRAFT,
        starts_at=timezone.now() + datetime.timedelta(days=40),
    )
    rounds: dict[str, WrittenRound] = {}
    for i in range(factor):
        for state in ("draft", "open", "approved", "referred"):
            measured = i == 0
            asked = everyone if measured else everyone[:2]
            round_ = new_round(world, respondents=asked, title=f"{state} {i}")
            add_attachment(round_, world)
            if measured:
                add_attachment(round_, world, "Bilag 2.pdf")
            if state != "draft":
                round_ = services.round_send(round_=round_, by=world.staff)
                for j, (user, _person) in enumerate(colleagues[: len(asked) - 1]):
                    value = Answer.OBJECTION if state == "referred" and j == 0 else "no_objection"
                    comment = "Bemærkning" if value == Answer.OBJECTION else ""
                    answer(round_, user, value, comment)
                    if j < 2:
                        answer(round_, user, value, comment)  # changed: in the history
            if state in ("approved", "referred"):
                answer(round_, world.member_a, Answer.NO_OBJECTION)
            if state == "approved":
                round_ = services.round_close_early(round_=round_, by=world.staff)
            if state == "referred":
                pass_deadline(round_)
                round_ = services.round_resolve(round_id=round_.pk) or round_
            rounds.setdefault(state, round_)
        new_round(world, body=world.body_b, send=True, title=f"TG {i}")
        new_round(world, body=hidden_body, respondents=everyone[:2], send=True, title=f"Lukket {i}")
    assert rounds["referred"].follow_up_item_id is not None
    return rounds


# Anonymous: list = the bodies for the filter, the count of the rounds, the page of rounds; a
# round's page (a referred round) =
# the round, its attachments, the offers it concerns (the offers app's section). A logged-in
# user adds session and user; outside the secretariat also their person and their memberships
# (member_body_ids). On a round's page a member adds the respondents and, for a referred round,
# their membership on the date of the follow-up meeting (may they open its item?); on an open
# round the respondents they may answer for and their substitute seats. The secretariat adds its
# authenticator instead of the memberships, and the history; on an open round, the (missing)
# person behind the login.
EXPECTED_QUERIES = {
    ("anonymous", "list"): 3,
    ("anonymous", "detail"): 3,
    ("member_a", "list"): 7,
    ("member_a", "detail"): 9,
    ("member_a", "detail_open"): 10,
    ("staff", "list"): 6,
    ("staff", "detail"): 8,
    ("staff", "detail_open"): 9,
}


@pytest.mark.parametrize("factor", [1, 10])
@pytest.mark.parametrize(("who", "page"), list(EXPECTED_QUERIES))
def test_pages_run_a_fixed_number_of_queries(world, django_assert_num_queries, factor, who, page):
    rounds = build(world, factor)
    client = client_for(world, who)
    url = {
        "list": reverse("rounds:index") + "?organ=fu",
        "detail": detail_url(rounds["referred"]),
        "detail_open": detail_url(rounds["open"]),
    }[page]

    with django_assert_num_queries(EXPECTED_QUERIES[who, page]):
        response = client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("factor", [1, 10])
def test_substitutes_round_page_runs_a_fixed_number_of_queries(
    world, django_assert_num_queries, factor
):
    """The forms for every absent member the substitute may answer for: member A's page plus
    one query for the seats of the respondents, whatever their number."""
    rounds = build(world, factor)
    client = Client()
    client.force_login(substitute_for_member_a(world))

    with django_assert_num_queries(EXPECTED_QUERIES["member_a", "detail_open"] + 1):
        response = client.get(detail_url(rounds["open"]))

    assert "Svar som suppleant for" in text(response)


@pytest.mark.parametrize("factor", [1, 10])
@pytest.mark.parametrize(("who", "expected"), [("member_a", 3), ("substitute", 4)])
def test_mine_on_the_profile_runs_a_fixed_number_of_queries(
    world, django_assert_num_queries, factor, who, expected
):
    """ "Mine høringer": the person, their own open rounds, their substitute seats and, for a
    substitute, the rounds of the members they stand in for."""
    from rounds.selectors import rounds_to_answer

    build(world, factor)
    user = substitute_for_member_a(world) if who == "substitute" else world.member_a
    user = type(user).objects.get(pk=user.pk)  # nothing cached

    with django_assert_num_queries(expected):
        rows = rounds_to_answer(user)

    # The same respondents the permission lets the user answer for, round by round.
    expected_rows = {
        (round_.pk, respondent.pk)
        for round_ in WrittenRound.objects.filter(state=RoundState.OPEN)
        for respondent in respondents_answerable_by(user, round_)
    }
    assert {(row.round.pk, row.respondent.pk) for row in rows} == expected_rows
    assert len(rows) >= factor
    assert all(row.as_substitute == (who == "substitute") for row in rows)


def test_anonymous_user_gets_no_answers_from_the_selector(world):
    from rounds.selectors import round_detail

    round_ = referred_round(world)
    detail = round_detail(AnonymousUser(), round_.pk)
    assert detail.page.respondents == [] and detail.summary is None


def test_list_is_paginated_and_loses_no_round(world: World, staff_client: Client) -> None:
    """Every round is on exactly one page, newest deadline first; the filter is kept in the
    page links, and a page number past the end shows the last page."""
    start = timezone.now() - datetime.timedelta(days=400)
    for i in range(55):
        WrittenRoundFactory(
            body=world.body_a,
            title=f"Høring {i:02d}",
            state=RoundState.APPROVED,
            deadline=start + datetime.timedelta(days=i),
            resolved_at=start + datetime.timedelta(days=i),
            decided_on=(start + datetime.timedelta(days=i)).date(),
        )
    url = reverse("rounds:index") + "?organ=fu"

    def titles(response: Any) -> list[str]:
        return [r.title for r in response.context["rounds"]]

    first = staff_client.get(url)
    second = staff_client.get(url + "&side=2")
    assert titles(first) == [f"Høring {i:02d}" for i in range(54, 4, -1)]
    assert titles(second) == [f"Høring {i:02d}" for i in range(4, -1, -1)]
    assert 'aria-label="Sider med høringer"' in text(first)
    assert "?organ=fu&amp;side=2" in first.content.decode()
    assert titles(staff_client.get(url + "&side=99")) == titles(second)
