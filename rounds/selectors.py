"""Reads for the rounds' pages: the list, a round's page, the section on a body's page.

Who sees what is decided in `rounds.permissions`; these functions fetch in a fixed number of
queries. Answers leave this module only for readers allowed to see them.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.db import danish
from meetings.sanitize import sanitize_html
from meetings.visibility import meeting_visibility
from organizations.models import Body, Membership, Municipality, Person, Region, Role
from organizations.permissions import visible_bodies
from rounds.models import (
    Answer,
    Respondent,
    RoundAttachment,
    RoundEvent,
    RoundState,
    WrittenRound,
)
from rounds.permissions import (
    RoundAccess,
    can_manage_rounds,
    person_of,
    respondents_answerable_by,
    round_access,
    rounds_visible_to,
)

BODY_ROUNDS = 10
ROUNDS_PER_PAGE = 50

ROUND_RELATED = (
    "body",
    "proposer_municipality",
    "proposer_region",
    "follow_up_item__meeting",
    "sent_by",
)


@dataclass(frozen=True)
class RoundPage:
    round: WrittenRound
    access: RoundAccess
    respondents: list[Respondent]  # empty unless the reader may see answers
    answerable: list[Respondent]  # whom the reader may answer for now
    events: list[RoundEvent]  # the history: the secretariat's only


def round_for_reader(user: Any, pk: int) -> RoundPage:
    """The round as `user` may see it; 404 when they may not see it at all (a draft, a
    confidential round, an open round for the public) — never a hint that it exists."""
    round_ = get_object_or_404(WrittenRound.objects.select_related(*ROUND_RELATED), pk=pk)
    access = round_access(user, round_)
    if not access.can_see:
        raise Http404
    respondents: list[Respondent] = []
    if access.can_see_answers:
        respondents = list(
            round_.respondents.select_related("person", "municipality", "answered_by").order_by(
                "represents", "person__name", "pk"
            )
        )
    answerable = respondents_answerable_by(user, round_) if round_.is_open else []
    events: list[RoundEvent] = []
    if access.can_manage:
        events = list(round_.events.select_related("by", "respondent__person"))
    return RoundPage(round_, access, respondents, answerable, events)


@dataclass(frozen=True)
class RoundList:
    page: Page[WrittenRound]  # the rounds shown, newest deadline first
    page_range: list[int | str]


def rounds_for_list(
    user: Any, *, state: str = "", body: Body | None = None, page: Any = None
) -> RoundList:
    """The rounds `user` may see, newest deadline first, ROUNDS_PER_PAGE at a time (`page`
    as given in the address; a number out of range gives the nearest page)."""
    rounds = rounds_visible_to(user).select_related("body")
    if state:
        rounds = rounds.filter(state=state)
    if body is not None:
        rounds = rounds.filter(body=body)
    paginator = Paginator(rounds.order_by("-deadline", "-pk"), ROUNDS_PER_PAGE)
    shown = paginator.get_page(page)
    return RoundList(
        page=shown,
        page_range=list(paginator.get_elided_page_range(shown.number, on_each_side=2, on_ends=1)),
    )


def body_rounds_context(request: HttpRequest, body: Body) -> dict[str, Any]:
    """The body's latest rounds the reader may see: one query (plus the cached memberships)."""
    user = request.user
    rounds = list(
        rounds_visible_to(user).filter(body=body).order_by("-deadline", "-pk")[: BODY_ROUNDS + 1]
    )
    return {
        "body": body,
        "rounds": rounds[:BODY_ROUNDS],
        "has_more": len(rounds) > BODY_ROUNDS,
        "can_create": can_manage_rounds(user),
        "open_state": RoundState.OPEN,
    }


# --- the pages (views.py, staff_views.py, the profile) ------------------------------------------


def _html(value: str) -> SafeString:
    """Rich text sanitised on the way in, sanitised again on the way out (as meetings do)."""
    return mark_safe(sanitize_html(value))  # noqa: S308 - nh3 output


@dataclass(frozen=True)
class AnswerSummary:
    asked: int
    answered: int
    not_answered: int
    objections: int


@dataclass(frozen=True)
class RoundDetail:
    """A round's page: what `round_for_reader` allows, its files, its texts ready to render."""

    page: RoundPage
    attachments: list[RoundAttachment]
    proposal: SafeString
    justification: SafeString
    proposed_decision: SafeString
    resolution: SafeString
    summary: AnswerSummary | None  # only for readers who may see the answers
    follow_up_url: str  # the follow-up agenda item, when the reader may open it


def _summary(respondents: list[Respondent]) -> AnswerSummary:
    answered = sum(1 for r in respondents if r.has_answered)
    return AnswerSummary(
        asked=len(respondents),
        answered=answered,
        not_answered=len(respondents) - answered,
        objections=sum(1 for r in respondents if r.answer == Answer.OBJECTION),
    )


def _follow_up_url(user: Any, round_: WrittenRound) -> str:
    item = round_.follow_up_item
    if item is None:
        return ""
    meeting = item.meeting
    if meeting.body_id == round_.body_id:
        meeting.body = round_.body  # the same body, already loaded
    if not meeting_visibility(user, meeting).can_see_agenda:
        return ""
    return reverse("meetings:item", args=[item.meeting_id, item.pk])


def round_detail(user: Any, pk: int) -> RoundDetail:
    """The round page as `user` may see it (404 as `round_for_reader`); a fixed number of
    queries."""
    page = round_for_reader(user, pk)
    round_ = page.round
    return RoundDetail(
        page=page,
        attachments=list(round_.attachments.all()),
        proposal=_html(round_.proposal),
        justification=_html(round_.justification),
        proposed_decision=_html(round_.proposed_decision),
        resolution=_html(round_.resolution) if round_.is_closed else mark_safe(""),
        summary=_summary(page.respondents) if page.access.can_see_answers else None,
        follow_up_url=_follow_up_url(user, round_) if round_.is_closed else "",
    )


def downloadable_attachment(user: Any, pk: int) -> RoundAttachment:
    """A round's attachment (bilag) for a reader who may see the round; 404 otherwise."""
    attachment = get_object_or_404(RoundAttachment.objects.select_related("round__body"), pk=pk)
    if not round_access(user, attachment.round).can_see:
        raise Http404
    return attachment


@dataclass(frozen=True)
class RoundFilterChoices:
    bodies: list[Body]  # the bodies with a round the reader may see
    states: list[tuple[str, str]]  # the states the reader may filter by


def round_filter_choices(user: Any) -> RoundFilterChoices:
    """What the list's filter offers the reader: one query (plus the reader's memberships)."""
    visible = rounds_visible_to(user)
    bodies = list(
        visible_bodies(user)
        .filter(Exists(visible.filter(body=OuterRef("pk"))))
        .order_by(danish("name"))
    )
    states = [
        (str(value), str(label))
        for value, label in RoundState.choices
        if value != RoundState.DRAFT or can_manage_rounds(user)
    ]
    return RoundFilterChoices(bodies=bodies, states=states)


@dataclass(frozen=True)
class RoundToAnswer:
    """An open round the user is asked in, or may answer in as a substitute (suppleant)."""

    round: WrittenRound
    respondent: Respondent
    as_substitute: bool


def _affiliation_ids(membership: Membership) -> tuple[int | None, int | None, int | None]:
    return (membership.municipality_id, membership.region_id, membership.organization_id)


def rounds_to_answer(user: Any) -> list[RoundToAnswer]:
    """The open rounds (deadline not passed) in which `user` is asked, or may answer for an
    absent member as a substitute of the same municipality, region or organisation — the rule
    of `permissions.respondents_answerable_by`, for all rounds at once: at most four queries."""
    person = person_of(user)
    if person is None:
        return []
    now = timezone.now()
    today = timezone.localdate()
    open_now = Q(round__state=RoundState.OPEN, round__deadline__gt=now)
    rows = [
        RoundToAnswer(round=r.round, respondent=r, as_substitute=False)
        for r in Respondent.objects.filter(open_now, person=person).select_related(
            "round__body", "person"
        )
    ]
    substitute_for = [
        m
        for m in Membership.objects.active_on(today).filter(person=person, role=Role.SUBSTITUTE)
        if _affiliation_ids(m) != (None, None, None)
    ]
    if substitute_for:
        represented = []
        for membership in substitute_for:
            municipality, region, organization = _affiliation_ids(membership)
            seat = (
                Membership.objects.active_on(today)
                .filter(
                    person_id=OuterRef("person_id"),
                    body_id=membership.body_id,
                    municipality=municipality,
                    region=region,
                    organization=organization,
                )
                .exclude(role=Role.SUBSTITUTE)
            )
            represented.append(Q(round__body_id=membership.body_id) & Q(Exists(seat)))
        others = (
            Respondent.objects.filter(open_now)
            .filter(functools.reduce(operator.or_, represented))
            .exclude(person=person)
            .select_related("round__body", "person")
        )
        rows += [RoundToAnswer(round=r.round, respondent=r, as_substitute=True) for r in others]
    return sorted(rows, key=lambda row: (row.round.deadline, row.round.pk, row.respondent.pk))


@dataclass(frozen=True)
class RespondentChoices:
    """For the secretariat's respondents page: who may be ticked, who is asked now."""

    candidates: list[tuple[Person, str]]  # (person, whom they represent), members first
    people: list[Person]  # everyone, for the picker
    current_ids: set[int]


def respondent_choices(round_: WrittenRound) -> RespondentChoices:
    """The body's active members (not substitutes) and anyone already asked, with whom they
    represent; and every person for the picker. Three queries."""
    memberships = (
        Membership.objects.active_on(timezone.localdate())
        .filter(body_id=round_.body_id)
        .exclude(role=Role.SUBSTITUTE)
        .select_related("person", "municipality", "region", "organization")
    )
    respondents = list(round_.respondents.select_related("person"))
    seen: dict[int, tuple[Person, str]] = {}
    for membership in sorted(memberships, key=lambda m: (m.affiliation_name, m.person.name)):
        seen.setdefault(membership.person_id, (membership.person, membership.affiliation_name))
    for respondent in respondents:
        seen.setdefault(respondent.person_id, (respondent.person, respondent.represents))
    return RespondentChoices(
        candidates=list(seen.values()),
        people=list(Person.objects.order_by(danish("name")).only("pk", "name")),
        current_ids={r.person_id for r in respondents},
    )


def proposer_choices() -> tuple[list[Municipality], list[Region]]:
    """Municipalities and regions for the proposer selects: two queries."""
    return (
        list(Municipality.objects.order_by(danish("name"))),
        list(Region.objects.order_by("code")),
    )
