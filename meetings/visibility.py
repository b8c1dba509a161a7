"""The one place that decides who sees what of a meeting. Every channel asks here: pages, PDFs,
calendar and news feeds, mails, search and any later API.

The rules:

- A meeting in draft (its agenda not published) is seen by the secretariat only.
- Meetings of a non-public body are seen by its members and the secretariat only.
- The agenda is seen by everyone who sees the meeting once it is published.
- Minutes are seen once published; a draft of the minutes is for the secretariat only.
- A closed item (lukket punkt), and every sub-item of one, is read in full by the body's members
  (an active membership on the meeting date or today) and the secretariat. Everyone else sees
  its number and the title "Lukket punkt" — and nothing else: `RedactedItem` has no attribute
  that could hold the item's text, so a caller cannot leak it by accident.

- An item that follows up an earlier item (opfølgning) links to it only as the reader may see
  that earlier item: in full, as its number and "Lukket punkt", or not at all when the earlier
  meeting's agenda is not theirs to see.

Callers ask `meeting_visibility` once per meeting and pass the answer on, then render what
`visible_agenda` / `visible_item` give them, never the raw `AgendaItem`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from core.permissions import is_secretariat
from meetings.models import AgendaItem, Attachment, Meeting, MeetingState
from meetings.permissions import can_edit_meetings
from meetings.sanitize import sanitize_html
from organizations.models import Membership
from organizations.permissions import member_body_ids

__all__ = [
    "FOLLOW_UP_RELATED",
    "FollowUp",
    "FullItem",
    "ItemView",
    "MeetingAccess",
    "RedactedItem",
    "RevisionNote",
    "attachment_visible",
    "bodies_beyond_public",
    "items_readable_by",
    "meeting_visibility",
    "meetings_visibility",
    "meetings_visible_to",
    "minutes_readable_by",
    "minutes_revision_notes",
    "visible_agenda",
    "visible_item",
]


@dataclass(frozen=True, slots=True)
class MeetingAccess:
    """What one user may see and do with one meeting."""

    meeting_id: int
    can_see_meeting: bool
    can_see_agenda: bool
    can_see_minutes: bool
    can_see_closed_items: bool
    can_edit: bool


def _is_member_of_meeting_body(user: Any, meeting: Meeting) -> bool:
    """Member of the meeting's body on the meeting date, or today."""
    if not getattr(user, "is_authenticated", False):
        return False
    return meeting.body_id in member_body_ids(user, meeting.local_date) or (
        meeting.body_id in member_body_ids(user)
    )


def _member_meeting_ids(user: Any, meetings: list[Meeting]) -> set[int]:
    """The meetings of `meetings` whose body `user` is a member of on the meeting date or today
    (as `_is_member_of_meeting_body`), in one query whatever their number."""
    if not meetings or not getattr(user, "is_authenticated", False):
        return set()
    today = timezone.localdate()
    spans: dict[int, list[tuple[datetime.date, datetime.date | None]]] = {}
    for body_id, start, end in Membership.objects.filter(
        person__user=user, body_id__in={meeting.body_id for meeting in meetings}
    ).values_list("body_id", "start_date", "end_date"):
        spans.setdefault(body_id, []).append((start, end))

    def active(body_id: int, day: datetime.date) -> bool:
        # The same test as MembershipQuerySet.active_on, on rows already loaded.
        return any(start <= day and (end is None or end >= day) for start, end in spans[body_id])

    return {
        meeting.pk
        for meeting in meetings
        if meeting.body_id in spans
        and (active(meeting.body_id, meeting.local_date) or active(meeting.body_id, today))
    }


def _decide(user: Any, meeting: Meeting, *, is_member: bool | None = None) -> MeetingAccess:
    if is_secretariat(user):
        return MeetingAccess(
            meeting_id=meeting.pk,
            can_see_meeting=True,
            can_see_agenda=True,
            can_see_minutes=True,
            can_see_closed_items=True,
            can_edit=can_edit_meetings(user),
        )
    if is_member is None:
        is_member = _is_member_of_meeting_body(user, meeting)
    sees_meeting = meeting.state != MeetingState.DRAFT and (meeting.body.is_public or is_member)
    return MeetingAccess(
        meeting_id=meeting.pk,
        can_see_meeting=sees_meeting,
        can_see_agenda=sees_meeting and meeting.agenda_is_published,
        can_see_minutes=sees_meeting and meeting.minutes_are_published,
        can_see_closed_items=sees_meeting and is_member,
        can_edit=False,
    )


def meeting_visibility(user: Any, meeting: Meeting) -> MeetingAccess:
    """THE decision: what `user` (possibly anonymous) may see of `meeting`."""
    return _decide(user, meeting)


def meetings_visibility(user: Any, meetings: Iterable[Meeting]) -> dict[int, MeetingAccess]:
    """`meeting_visibility` for several meetings (with their bodies loaded) at once, by meeting
    id: at most one query, for the reader's memberships."""
    meetings = list({meeting.pk: meeting for meeting in meetings}.values())
    if is_secretariat(user):
        return {meeting.pk: _decide(user, meeting) for meeting in meetings}
    members = _member_meeting_ids(user, meetings)
    return {
        meeting.pk: _decide(user, meeting, is_member=meeting.pk in members) for meeting in meetings
    }


# --- items -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The earlier item an item follows up (opfølgning på), as the reader may see it. A closed
    earlier item the reader may not read has `is_redacted` and the title "Lukket punkt"."""

    pk: int
    meeting_id: int
    meeting_title: str
    meeting_starts_at: datetime.datetime
    number: str
    title: str
    is_redacted: bool


@dataclass(frozen=True, slots=True)
class FullItem:
    """An item as a reader who may read it sees it. Rich text is sanitised (again) and safe to
    render; `minutes` is empty unless the reader may see the minutes."""

    is_redacted: ClassVar[bool] = False

    pk: int
    number: str
    parent_id: int | None
    title: str
    kind: str
    kind_label: str
    presenter: str
    case_text: SafeString
    recommendation: SafeString
    minutes: SafeString
    is_closed: bool
    is_standing: bool
    follows_up: FollowUp | None
    follows_up_meeting_id: int | None
    attachments: tuple[Attachment, ...]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


@dataclass(frozen=True, slots=True)
class RedactedItem:
    """A closed item as an outsider sees it: its number and "Lukket punkt". Deliberately without
    any field for the title, text, presenter, minutes or attachments."""

    is_redacted: ClassVar[bool] = True
    is_closed: ClassVar[bool] = True

    pk: int
    number: str
    parent_id: int | None

    @property
    def title(self) -> str:
        return gettext("Lukket punkt")

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


ItemView = FullItem | RedactedItem


def _html(value: str) -> SafeString:
    # Sanitised on the way in by the services; again here, for rows written around them.
    return mark_safe(sanitize_html(value))  # noqa: S308 - nh3 output


def _is_closed(item: AgendaItem) -> bool:
    """A sub-item of a closed item counts as closed. Needs `parent` loaded for sub-items."""
    return item.is_closed or (item.parent is not None and item.parent.is_closed)


def _follow_up(item: AgendaItem, accesses: Mapping[int, MeetingAccess]) -> FollowUp | None:
    """The earlier item `item` follows up, as the reader may see it; None if there is none or
    its meeting's agenda is not theirs to see."""
    earlier = item.follows_up
    if earlier is None:
        return None
    access = accesses.get(earlier.meeting_id)
    if access is None or not access.can_see_agenda:
        return None
    redacted = _is_closed(earlier) and not access.can_see_closed_items
    return FollowUp(
        pk=earlier.pk,
        meeting_id=earlier.meeting_id,
        meeting_title=earlier.meeting.title,
        meeting_starts_at=earlier.meeting.starts_at,
        number=earlier.number,
        title=gettext("Lukket punkt") if redacted else earlier.title,
        is_redacted=redacted,
    )


def _follow_up_accesses(user: Any, items: Iterable[AgendaItem]) -> dict[int, MeetingAccess]:
    return meetings_visibility(
        user, [item.follows_up.meeting for item in items if item.follows_up is not None]
    )


# The earlier item and what visibility needs of it, loaded with the items themselves.
FOLLOW_UP_RELATED = ("follows_up__meeting__body", "follows_up__parent")


def _view(
    item: AgendaItem,
    access: MeetingAccess,
    *,
    closed: bool,
    follow_ups: Mapping[int, MeetingAccess],
) -> ItemView:
    if closed and not access.can_see_closed_items:
        return RedactedItem(pk=item.pk, number=item.number, parent_id=item.parent_id)
    return FullItem(
        pk=item.pk,
        number=item.number,
        parent_id=item.parent_id,
        title=item.title,
        kind=item.kind,
        kind_label=item.get_kind_display(),
        presenter=item.presenter,
        case_text=_html(item.case_text),
        recommendation=_html(item.recommendation),
        minutes=_html(item.minutes) if access.can_see_minutes else mark_safe(""),
        is_closed=item.is_closed or closed,
        is_standing=item.is_standing,
        follows_up=_follow_up(item, follow_ups),
        follows_up_meeting_id=item.follows_up_meeting_id,
        attachments=tuple(item.attachments.all()),
    )


def _check_access(access: MeetingAccess, meeting_id: int) -> None:
    if access.meeting_id != meeting_id:
        raise ValueError("The access answer belongs to another meeting.")
    if not access.can_see_agenda:
        raise PermissionDenied


def visible_item(user: Any, item: AgendaItem, access: MeetingAccess | None = None) -> ItemView:
    """One item as `user` may see it. Raises PermissionDenied if the agenda is not theirs to
    see. A sub-item of a closed item counts as closed. Load `FOLLOW_UP_RELATED` with the item
    to keep the earlier item it follows up from costing queries."""
    if access is None:
        access = meeting_visibility(user, item.meeting)
    _check_access(access, item.meeting_id)
    follow_ups = _follow_up_accesses(user, [item])
    return _view(item, access, closed=_is_closed(item), follow_ups=follow_ups)


def visible_items(
    user: Any, items: Sequence[AgendaItem], accesses: Mapping[int, MeetingAccess]
) -> list[ItemView]:
    """`visible_item` for many items of several meetings (`accesses` from
    `meetings_visibility`): the follow-up check runs once for all of them, not per item."""
    follow_ups = _follow_up_accesses(user, items)
    views: list[ItemView] = []
    for item in items:
        access = accesses[item.meeting_id]
        _check_access(access, item.meeting_id)
        views.append(_view(item, access, closed=_is_closed(item), follow_ups=follow_ups))
    return views


def visible_agenda(
    user: Any, meeting: Meeting, access: MeetingAccess | None = None
) -> list[ItemView]:
    """The meeting's items in display order (each item followed by its sub-items), as `user`
    may see them; empty if the agenda is not theirs to see. Two queries whatever the size (a
    member reading items that follow up earlier ones: three)."""
    if access is None:
        access = meeting_visibility(user, meeting)
    if access.meeting_id != meeting.pk:
        raise ValueError("The access answer belongs to another meeting.")
    if not access.can_see_agenda:
        return []
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related(*FOLLOW_UP_RELATED)
        .order_by("order", "pk")
        .prefetch_related("attachments")
    )
    top = [item for item in items if item.parent_id is None]
    children: dict[int, list[AgendaItem]] = {}
    for item in items:
        if item.parent_id is not None:
            children.setdefault(item.parent_id, []).append(item)
    follow_ups = _follow_up_accesses(user, items)
    views: list[ItemView] = []
    for parent in top:
        views.append(_view(parent, access, closed=parent.is_closed, follow_ups=follow_ups))
        for child in children.get(parent.pk, []):
            closed = parent.is_closed or child.is_closed
            views.append(_view(child, access, closed=closed, follow_ups=follow_ups))
    return views


def attachment_visible(user: Any, attachment: Attachment) -> bool:
    """May `user` download this attachment (bilag)? Only if they may read its item in full."""
    item = attachment.item
    access = meeting_visibility(user, item.meeting)
    if not access.can_see_agenda:
        return False
    return access.can_see_closed_items or not _is_closed(item)


@dataclass(frozen=True, slots=True)
class RevisionNote:
    """What readers of published minutes are told about a correction: when and why."""

    revised_at: datetime.datetime
    reason: str


def minutes_revision_notes(
    user: Any, meeting: Meeting, access: MeetingAccess | None = None
) -> list[RevisionNote]:
    """Corrections of the minutes, oldest first, for those who see the minutes. The snapshot of
    the earlier text is for the secretariat only and is not part of the note."""
    if access is None:
        access = meeting_visibility(user, meeting)
    if not access.can_see_minutes:
        return []
    return [
        RevisionNote(revised_at=revised_at, reason=reason)
        for revised_at, reason in meeting.minutes_revisions.order_by("revised_at").values_list(
            "revised_at", "reason"
        )
    ]


# --- querysets (lists, feeds, search) ----------------------------------------------------------


def _member_of_body(user: Any, body_ref: str, starts_ref: str) -> Q:
    """Rows whose body the user is a member of today or on the meeting date."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    starts_at = ExpressionWrapper(OuterRef(starts_ref), output_field=DateTimeField())
    meeting_day = TruncDate(starts_at, tzinfo=ZoneInfo(settings.TIME_ZONE))
    on_meeting_day = Membership.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=meeting_day),
        person__user=user,
        body=OuterRef(body_ref),
        start_date__lte=meeting_day,
    )
    return Q(**{f"{body_ref}__in": member_body_ids(user)}) | Q(Exists(on_meeting_day))


def bodies_beyond_public(user: Any) -> frozenset[int] | None:
    """The bodies whose meetings (agendas, items, minutes, attachments) `user` may see more of
    than an anonymous visitor: by the rules above only membership widens a reader's view, so
    these are the bodies of the reader's memberships on any date (a superset of what
    `_member_of_body` grants). None for the secretariat, who sees everything."""
    if is_secretariat(user):
        return None
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(Membership.objects.filter(person__user=user).values_list("body_id", flat=True))


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    """Meetings `user` may see at all (their agenda then too; minutes only when published)."""
    meetings = Meeting.objects.select_related("body")
    if is_secretariat(user):
        return meetings
    return meetings.exclude(state=MeetingState.DRAFT).filter(
        Q(body__is_public=True) | _member_of_body(user, "body", "starts_at")
    )


def items_readable_by(user: Any) -> QuerySet[AgendaItem]:
    """Items whose title, case text, recommendation and attachments `user` may read: for search
    and feeds. Their minutes are readable only on `minutes_readable_by`."""
    items = AgendaItem.objects.select_related("meeting", "meeting__body")
    if is_secretariat(user):
        return items
    visible = items.exclude(meeting__state=MeetingState.DRAFT).filter(
        Q(meeting__body__is_public=True)
        | _member_of_body(user, "meeting__body", "meeting__starts_at")
    )
    # Not closed, nor a sub-item of a closed item (asked of the closed items' own index, a
    # few rows, not by joining every item to its parent).
    closed = AgendaItem.objects.filter(is_closed=True).values("pk")
    open_item = Q(is_closed=False) & ~Q(parent__in=closed)
    return visible.filter(open_item | _member_of_body(user, "meeting__body", "meeting__starts_at"))


def minutes_readable_by(user: Any) -> QuerySet[AgendaItem]:
    """Items whose minutes (referat) `user` may read: readable items of published minutes."""
    items = items_readable_by(user)
    if is_secretariat(user):
        return items
    return items.filter(meeting__state=MeetingState.MINUTES_PUBLISHED)
