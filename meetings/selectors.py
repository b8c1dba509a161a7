"""Reads for the public and member pages of meetings: the list, the meeting page, the item
permalink, attachment downloads and the section on a body's page.

Everything a reader sees of a meeting goes through `meetings.visibility`; these functions only
fetch, in a fixed number of queries, and shape the answer for the templates. Attendance leaves
this module as names only: no template can reach a person's e-mail or phone from here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.db import danish
from core.permissions import is_secretariat
from meetings.filters import MeetingFilter
from meetings.models import AgendaItem, Attachment, Attendance, AttendanceStatus, Meeting
from meetings.models import MeetingState as State
from meetings.permissions import can_edit_meetings, can_register_apology
from meetings.visibility import (
    FOLLOW_UP_RELATED,
    ItemView,
    MeetingAccess,
    RevisionNote,
    attachment_visible,
    meeting_visibility,
    meetings_visible_to,
    minutes_revision_notes,
    visible_agenda,
    visible_item,
)
from organizations.models import Body, Membership, Person
from organizations.permissions import visible_bodies

MEETINGS_PER_PAGE = 20
BODY_UPCOMING = 5
BODY_PAST = 10
# How many of the body's earlier meetings an item can be linked to as their follow-up.
FOLLOW_UP_MEETINGS = 10


# --- rows and states -------------------------------------------------------------------------


def state_label(meeting: Meeting, *, secretariat: bool) -> str:
    """The meeting's state as this reader is told it. Outside the secretariat a draft of the
    minutes is not news: the meeting reads "Dagsorden offentliggjort" until they are out."""
    if not secretariat and meeting.state == State.MINUTES_DRAFT:
        return str(State.AGENDA_PUBLISHED.label)
    return str(meeting.get_state_display())


@dataclass(frozen=True, slots=True)
class MeetingRow:
    """One meeting in a list: the meeting (with its body) and its state as the reader sees it."""

    meeting: Meeting
    state_label: str


def _rows(meetings: Any, *, secretariat: bool) -> list[MeetingRow]:
    return [
        MeetingRow(meeting=m, state_label=state_label(m, secretariat=secretariat)) for m in meetings
    ]


# --- the list ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingList:
    filterset: MeetingFilter
    upcoming: list[MeetingRow]
    past: list[MeetingRow]
    past_page: Page[Meeting]
    page_range: list[int | str]
    is_filtered: bool


def meeting_list(
    user: Any, data: QueryDict, *, now: datetime.datetime | None = None
) -> MeetingList:
    """The meetings `user` may see, filtered by body, year and state: those not yet over in
    their own section (soonest first), then the rest, newest first and a page at a time."""
    now = now or timezone.now()
    secretariat = is_secretariat(user)
    visible = meetings_visible_to(user)
    bodies = (
        visible_bodies(user)
        .filter(Exists(visible.filter(body=OuterRef("pk"))))
        .order_by(danish("name"))
    )
    years = list(
        visible.order_by()
        .values_list("starts_at__year", flat=True)
        .distinct()
        .order_by("-starts_at__year")
    )
    filterset = MeetingFilter(
        data, queryset=visible, bodies=bodies, years=years, secretariat=secretariat
    )
    meetings: QuerySet[Meeting] = filterset.qs
    upcoming = meetings.filter(ends_at__gte=now).order_by("starts_at", "pk")
    past = meetings.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    paginator = Paginator(past, MEETINGS_PER_PAGE)
    page = paginator.get_page(data.get("side"))
    return MeetingList(
        filterset=filterset,
        upcoming=_rows(upcoming, secretariat=secretariat),
        past=_rows(page.object_list, secretariat=secretariat),
        past_page=page,
        page_range=list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        is_filtered=any(data.get(name) for name in filterset.filters),
    )


# --- one meeting ---------------------------------------------------------------------------------


def get_visible_meeting(user: Any, pk: int) -> tuple[Meeting, MeetingAccess]:
    """The meeting and what `user` may see of it; 404 if they may not see it at all (an
    unpublished agenda, a non-public body), so its existence is not confirmed."""
    meeting = get_object_or_404(Meeting.objects.select_related("body"), pk=pk)
    access = meeting_visibility(user, meeting)
    if not access.can_see_meeting:
        raise Http404
    return meeting, access


@dataclass(frozen=True, slots=True)
class Attendee:
    """A name on the list of participants. Names only: never contact details."""

    name: str
    is_guest: bool
    substitute_name: str


@dataclass(frozen=True)
class AttendancePanel:
    """The attendance section of a meeting page, and the reader's own apology (afbud)."""

    shown: bool
    invited: list[Attendee]
    apologies: list[Attendee]
    present: list[Attendee]
    own_status: str | None
    own_substitute_id: int | None
    can_register: bool
    substitute_choices: list[tuple[int, str]]

    @property
    def is_empty(self) -> bool:
        return not (self.invited or self.apologies or self.present)


def _attendee(row: Attendance) -> Attendee:
    return Attendee(
        name=row.person.name,
        is_guest=row.is_guest,
        substitute_name=row.substitute.name if row.substitute is not None else "",
    )


def own_person(user: Any) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).first()


def substitute_choices(meeting: Meeting, person: Person) -> list[tuple[int, str]]:
    """Who may stand in: the body's other members and substitutes on the meeting date."""
    people = (
        Person.objects.filter(
            Exists(
                Membership.objects.active_on(meeting.local_date).filter(
                    body_id=meeting.body_id, person=OuterRef("pk")
                )
            )
        )
        .exclude(pk=person.pk)
        .order_by(danish("name"), "pk")
        .values_list("pk", "name")
    )
    return list(people)


def attendance_panel(user: Any, meeting: Meeting, access: MeetingAccess) -> AttendancePanel:
    """Who is invited, who sent apologies (with substitute) and who was present — once the
    agenda is out — and whether the reader may register or withdraw their own apology."""
    if not access.can_see_agenda:
        return AttendancePanel(False, [], [], [], None, None, False, [])
    rows = list(
        Attendance.objects.filter(meeting=meeting)
        .select_related("person", "substitute")
        .only(
            "status",
            "is_guest",
            "substitute_id",
            "person__name",
            "person__user_id",
            "substitute__name",
        )
        .order_by(danish("person__name"), "pk")
    )
    own = None
    if getattr(user, "is_authenticated", False):
        own = next((row for row in rows if row.person.user_id == user.pk), None)
    can_register = own is not None and can_register_apology(user, meeting, own.person)
    by_status: dict[str, list[Attendee]] = {status: [] for status in AttendanceStatus.values}
    for row in rows:
        by_status[row.status].append(_attendee(row))
    return AttendancePanel(
        shown=True,
        invited=by_status[AttendanceStatus.INVITED],
        apologies=by_status[AttendanceStatus.APOLOGIES],
        present=by_status[AttendanceStatus.PRESENT],
        own_status=own.status if own is not None else None,
        own_substitute_id=own.substitute_id if own is not None else None,
        can_register=can_register,
        substitute_choices=(
            substitute_choices(meeting, own.person) if can_register and own is not None else []
        ),
    )


@dataclass(frozen=True)
class MeetingPage:
    meeting: Meeting
    access: MeetingAccess
    state_label: str
    agenda: list[ItemView]
    attendance: AttendancePanel
    revision_notes: list[RevisionNote]


def meeting_page(user: Any, meeting: Meeting, access: MeetingAccess) -> MeetingPage:
    """Everything the meeting page shows, as `user` may see it."""
    return MeetingPage(
        meeting=meeting,
        access=access,
        state_label=state_label(meeting, secretariat=is_secretariat(user)),
        agenda=visible_agenda(user, meeting, access),
        attendance=attendance_panel(user, meeting, access),
        revision_notes=minutes_revision_notes(user, meeting, access),
    )


@dataclass(frozen=True)
class ItemPage:
    meeting: Meeting
    access: MeetingAccess
    item: ItemView
    parent_number: str


def item_page(user: Any, meeting_pk: int, item_pk: int) -> ItemPage:
    """One item of a meeting (its permalink) as `user` may see it; 404 unless the agenda is
    theirs to see."""
    meeting, access = get_visible_meeting(user, meeting_pk)
    if not access.can_see_agenda:
        raise Http404
    item = get_object_or_404(
        AgendaItem.objects.select_related("parent", *FOLLOW_UP_RELATED).prefetch_related(
            "attachments"
        ),
        pk=item_pk,
        meeting=meeting,
    )
    item.meeting = meeting
    view = visible_item(user, item, access)
    return ItemPage(
        meeting=meeting,
        access=access,
        item=view,
        parent_number=item.parent.number if item.parent is not None else "",
    )


def follow_up_candidates(meeting: Meeting, *, current: int | None = None) -> list[AgendaItem]:
    """The items an item of `meeting` can follow up (for the secretariat's select): those of
    the body's last FOLLOW_UP_MEETINGS meetings before it with a published agenda, newest
    meeting first and each in agenda order — plus `current`, the item's present link, wherever
    it is. One query."""
    recent = (
        Meeting.objects.filter(body_id=meeting.body_id, starts_at__lt=meeting.starts_at)
        .exclude(pk=meeting.pk)
        .exclude(state=State.DRAFT)
        .order_by("-starts_at", "-pk")
        .values("pk")[:FOLLOW_UP_MEETINGS]
    )
    condition = Q(meeting__in=recent)
    if current is not None:
        condition |= Q(pk=current)
    items = (
        AgendaItem.objects.filter(condition)
        .select_related("meeting", "parent")
        .defer("case_text", "recommendation", "minutes")
    )

    def place(item: AgendaItem) -> tuple[float, int, int, int, int]:
        top = item.parent.order if item.parent is not None else item.order
        sub = item.order if item.parent is not None else 0
        return (-item.meeting.starts_at.timestamp(), -item.meeting_id, top, sub, item.pk)

    return sorted(items, key=place)


def downloadable_attachment(user: Any, pk: int) -> Attachment:
    """An attachment (bilag) `user` may download; 404 otherwise — also when it exists."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("item__meeting__body", "item__parent"), pk=pk
    )
    if not attachment_visible(user, attachment):
        raise Http404
    return attachment


# --- the section on a body's page ----------------------------------------------------------------


def body_meetings_context(request: HttpRequest, body: Body) -> dict[str, Any]:
    """The body's upcoming and latest meetings that the reader may see: two queries."""
    user = request.user
    now = timezone.now()
    secretariat = is_secretariat(user)
    meetings = meetings_visible_to(user).filter(body=body)
    upcoming = list(
        meetings.filter(ends_at__gte=now).order_by("starts_at", "pk")[: BODY_UPCOMING + 1]
    )
    past = list(meetings.filter(ends_at__lt=now).order_by("-starts_at", "-pk")[: BODY_PAST + 1])
    return {
        "body": body,
        "upcoming": _rows(upcoming[:BODY_UPCOMING], secretariat=secretariat),
        "past": _rows(past[:BODY_PAST], secretariat=secretariat),
        "has_more": len(upcoming) > BODY_UPCOMING or len(past) > BODY_PAST,
        "can_create": can_edit_meetings(user),
    }
