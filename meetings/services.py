"""Writes for meetings: the secretariat's daily work, from a new meeting to published minutes.

The life of a meeting: `meeting_create` (with its standing items and the body's members invited)
→ items added, edited, moved (`agenda_item_*`, numbers kept by `agenda_renumber`) →
`agenda_publish` → `minutes_start` → `minutes_update_item` per item → `minutes_publish` → if
need be `minutes_correct` (which records who, when and why). Members register their own
apologies (`attendance_register_apology`).

Every write checks `meetings.permissions`, locks the meeting row, validates the whole object
(full_clean) and sanitises rich text. Every change to something already published bumps the
meeting's `sequence` (the iCal SEQUENCE). Invalid transitions raise ValidationError in Danish.
"""

from __future__ import annotations

import datetime
import string
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from meetings import notifications
from meetings.attachments import check_upload
from meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    ItemKind,
    Meeting,
    MeetingState,
    MinutesRevision,
)
from meetings.permissions import can_edit_meetings, can_register_apology
from meetings.sanitize import sanitize_html
from meetings.tasks import extract_attachment_text, render_meeting_documents
from organizations.models import Body, Membership, Person

MoveDirection = Literal["up", "down"]

# Orders are moved this far out of the way while a level is renumbered, so the unique
# (meeting/parent, order) constraints hold after every single row update.
_PARK_OFFSET = 1_000_000


# --- helpers -------------------------------------------------------------------------------------


def _require_editor(user: Any) -> None:
    if not can_edit_meetings(user):
        raise PermissionDenied(_("Kun sekretariatet kan redigere møder."))


def _lock(meeting: Meeting) -> Meeting:
    """Reload the meeting under a row lock: two secretaries cannot publish the same meeting."""
    meeting.refresh_from_db(from_queryset=Meeting.objects.select_for_update())
    return meeting


def _bump_sequence(meeting: Meeting) -> None:
    """A change others can already see: bump the iCal SEQUENCE."""
    if meeting.state != MeetingState.DRAFT:
        meeting.sequence += 1
        meeting.save(update_fields=["sequence", "updated_at"])


def _require_aware(*values: datetime.datetime) -> None:
    for value in values:
        if timezone.is_naive(value):
            raise ValueError("Meeting times must be timezone-aware datetimes.")


def _require_agenda_editable(meeting: Meeting) -> None:
    if meeting.cancelled:
        raise ValidationError(_("Mødet er aflyst og kan ikke længere ændres."), code="cancelled")
    if meeting.state == MeetingState.MINUTES_PUBLISHED:
        raise ValidationError(
            _("Referatet er offentliggjort; dagsordenen kan ikke længere ændres."),
            code="minutes_published",
        )


def _in_danish(message: str) -> str:
    """Stored content (standing items' titles) is written in the portal's language, Danish,
    whatever language the secretary's browser asks for."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message)


def danish_date(day: datetime.date) -> str:
    """'6. oktober 2011'."""
    with translation.override(settings.LANGUAGE_CODE):
        return date_format(day, "j. F Y")


def _letter(index: int) -> str:
    """1 → a, 26 → z, 27 → aa: the letters of sub-items."""
    letters = string.ascii_lowercase
    result = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        result = letters[rest] + result
    return result


def _apply_orders(items: Iterable[AgendaItem], targets: Mapping[int, tuple[int, str]]) -> None:
    changed = [item for item in items if (item.order, item.number) != targets[item.pk]]
    if not changed:
        return
    AgendaItem.objects.filter(pk__in=[item.pk for item in changed]).update(
        order=F("order") + _PARK_OFFSET
    )
    for item in changed:
        item.order, item.number = targets[item.pk]
    AgendaItem.objects.bulk_update(changed, ["order", "number"])


# --- meetings ------------------------------------------------------------------------------------


def previous_meeting(*, body: Body, before: datetime.datetime) -> Meeting | None:
    """The body's last meeting before `before` that was held (not cancelled)."""
    return (
        Meeting.objects.filter(body=body, starts_at__lt=before, cancelled=False)
        .order_by("-starts_at")
        .first()
    )


@transaction.atomic
def meeting_create(
    *,
    body: Body,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    by: User,
    title: str = "",
    place: str = "",
    case_number: str = "",
    document_number: str = "",
) -> Meeting:
    """Create a meeting (in draft) with its standing items — "Godkendelse af dagsorden" and,
    if the body has met before, "Godkendelse af referat fra møde <date>" linked to that
    meeting — and invite the body's active members on the meeting date."""
    _require_editor(by)
    _require_aware(starts_at, ends_at)
    meeting = Meeting(
        body=body,
        title=title.strip() or body.name,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        case_number=case_number.strip(),
        document_number=document_number.strip(),
        created_by=by,
    )
    meeting.full_clean()
    meeting.save()

    standing = [
        AgendaItem(
            meeting=meeting,
            order=1,
            title=_in_danish("Godkendelse af dagsorden"),
            kind=ItemKind.DECISION,
            is_standing=True,
        )
    ]
    previous = previous_meeting(body=body, before=starts_at)
    if previous is not None:
        with translation.override(settings.LANGUAGE_CODE):
            approval_title = _("Godkendelse af referat fra møde %(date)s") % {
                "date": danish_date(previous.local_date)
            }
        standing.append(
            AgendaItem(
                meeting=meeting,
                order=2,
                title=approval_title,
                kind=ItemKind.DECISION,
                is_standing=True,
                follows_up_meeting=previous,
            )
        )
    for item in standing:
        item.full_clean()
        item.save()
    _renumber(meeting)

    member_ids = (
        Membership.objects.active_on(meeting.local_date)
        .filter(body=body)
        .values_list("person_id", flat=True)
        .distinct()
    )
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, person_id=person_id) for person_id in sorted(member_ids)]
    )
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    by: User,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    place: str,
    case_number: str,
    document_number: str,
) -> Meeting:
    """Change a meeting's time, place and numbers. Invitations are not recomputed."""
    _require_editor(by)
    _require_aware(starts_at, ends_at)
    meeting = _lock(meeting)
    if meeting.cancelled:
        raise ValidationError(_("Mødet er aflyst og kan ikke længere ændres."), code="cancelled")
    meeting.title = title.strip() or meeting.body.name
    meeting.starts_at = starts_at
    meeting.ends_at = ends_at
    meeting.place = place.strip()
    meeting.case_number = case_number.strip()
    meeting.document_number = document_number.strip()
    meeting.full_clean()
    meeting.save()
    _bump_sequence(meeting)
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: User) -> Meeting:
    """Cancel (aflys) a meeting. It stays visible as cancelled; calendars get STATUS:CANCELLED."""
    _require_editor(by)
    meeting = _lock(meeting)
    if meeting.cancelled:
        raise ValidationError(_("Mødet er allerede aflyst."), code="already_cancelled")
    if meeting.state == MeetingState.MINUTES_PUBLISHED:
        raise ValidationError(
            _("Et møde med offentliggjort referat kan ikke aflyses."), code="minutes_published"
        )
    meeting.cancelled = True
    meeting.full_clean()
    meeting.save()
    _bump_sequence(meeting)
    return meeting


# --- agenda items --------------------------------------------------------------------------------


def _renumber(meeting: Meeting) -> list[AgendaItem]:
    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("order", "pk"))
    children: dict[int, list[AgendaItem]] = {}
    for item in items:
        if item.parent_id is not None:
            children.setdefault(item.parent_id, []).append(item)
    targets: dict[int, tuple[int, str]] = {}
    ordered: list[AgendaItem] = []
    top = [item for item in items if item.parent_id is None]
    for position, parent in enumerate(top, start=1):
        targets[parent.pk] = (position, str(position))
        ordered.append(parent)
        for sub_position, child in enumerate(children.get(parent.pk, []), start=1):
            targets[child.pk] = (sub_position, f"{position}.{_letter(sub_position)}")
            ordered.append(child)
    _apply_orders(items, targets)
    return ordered


@transaction.atomic
def agenda_renumber(*, meeting: Meeting) -> list[AgendaItem]:
    """Give the items consecutive orders and their display numbers ("3", "3.a", "3.b") from
    their order; returns them in display order. Numbers are never typed by hand."""
    return _renumber(meeting)


def _check_follows_up(meeting: Meeting, follows_up: AgendaItem | None) -> None:
    """An item can follow up (opfølgning på) an item of an earlier meeting of the same body whose
    agenda has been published: a draft's items may still change or vanish."""
    if follows_up is None:
        return
    earlier = follows_up.meeting
    if earlier.body_id != meeting.body_id:
        raise ValidationError(
            {"follows_up": _("Et punkt kan kun følge op på et punkt fra samme organs møder.")}
        )
    if earlier.pk == meeting.pk or earlier.starts_at >= meeting.starts_at:
        raise ValidationError(
            {"follows_up": _("Et punkt kan kun følge op på et punkt fra et tidligere møde.")}
        )
    if earlier.state == MeetingState.DRAFT:
        raise ValidationError(
            {
                "follows_up": _(
                    "Et punkt kan kun følge op på et punkt fra et møde, hvis dagsorden er "
                    "offentliggjort."
                )
            }
        )


@transaction.atomic
def agenda_item_add(
    *,
    meeting: Meeting,
    by: User,
    title: str,
    kind: str = ItemKind.DECISION,
    case_text: str = "",
    presenter: str = "",
    recommendation: str = "",
    is_closed: bool = False,
    parent: AgendaItem | None = None,
    follows_up: AgendaItem | None = None,
) -> AgendaItem:
    """Add an item at the end of the agenda, or a sub-item at the end of `parent`'s."""
    _require_editor(by)
    return _item_insert(
        meeting=meeting,
        title=title,
        kind=kind,
        case_text=case_text,
        presenter=presenter,
        recommendation=recommendation,
        is_closed=is_closed,
        parent=parent,
        follows_up=follows_up,
    )


@transaction.atomic
def agenda_item_add_for_process(
    *,
    meeting: Meeting,
    title: str,
    kind: str = ItemKind.DECISION,
    case_text: str = "",
    recommendation: str = "",
    is_closed: bool = False,
) -> AgendaItem:
    """Add an item that a procedure puts on the agenda, not a person (a written round with an
    objection goes to the body's next meeting). Only a draft agenda is changed this way: what
    members have already received is changed by the secretariat, not by a background task."""
    meeting = _lock(meeting)
    if meeting.state != MeetingState.DRAFT:
        raise ValidationError(
            _("Dagsordenen er offentliggjort; punktet skal tilføjes af sekretariatet."),
            code="agenda_published",
        )
    return _item_insert(
        meeting=meeting,
        title=title,
        kind=kind,
        case_text=case_text,
        recommendation=recommendation,
        is_closed=is_closed,
    )


def _item_insert(
    *,
    meeting: Meeting,
    title: str,
    kind: str,
    case_text: str = "",
    presenter: str = "",
    recommendation: str = "",
    is_closed: bool = False,
    parent: AgendaItem | None = None,
    follows_up: AgendaItem | None = None,
) -> AgendaItem:
    meeting = _lock(meeting)
    _require_agenda_editable(meeting)
    _check_follows_up(meeting, follows_up)
    siblings = AgendaItem.objects.filter(meeting=meeting, parent=parent)
    last = siblings.aggregate(last=Max("order"))["last"] or 0
    item = AgendaItem(
        meeting=meeting,
        parent=parent,
        order=last + 1,
        title=title.strip(),
        kind=kind,
        case_text=sanitize_html(case_text),
        presenter=presenter.strip(),
        recommendation=sanitize_html(recommendation),
        is_closed=is_closed,
        follows_up=follows_up,
    )
    item.full_clean()
    item.save()
    _renumber(meeting)
    _bump_sequence(meeting)
    item.refresh_from_db()
    return item


@transaction.atomic
def agenda_item_update(
    *,
    item: AgendaItem,
    by: User,
    title: str,
    kind: str,
    case_text: str,
    presenter: str,
    recommendation: str,
    is_closed: bool,
    follows_up: AgendaItem | None = None,
) -> AgendaItem:
    """Change an item's content. Its minutes are written with `minutes_update_item`."""
    _require_editor(by)
    meeting = _lock(item.meeting)
    _require_agenda_editable(meeting)
    _check_follows_up(meeting, follows_up)
    item.title = title.strip()
    item.kind = kind
    item.case_text = sanitize_html(case_text)
    item.presenter = presenter.strip()
    item.recommendation = sanitize_html(recommendation)
    item.is_closed = is_closed
    item.follows_up = follows_up
    item.full_clean()
    item.save()
    _bump_sequence(meeting)
    return item


@transaction.atomic
def agenda_item_remove(*, item: AgendaItem, by: User) -> None:
    """Remove an item with its sub-items and attachments, and renumber the rest."""
    _require_editor(by)
    meeting = _lock(item.meeting)
    _require_agenda_editable(meeting)
    files = [
        attachment.file.name or ""
        for attachment in Attachment.objects.filter(Q(item=item) | Q(item__parent=item))
    ]
    item.delete()
    _delete_files_on_commit(files)
    _renumber(meeting)
    _bump_sequence(meeting)


@transaction.atomic
def agenda_item_move(
    *,
    item: AgendaItem,
    by: User,
    direction: MoveDirection | None = None,
    position: int | None = None,
) -> list[AgendaItem]:
    """Move an item among its siblings: one step up or down, or to `position` (1-based, as
    after a drag). Sub-items move with their item. Returns the agenda in display order."""
    _require_editor(by)
    if (direction is None) == (position is None):
        raise ValueError("Give either a direction or a position.")
    meeting = _lock(item.meeting)
    _require_agenda_editable(meeting)
    siblings = list(
        AgendaItem.objects.filter(meeting=meeting, parent_id=item.parent_id).order_by("order", "pk")
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    if direction == "up":
        target = index - 1
    elif direction == "down":
        target = index + 1
    elif direction is None and position is not None:
        target = position - 1
    else:
        raise ValueError(f"Unknown direction {direction!r}.")
    target = max(0, min(len(siblings) - 1, target))
    if target != index:
        moving = siblings.pop(index)
        siblings.insert(target, moving)
        # Keep the numbers for now; _renumber sets them from the new orders.
        _apply_orders(
            siblings, {s.pk: (position, s.number) for position, s in enumerate(siblings, start=1)}
        )
        _bump_sequence(meeting)
    ordered = _renumber(meeting)
    item.refresh_from_db()
    return ordered


# --- attendance ----------------------------------------------------------------------------------


def _attendance(meeting: Meeting, person: Person) -> Attendance:
    attendance = Attendance.objects.filter(meeting=meeting, person=person).first()
    if attendance is None:
        raise ValidationError(
            _("%(person)s er ikke indkaldt til mødet.") % {"person": person.name},
            code="not_invited",
        )
    return attendance


@transaction.atomic
def attendance_register_apology(
    *, meeting: Meeting, person: Person, by: User, substitute: Person | None = None
) -> Attendance:
    """Register apologies (afbud) for a person, optionally with a substitute. A member may do
    it for themself before the meeting; the secretariat for anyone, at any time."""
    if not can_register_apology(by, meeting, person):
        raise PermissionDenied(
            _("Du kan kun melde afbud for dig selv til et møde, du er indkaldt til.")
        )
    meeting = _lock(meeting)
    attendance = _attendance(meeting, person)
    if substitute is not None and substitute.pk == person.pk:
        raise ValidationError(
            {"substitute": _("En stedfortræder skal være en anden end den, der melder afbud.")}
        )
    attendance.status = AttendanceStatus.APOLOGIES
    attendance.substitute = substitute
    attendance.registered_by = by
    attendance.registered_at = timezone.now()
    attendance.full_clean()
    attendance.save()
    return attendance


@transaction.atomic
def attendance_withdraw_apology(*, meeting: Meeting, person: Person, by: User) -> Attendance:
    """Take back an apology: the person is invited again."""
    if not can_register_apology(by, meeting, person):
        raise PermissionDenied(_("Du kan kun trække et afbud tilbage for dig selv før mødet."))
    meeting = _lock(meeting)
    attendance = _attendance(meeting, person)
    attendance.status = AttendanceStatus.INVITED
    attendance.substitute = None
    attendance.registered_by = by
    attendance.registered_at = timezone.now()
    attendance.full_clean()
    attendance.save()
    return attendance


@transaction.atomic
def attendance_add_guest(*, meeting: Meeting, person: Person, by: User) -> Attendance:
    """Invite someone who is not a member (a guest, e.g. a presenter from outside)."""
    _require_editor(by)
    meeting = _lock(meeting)
    if Attendance.objects.filter(meeting=meeting, person=person).exists():
        raise ValidationError(
            _("%(person)s er allerede indkaldt til mødet.") % {"person": person.name},
            code="already_invited",
        )
    attendance = Attendance(
        meeting=meeting,
        person=person,
        is_guest=True,
        registered_by=by,
        registered_at=timezone.now(),
    )
    attendance.full_clean()
    attendance.save()
    return attendance


@transaction.atomic
def attendance_set_present(
    *, meeting: Meeting, person: Person, by: User, present: bool = True
) -> Attendance:
    """Record who was present (for the minutes' list of participants). Someone not invited —
    a substitute, a guest — is added as a guest."""
    _require_editor(by)
    meeting = _lock(meeting)
    if meeting.cancelled:
        raise ValidationError(_("Mødet er aflyst."), code="cancelled")
    attendance = Attendance.objects.filter(meeting=meeting, person=person).first()
    if attendance is None:
        attendance = Attendance(meeting=meeting, person=person, is_guest=True)
    attendance.status = AttendanceStatus.PRESENT if present else AttendanceStatus.INVITED
    attendance.substitute = None
    attendance.registered_by = by
    attendance.registered_at = timezone.now()
    attendance.full_clean()
    attendance.save()
    return attendance


# --- publishing and minutes ----------------------------------------------------------------------


@transaction.atomic
def agenda_publish(*, meeting: Meeting, by: User) -> Meeting:
    """Publish the agenda (dagsorden): from now on everyone who may see the body's meetings
    sees it — closed items only as "Lukket punkt"."""
    _require_editor(by)
    meeting = _lock(meeting)
    if meeting.cancelled:
        raise ValidationError(_("Mødet er aflyst."), code="cancelled")
    if meeting.state != MeetingState.DRAFT:
        raise ValidationError(_("Dagsordenen er allerede offentliggjort."), code="published")
    if not meeting.items.exists():
        raise ValidationError(_("Dagsordenen har ingen punkter."), code="empty")
    meeting.state = MeetingState.AGENDA_PUBLISHED
    meeting.agenda_published_at = timezone.now()
    meeting.sequence += 1
    meeting.full_clean()
    meeting.save()
    # The outbox: the mails to the body's followers and members go out when this commits.
    notifications.agenda_published(meeting, by=by)
    # robust: a broker outage must not fail the publication; PDFs also render on demand.
    transaction.on_commit(lambda: render_meeting_documents.delay(meeting.pk), robust=True)
    return meeting


@transaction.atomic
def minutes_start(*, meeting: Meeting, by: User) -> Meeting:
    """Begin the minutes (referat): the draft is for the secretariat only until published."""
    _require_editor(by)
    meeting = _lock(meeting)
    if meeting.cancelled:
        raise ValidationError(_("Mødet er aflyst."), code="cancelled")
    if meeting.state == MeetingState.DRAFT:
        raise ValidationError(
            _("Dagsordenen skal offentliggøres, før referatet kan påbegyndes."),
            code="agenda_not_published",
        )
    if meeting.state != MeetingState.AGENDA_PUBLISHED:
        raise ValidationError(_("Referatet er allerede påbegyndt."), code="minutes_started")
    meeting.state = MeetingState.MINUTES_DRAFT
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def minutes_update_item(*, item: AgendaItem, by: User, minutes: str) -> AgendaItem:
    """Write an item's minutes (referat/beslutning) in the draft of the minutes."""
    _require_editor(by)
    meeting = _lock(item.meeting)
    if meeting.state == MeetingState.MINUTES_PUBLISHED:
        raise ValidationError(
            _(
                "Referatet er offentliggjort. Ret det med en rettelse med begrundelse, så "
                "ændringen kan ses."
            ),
            code="minutes_published",
        )
    if meeting.state != MeetingState.MINUTES_DRAFT:
        raise ValidationError(_("Referatet er ikke påbegyndt endnu."), code="minutes_not_started")
    item.minutes = sanitize_html(minutes)
    item.full_clean()
    item.save(update_fields=["minutes", "updated_at"])
    return item


@transaction.atomic
def minutes_publish(*, meeting: Meeting, by: User) -> Meeting:
    """Publish the approved minutes (referat)."""
    _require_editor(by)
    meeting = _lock(meeting)
    if meeting.state == MeetingState.MINUTES_PUBLISHED:
        raise ValidationError(_("Referatet er allerede offentliggjort."), code="published")
    if meeting.state != MeetingState.MINUTES_DRAFT:
        raise ValidationError(
            _("Referatet skal være påbegyndt, før det kan offentliggøres."),
            code="minutes_not_started",
        )
    meeting.state = MeetingState.MINUTES_PUBLISHED
    meeting.minutes_published_at = timezone.now()
    meeting.sequence += 1
    meeting.full_clean()
    meeting.save()
    notifications.minutes_published(meeting, by=by)
    # robust: a broker outage must not fail the publication; PDFs also render on demand.
    transaction.on_commit(lambda: render_meeting_documents.delay(meeting.pk), robust=True)
    return meeting


@transaction.atomic
def minutes_correct(
    *, meeting: Meeting, by: User, reason: str, minutes: Mapping[int, str]
) -> MinutesRevision:
    """Correct published minutes. `minutes` maps item ids to their new minutes. The minutes as
    they were, who corrected them, when and why are kept as a MinutesRevision; the meeting's
    page tells its readers that (and when) the minutes were corrected."""
    _require_editor(by)
    meeting = _lock(meeting)
    if meeting.state != MeetingState.MINUTES_PUBLISHED:
        raise ValidationError(
            _("Kun et offentliggjort referat rettes med en rettelse; et udkast redigeres direkte."),
            code="minutes_not_published",
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Skriv, hvorfor referatet rettes.")})
    items = {item.pk: item for item in AgendaItem.objects.filter(meeting=meeting)}
    unknown = sorted(set(minutes) - set(items))
    if unknown:
        raise ValidationError(_("Punkterne hører ikke til dette møde."), code="unknown_items")
    changed: list[AgendaItem] = []
    for pk, text in minutes.items():
        cleaned = sanitize_html(text)
        if items[pk].minutes != cleaned:
            changed.append(items[pk])
    if not changed:
        raise ValidationError(_("Rettelsen ændrer ikke referatet."), code="no_change")
    snapshot = {
        str(pk): {"number": item.number, "title": item.title, "minutes": item.minutes}
        for pk, item in sorted(items.items())
    }
    revision = MinutesRevision(meeting=meeting, revised_by=by, reason=reason, snapshot=snapshot)
    revision.full_clean()
    revision.save()
    for item in changed:
        item.minutes = sanitize_html(minutes[item.pk])
        item.full_clean()
        item.save(update_fields=["minutes", "updated_at"])
    meeting.minutes_corrected_at = revision.revised_at
    meeting.sequence += 1
    meeting.full_clean()
    meeting.save()
    notifications.minutes_corrected(meeting, revision, by=by)
    # robust: a broker outage must not fail the publication; PDFs also render on demand.
    transaction.on_commit(lambda: render_meeting_documents.delay(meeting.pk), robust=True)
    return revision


# --- attachments ---------------------------------------------------------------------------------


def _delete_files_on_commit(names: list[str]) -> None:
    def delete() -> None:
        for name in names:
            if name:
                default_storage.delete(name)

    if names:
        transaction.on_commit(delete)


@transaction.atomic
def attachment_add(*, item: AgendaItem, by: User, upload: UploadedFile) -> Attachment:
    """Attach a file (bilag) to an item. It is checked by content and size first (nothing is
    stored if it fails); its text is extracted in the background after the commit."""
    _require_editor(by)
    checked = check_upload(upload)
    meeting = _lock(item.meeting)
    if meeting.cancelled:
        raise ValidationError(_("Mødet er aflyst."), code="cancelled")
    original_name = (upload.name or "bilag")[-255:]
    attachment = Attachment(
        item=item,
        original_name=original_name,
        content_type=checked.file_type.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    attachment.full_clean(exclude=["file"])
    # The stored name is made by upload_to, with the extension of the detected type.
    attachment.file.save(f"bilag{checked.file_type.extension}", upload, save=False)
    try:
        attachment.save()
    except Exception:
        default_storage.delete(attachment.file.name or "")
        raise
    _bump_sequence(meeting)
    attachment_id = attachment.pk
    transaction.on_commit(lambda: extract_attachment_text.delay(attachment_id))
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: Attachment, by: User) -> None:
    """Remove an attachment; its file is deleted once the removal is committed."""
    _require_editor(by)
    meeting = _lock(attachment.item.meeting)
    name = attachment.file.name or ""
    attachment.delete()
    _delete_files_on_commit([name])
    _bump_sequence(meeting)
