"""The meetings' mails through the notices engine: agendas, minutes, corrections, and reminders
to the secretariat about minutes not yet published.

`meetings.services` records a notice in the transaction that publishes (`agenda_publish`,
`minutes_publish`, `minutes_correct`) on the body's topic ("body:<id>:agenda" / ":minutes", a
family registered by the organisations app); the engine fans it out and calls the renderers here
once per recipient. Each recipient gets the meeting as `meetings.visibility` lets them see it:
closed items only as "Lukket punkt" for whoever may not read them, the real titles (and a line
about the member view) for the body's members.

A mass send must not cost queries per recipient. The engine passes one Notice instance for all
recipients of a batch (and of a digest), so the meeting, its agenda as an outsider sees it and
the body's members are loaded once and kept on the notice (`_state`). The anonymous view is the
least anyone may see of a meeting, and a reader who is neither a member of the body nor in the
secretariat sees exactly that; only members and the secretariat are asked about one by one.

Reminders: `minutes_reminders_send` (task `meetings.tasks.minutes_reminders`, hourly) writes one
`MinutesReminder` per meeting and threshold (3 and 7 days after the meeting's end) as its claim,
with a notice on the topic "secretariat:minutes" whose default recipients are the secretariat.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from meetings.models import (
    DocumentKind,
    Meeting,
    MeetingState,
    MinutesReminder,
    MinutesRevision,
)
from meetings.visibility import (
    FullItem,
    ItemView,
    MeetingAccess,
    meetings_visibility,
    visible_agenda,
)
from notices.mail import render_mail
from notices.registry import (
    Recipient,
    RenderedMail,
    register_renderer,
    register_topic_family,
)
from notices.services import notice_publish
from organizations.models import Membership
from organizations.notifications import AGENDA, MINUTES, body_topic

logger = logging.getLogger(__name__)

AGENDA_PUBLISHED = "meetings.agenda_published"
MINUTES_PUBLISHED = "meetings.minutes_published"
MINUTES_CORRECTED = "meetings.minutes_corrected"
MINUTES_REMINDER = "meetings.minutes_reminder"

SECRETARIAT_FAMILY = "secretariat"
REMINDER_TOPIC = f"{SECRETARIAT_FAMILY}:minutes"

# Days after a meeting's end at which the secretariat is reminded of unpublished minutes.
REMINDER_DAYS = (3, 7)
# Meetings that ended longer ago than this are not reminded of (old data, a first deployment).
REMINDER_WINDOW = datetime.timedelta(days=30)

_TEMPLATES = "meetings/mail/"
_STATE = "_meetings_notice_state"
_RENDERED = "_meetings_notice_rendered"


# --- publishing -----------------------------------------------------------------------------


def agenda_published(meeting: Meeting, *, by: Any) -> None:
    """Record the agenda's publication (call inside the publishing transaction)."""
    notice_publish(
        topic=body_topic(meeting.body_id, AGENDA),
        kind=AGENDA_PUBLISHED,
        payload={"meeting_id": meeting.pk},
        by=by,
    )


def minutes_published(meeting: Meeting, *, by: Any) -> None:
    """Record the minutes' publication (call inside the publishing transaction)."""
    notice_publish(
        topic=body_topic(meeting.body_id, MINUTES),
        kind=MINUTES_PUBLISHED,
        payload={"meeting_id": meeting.pk},
        by=by,
    )


def minutes_corrected(meeting: Meeting, revision: MinutesRevision, *, by: Any) -> None:
    """Record a correction of published minutes (call inside the correcting transaction)."""
    notice_publish(
        topic=body_topic(meeting.body_id, MINUTES),
        kind=MINUTES_CORRECTED,
        payload={"meeting_id": meeting.pk, "revision_id": revision.pk},
        by=by,
    )


# --- what one notice needs, loaded once -----------------------------------------------------


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _local(value: datetime.datetime, fmt: str) -> str:
    return date_format(timezone.localtime(value), fmt)


@dataclass
class _State:
    """Kept on the Notice instance: everything about the meeting that is the same for every
    recipient, and what was found out about a recipient that may recur (in a digest)."""

    meeting: Meeting | None
    revision: MinutesRevision | None = None
    member_user_ids: frozenset[int] = frozenset()
    anonymous: MeetingAccess | None = None
    access_by_user: dict[int, MeetingAccess] = field(default_factory=dict)
    agendas: dict[tuple[bool, bool, bool], list[ItemView]] = field(default_factory=dict)


def _load_state(notice: Any) -> _State:
    state: _State | None = notice.__dict__.get(_STATE)
    if state is not None:
        return state
    payload = notice.payload or {}
    meeting_id = payload.get("meeting_id")
    meeting = (
        Meeting.objects.select_related("body").filter(pk=int(meeting_id)).first()
        if meeting_id
        else None
    )
    state = _State(meeting=meeting)
    if meeting is not None:
        state.anonymous = meetings_visibility(AnonymousUser(), [meeting])[meeting.pk]
        # Members on the meeting date or today (the visibility rule's days), in one query.
        days = {meeting.local_date, timezone.localdate()}
        active = Membership.objects.none()
        for day in days:
            active = active | Membership.objects.active_on(day)
        state.member_user_ids = frozenset(
            active.filter(body_id=meeting.body_id, person__user__isnull=False).values_list(
                "person__user_id", flat=True
            )
        )
        revision_id = payload.get("revision_id")
        if revision_id:
            state.revision = MinutesRevision.objects.filter(
                pk=revision_id, meeting_id=meeting.pk
            ).first()
    notice.__dict__[_STATE] = state
    return state


def _user_of(recipient: Recipient) -> Any | None:
    """The recipient's login if it may count for anything (a deactivated login reads as an
    address only)."""
    user = recipient.user
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", False):
        return None
    return user


def _access(state: _State, user: Any | None) -> MeetingAccess:
    """What `user` may see of the meeting: the anonymous answer for whoever is neither a member
    of the body nor in the secretariat (it is theirs exactly, and the least anyone sees), else
    `meetings.visibility`'s answer for them, asked once per user."""
    meeting, anonymous = state.meeting, state.anonymous
    if meeting is None or anonymous is None:
        raise ValueError("no meeting")
    if user is None:
        return anonymous
    known = state.access_by_user.get(user.pk)
    if known is not None:
        return known
    if user.pk in state.member_user_ids or getattr(user, "is_secretariat", False):
        access = meetings_visibility(user, [meeting])[meeting.pk]
    else:
        access = anonymous
    state.access_by_user[user.pk] = access
    return access


def _agenda(state: _State, user: Any | None, access: MeetingAccess) -> list[ItemView]:
    """The items as `access` lets its reader see them (number and title depend on nothing else),
    built once per kind of reader."""
    key = (access.can_see_agenda, access.can_see_minutes, access.can_see_closed_items)
    views = state.agendas.get(key)
    if views is None:
        if state.meeting is None:
            raise ValueError("no meeting")
        reader = user if user is not None and access is not state.anonymous else AnonymousUser()
        views = state.agendas[key] = visible_agenda(reader, state.meeting, access)
    return views


# --- rendering ------------------------------------------------------------------------------


def _when(meeting: Meeting) -> dict[str, str]:
    starts, ends = meeting.starts_at, meeting.ends_at
    same_day = timezone.localtime(starts).date() == timezone.localtime(ends).date()
    return {
        "date": _local(starts, "j. F Y"),
        "weekday_date": _local(starts, r"l \d\e\n j. F Y"),
        "start_time": _local(starts, "H.i"),
        "end_time": _local(ends, "H.i") if same_day else "",
    }


def _meeting_context(
    notice: Any, recipient: Recipient, *, document: str
) -> tuple[dict[str, Any], str]:
    """The template context for a meeting notice and the meeting page's URL. `document` is the
    PDF the notice is about (agenda or minutes)."""
    state = _load_state(notice)
    meeting = state.meeting
    if meeting is None:
        return {"visible": False, "body_name": "", "meeting_url": ""}, ""
    user = _user_of(recipient)
    access = _access(state, user)
    visible = access.can_see_minutes if document == DocumentKind.MINUTES else access.can_see_agenda
    meeting_path = reverse("meetings:detail", args=[meeting.pk])
    meeting_url = _absolute(meeting_path)
    context: dict[str, Any] = {
        "visible": visible,
        "body_name": meeting.body.name,
        "meeting_url": meeting_url if access.can_see_meeting else "",
    }
    if not visible:
        return context, context["meeting_url"]
    views = _agenda(state, user, access)
    is_member = user is not None and user.pk in state.member_user_ids
    items = [
        {
            "number": view.number,
            "title": view.title,
            "is_sub": view.parent_id is not None,
            "is_redacted": view.is_redacted,
            "is_closed": view.is_closed,
        }
        for view in views
    ]
    pdf_url = _absolute(reverse("meetings:pdf", args=[meeting.pk, document]))
    bundle_url = ""
    if document == DocumentKind.AGENDA and any(
        isinstance(view, FullItem) and view.attachments for view in views
    ):
        bundle_url = _absolute(reverse("meetings:pdf", args=[meeting.pk, DocumentKind.BUNDLE]))
    login_url = _absolute(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': meeting_path})}")
    context.update(
        {
            "meeting": meeting,
            "title": meeting.title,
            "place": meeting.place,
            "cancelled": meeting.cancelled,
            **_when(meeting),
            "items": items,
            "has_redacted": any(item["is_redacted"] for item in items),
            "pdf_url": pdf_url,
            "bundle_url": bundle_url,
            "is_member": is_member and access.can_see_closed_items,
            "login_url": login_url,
        }
    )
    revision = state.revision
    if revision is not None:
        context["corrected_at"] = _local(revision.revised_at, "j. F Y \\k\\l. H.i")
        context["reason"] = revision.reason
    return context, meeting_url


def _render(name: str, context: dict[str, Any], url: str) -> RenderedMail:
    return render_mail(f"{_TEMPLATES}{name}", context, url=url)


def _render_meeting_notice(
    notice: Any, recipient: Recipient, *, name: str, document: str
) -> RenderedMail:
    """The mail for `recipient`, rendered once per kind of reader: everyone who may see the same
    thing gets the same content (the engine adds the per-recipient links), so a notice to
    10,000 subscribers renders its templates a handful of times, not 10,000."""
    state = _load_state(notice)
    user = _user_of(recipient)
    if state.meeting is None:
        key: tuple[Any, ...] = (name,)
    else:
        is_member = user is not None and user.pk in state.member_user_ids
        key = (name, _access(state, user), is_member)
    rendered: dict[tuple[Any, ...], RenderedMail] = notice.__dict__.setdefault(_RENDERED, {})
    mail = rendered.get(key)
    if mail is None:
        with translation.override(settings.LANGUAGE_CODE):
            context, url = _meeting_context(notice, recipient, document=document)
            mail = rendered[key] = _render(name, context, url)
    return mail


def render_agenda_published(notice: Any, recipient: Recipient) -> RenderedMail:
    return _render_meeting_notice(
        notice, recipient, name="agenda_published", document=DocumentKind.AGENDA
    )


def render_minutes_published(notice: Any, recipient: Recipient) -> RenderedMail:
    return _render_meeting_notice(
        notice, recipient, name="minutes_published", document=DocumentKind.MINUTES
    )


def render_minutes_corrected(notice: Any, recipient: Recipient) -> RenderedMail:
    return _render_meeting_notice(
        notice, recipient, name="minutes_corrected", document=DocumentKind.MINUTES
    )


# --- reminders to the secretariat -----------------------------------------------------------


def secretariat_label(topic: str) -> str:
    if topic == REMINDER_TOPIC:
        return _("Påmindelser om referater til sekretariatet")
    return _("Meddelelser til sekretariatet")


def secretariat_members(topic: str) -> Iterable[Recipient]:
    """The secretariat: active logins with the secretariat role (one query)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, is_secretariat=True)
        .exclude(email="")
        .order_by("pk")
    )
    return [Recipient(email=user.email, user=user, name=user.get_full_name()) for user in users]


def _is_secretariat_user(user: Any | None) -> bool:
    # Anyone may subscribe to any topic key; the reminder's details are for the secretariat.
    return bool(user is not None and user.is_active and getattr(user, "is_secretariat", False))


def render_minutes_reminder(notice: Any, recipient: Recipient) -> RenderedMail:
    with translation.override(settings.LANGUAGE_CODE):
        state = _load_state(notice)
        meeting = state.meeting
        context: dict[str, Any] = {"visible": False, "days": notice.payload.get("days")}
        url = ""
        if meeting is not None and _is_secretariat_user(_user_of(recipient)):
            url = _absolute(reverse("meetings:minutes", args=[meeting.pk]))
            context.update(
                {
                    "visible": True,
                    "meeting": meeting,
                    "body_name": meeting.body.name,
                    "title": meeting.title,
                    **_when(meeting),
                    "state": meeting.get_state_display(),
                    "minutes_url": url,
                    "meeting_url": _absolute(reverse("meetings:detail", args=[meeting.pk])),
                }
            )
        return _render("minutes_reminder", context, url)


def minutes_reminders_send(*, now: datetime.datetime | None = None) -> list[tuple[int, int]]:
    """Remind the secretariat of minutes not published `REMINDER_DAYS` after a meeting's end
    (a meeting held, not cancelled, its agenda published). Returns (meeting id, days) of the
    reminders recorded now.

    Once each: the MinutesReminder row (unique per meeting and threshold) is the claim, written
    in the same transaction as the notice, so a second run finds it and sends nothing. A meeting
    that is past several thresholds at once (the task did not run for days) gets the latest one
    only.
    """
    now = now or timezone.now()
    first = min(REMINDER_DAYS)
    due = (
        Meeting.objects.filter(
            cancelled=False,
            state__in=[MeetingState.AGENDA_PUBLISHED, MeetingState.MINUTES_DRAFT],
            ends_at__lte=now - datetime.timedelta(days=first),
            ends_at__gt=now - REMINDER_WINDOW,
        )
        .order_by("ends_at", "pk")
        .values_list("pk", "ends_at")
    )
    candidates = list(due)
    claimed = set(
        MinutesReminder.objects.filter(meeting_id__in=[pk for pk, _end in candidates]).values_list(
            "meeting_id", "days"
        )
    )
    recorded: list[tuple[int, int]] = []
    for meeting_id, ends_at in candidates:
        days = max(d for d in REMINDER_DAYS if ends_at + datetime.timedelta(days=d) <= now)
        if (meeting_id, days) in claimed:
            continue
        with transaction.atomic():
            _reminder, created = MinutesReminder.objects.get_or_create(
                meeting_id=meeting_id, days=days, defaults={"sent_at": now}
            )
            if not created:
                continue
            notice_publish(
                topic=REMINDER_TOPIC,
                kind=MINUTES_REMINDER,
                payload={"meeting_id": meeting_id, "days": days},
            )
        recorded.append((meeting_id, days))
        logger.info("meetings: minutes reminder (%d days) for meeting %d", days, meeting_id)
    return recorded


# --- registration ---------------------------------------------------------------------------


def register() -> None:
    register_renderer(AGENDA_PUBLISHED, render_agenda_published)
    register_renderer(MINUTES_PUBLISHED, render_minutes_published)
    register_renderer(MINUTES_CORRECTED, render_minutes_corrected)
    register_renderer(MINUTES_REMINDER, render_minutes_reminder)
    register_topic_family(
        SECRETARIAT_FAMILY, label=secretariat_label, default_recipients=secretariat_members
    )
