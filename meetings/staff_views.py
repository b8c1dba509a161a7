"""The secretariat's pages for meetings: create a meeting, build its agenda, attach files, keep
the attendance, publish the agenda, write, publish and correct the minutes.

Every view here is behind `secretariat_required`: anonymous visitors are sent to the login page,
everybody else who may not edit meetings gets 403. The pages work without JavaScript; with htmx
the agenda list is swapped in place when an item is moved or removed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core.gates import permission_required, posted, posted_files
from meetings import services
from meetings.forms import (
    AgendaItemForm,
    AttachmentForm,
    AttendanceActions,
    AttendanceForm,
    MeetingForm,
    MinutesForm,
    add_service_errors,
)
from meetings.models import (
    AgendaItem,
    Attachment,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingState,
)
from meetings.permissions import can_edit_meetings
from meetings.visibility import meeting_visibility, visible_agenda
from organizations.models import Body, Person

secretariat_required = permission_required(can_edit_meetings)


def _staff(request: HttpRequest) -> User:
    """The logged-in secretary (the gate has let only them through)."""
    return cast(User, request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("body"), pk=pk)


def _item(pk: int) -> AgendaItem:
    return get_object_or_404(
        AgendaItem.objects.select_related("meeting", "meeting__body", "parent"), pk=pk
    )


def _agenda_url(meeting: Meeting, item_pk: int | None = None) -> str:
    url = reverse("meetings:agenda", args=[meeting.pk])
    return f"{url}#punkt-{item_pk}" if item_pk else url


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- overview ------------------------------------------------------------------------------------


@secretariat_required
@require_GET
def staff_index(request: HttpRequest) -> HttpResponse:
    """Meetings still in the works: agenda not published, or minutes not yet published."""
    meetings = (
        Meeting.objects.filter(cancelled=False)
        .exclude(state=MeetingState.MINUTES_PUBLISHED)
        .select_related("body")
        .order_by("starts_at")
    )
    context = {
        "drafts": [m for m in meetings if m.state == MeetingState.DRAFT],
        "awaiting_minutes": [m for m in meetings if m.state != MeetingState.DRAFT],
        "bodies": Body.objects.order_by("order", "name"),
    }
    return render(request, "meetings/staff/index.html", context)


# --- meetings ------------------------------------------------------------------------------------


@secretariat_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest, slug: str) -> HttpResponse:
    body = get_object_or_404(Body, slug=slug)
    form = MeetingForm(posted(request), initial={"title": body.name})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(
                body=body, by=_staff(request), **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc, MeetingForm.ALIASES)
        else:
            messages.success(request, _("Mødet er oprettet. Byg nu dagsordenen."))
            return redirect("meetings:agenda", meeting.pk)
    return render(
        request, "meetings/staff/meeting_form.html", {"form": form, "body": body, "meeting": None}
    )


@secretariat_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    form = MeetingForm(posted(request), meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(meeting=meeting, by=_staff(request), **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, MeetingForm.ALIASES)
        else:
            messages.success(request, _("Mødet er gemt."))
            return redirect("meetings:agenda", meeting.pk)
        meeting = _meeting(pk)  # a failed save may have changed the instance
    context = {"form": form, "body": meeting.body, "meeting": meeting}
    return render(request, "meetings/staff/meeting_form.html", context)


@secretariat_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page (GET) and the cancellation itself (POST)."""
    meeting = _meeting(pk)
    error = ""
    if request.method == "POST":
        try:
            services.meeting_cancel(meeting=meeting, by=_staff(request))
        except ValidationError as exc:
            error = _error_text(exc)
        else:
            messages.success(request, _("Mødet er aflyst."))
            return redirect("meetings:staff_index")
    return render(request, "meetings/staff/cancel.html", {"meeting": meeting, "error": error})


# --- the agenda editor ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EditorRow:
    """An item in the editor with what its buttons need to know."""

    item: AgendaItem
    attachments: list[Attachment]
    is_first: bool
    is_last: bool
    # A sub-item of a closed item is closed too, whatever its own flag says.
    closed_by_parent: bool


def _editor_rows(meeting: Meeting) -> list[EditorRow]:
    """The items in display order (each followed by its sub-items). Two queries."""
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .order_by("order", "pk")
        .prefetch_related("attachments")
    )
    top = [item for item in items if item.parent_id is None]
    children: dict[int, list[AgendaItem]] = {}
    for item in items:
        if item.parent_id is not None:
            children.setdefault(item.parent_id, []).append(item)
    rows: list[EditorRow] = []

    def add(level: list[AgendaItem], parent_closed: bool = False) -> None:
        for index, item in enumerate(level):
            rows.append(
                EditorRow(
                    item=item,
                    attachments=list(item.attachments.all()),
                    is_first=index == 0,
                    is_last=index == len(level) - 1,
                    closed_by_parent=parent_closed and not item.is_closed,
                )
            )
            add(children.get(item.pk, []), item.is_closed)

    add(top)
    return rows


# The apology and guest forms share a page: their own ids keep the labels apart.
APOLOGY_IDS = "id_afbud_%s"
GUEST_IDS = "id_gaest_%s"


def _agenda_context(meeting: Meeting, *, error: str = "", status: str = "") -> dict[str, Any]:
    return {
        "meeting": meeting,
        "rows": _editor_rows(meeting),
        "editable": not meeting.cancelled and meeting.state != MeetingState.MINUTES_PUBLISHED,
        "list_error": error,
        "list_status": status,
    }


def _attendance_context(
    meeting: Meeting,
    *,
    apology_form: AttendanceForm | None = None,
    guest_form: AttendanceForm | None = None,
) -> dict[str, Any]:
    """The attendance panel: the invited with their status, and the apology and guest forms.
    Two queries, whatever the number of people."""
    attendances = list(
        Attendance.objects.filter(meeting=meeting).select_related("person", "substitute")
    )
    people = list(Person.objects.order_by("name").only("pk", "name"))
    invited = [attendance.person for attendance in attendances]
    if apology_form is None:
        apology_form = AttendanceForm(
            invited=invited, people=people, action=AttendanceActions.APOLOGIES, auto_id=APOLOGY_IDS
        )
    if guest_form is None:
        guest_form = AttendanceForm(
            invited=invited, people=people, action=AttendanceActions.GUEST, auto_id=GUEST_IDS
        )
    return {
        "attendances": attendances,
        "people": people,
        "apology_form": apology_form,
        "guest_form": guest_form,
    }


def _agenda_list_response(
    request: HttpRequest, meeting: Meeting, *, error: str = "", status: str = "", anchor: int = 0
) -> HttpResponse:
    """After a move or a removal: the list partial for htmx, else back to the editor."""
    if _is_htmx(request):
        return render(
            request,
            "meetings/staff/_agenda_items.html",
            _agenda_context(meeting, error=error, status=status),
        )
    if error:
        messages.error(request, error)
    elif status:
        messages.success(request, status)
    return redirect(_agenda_url(meeting, anchor or None))


@secretariat_required
@require_GET
def agenda(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    context = {
        **_agenda_context(meeting),
        **_attendance_context(meeting),
        "item_form": AgendaItemForm(meeting=meeting, auto_id="id_nyt_%s"),
    }
    return render(request, "meetings/staff/agenda.html", context)


@secretariat_required
@require_http_methods(["GET", "POST"])
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an item, or with ?parent=<id> a sub-item of that item."""
    meeting = _meeting(pk)
    parent: AgendaItem | None = None
    parent_id = request.GET.get("parent", "")
    if parent_id:
        if not parent_id.isdigit():
            raise Http404
        parent = get_object_or_404(AgendaItem, pk=parent_id, meeting=meeting, parent__isnull=True)
    initial = {"parent": parent.pk} if parent else None
    form = AgendaItemForm(posted(request), meeting=meeting, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.agenda_item_add(
                meeting=meeting, by=_staff(request), **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Punkt %(number)s er tilføjet.") % {"number": item.number})
            return redirect(_agenda_url(meeting, item.pk))
        parent = form.cleaned_data.get("parent")
    context = {"form": form, "meeting": meeting, "item": None, "parent": parent}
    return render(request, "meetings/staff/item_form.html", context)


@secretariat_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    form = AgendaItemForm(posted(request), meeting=item.meeting, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.agenda_item_update(item=item, by=_staff(request), **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Punkt %(number)s er gemt.") % {"number": item.number})
            return redirect(_agenda_url(item.meeting, item.pk))
        item = _item(pk)
    context = {"form": form, "meeting": item.meeting, "item": item, "parent": item.parent}
    return render(request, "meetings/staff/item_form.html", context)


_DIRECTIONS: dict[str, services.MoveDirection] = {"up": "up", "down": "down"}


@secretariat_required
@require_POST
def item_move(request: HttpRequest, pk: int) -> HttpResponse:
    """POST direction=up|down (the buttons), or position=<n> (1-based, as after a drag)."""
    item = _item(pk)
    meeting = item.meeting
    direction = _DIRECTIONS.get(request.POST.get("direction", ""))
    position = request.POST.get("position", "")
    error = ""
    try:
        if direction is not None:
            services.agenda_item_move(item=item, by=_staff(request), direction=direction)
        elif position.isdigit():
            services.agenda_item_move(item=item, by=_staff(request), position=int(position))
        else:
            error = _("Vælg, om punktet skal flyttes op eller ned.")
    except ValidationError as exc:
        error = _error_text(exc)
    status = "" if error else _("Punktet er flyttet til nr. %(number)s.") % {"number": item.number}
    return _agenda_list_response(request, meeting, error=error, status=status, anchor=item.pk)


@secretariat_required
@require_http_methods(["GET", "POST"])
def item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page (GET, for browsers without JavaScript) and the removal (POST)."""
    item = _item(pk)
    meeting = item.meeting
    if request.method == "GET":
        return render(request, "meetings/staff/item_delete.html", {"item": item})
    label = str(item)
    try:
        services.agenda_item_remove(item=item, by=_staff(request))
    except ValidationError as exc:
        return _agenda_list_response(request, meeting, error=_error_text(exc), anchor=pk)
    return _agenda_list_response(
        request, meeting, status=_("Punktet »%(item)s« er slettet.") % {"item": label}
    )


@secretariat_required
@require_http_methods(["GET", "POST"])
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    form = AttachmentForm(posted(request), posted_files(request))
    if request.method == "POST" and form.is_valid():
        try:
            attachment = services.attachment_add(
                item=item, by=_staff(request), upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(
                request,
                _("Bilaget »%(name)s« er vedhæftet punkt %(number)s.")
                % {"name": attachment.original_name, "number": item.number},
            )
            return redirect(_agenda_url(item.meeting, item.pk))
    context = {"form": form, "item": item, "meeting": item.meeting}
    return render(request, "meetings/staff/attachment_form.html", context)


@secretariat_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(
        Attachment.objects.select_related("item", "item__meeting", "item__meeting__body"), pk=pk
    )
    item = attachment.item
    name = attachment.original_name
    try:
        services.attachment_remove(attachment=attachment, by=_staff(request))
    except ValidationError as exc:
        return _agenda_list_response(request, item.meeting, error=_error_text(exc), anchor=item.pk)
    return _agenda_list_response(
        request,
        item.meeting,
        status=_("Bilaget »%(name)s« er fjernet.") % {"name": name},
        anchor=item.pk,
    )


# --- attendance ----------------------------------------------------------------------------------


@secretariat_required
@require_http_methods(["GET", "POST"])
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance panel on its own page (GET), and its actions (POST): present, back to
    invited, apologies with an optional substitute, a guest."""
    meeting = _meeting(pk)
    panel = _attendance_context(meeting)
    if request.method == "GET":
        return render(request, "meetings/staff/attendance.html", {"meeting": meeting, **panel})
    action = request.POST.get("action", "")
    is_guest = action == AttendanceActions.GUEST
    attendances: list[Attendance] = panel["attendances"]
    form = AttendanceForm(
        request.POST,
        invited=[attendance.person for attendance in attendances],
        people=panel["people"],
        auto_id=GUEST_IDS if is_guest else APOLOGY_IDS,
    )
    by = _staff(request)
    if form.is_valid():
        person: Person = form.cleaned_data["person"]
        action = form.cleaned_data["action"]
        try:
            if action == AttendanceActions.PRESENT:
                services.attendance_set_present(meeting=meeting, person=person, by=by)
                message = _("%(person)s er registreret som til stede.")
            elif action == AttendanceActions.APOLOGIES:
                services.attendance_register_apology(
                    meeting=meeting,
                    person=person,
                    by=by,
                    substitute=form.cleaned_data.get("substitute"),
                )
                message = _("Afbud fra %(person)s er registreret.")
            elif action == AttendanceActions.GUEST:
                services.attendance_add_guest(meeting=meeting, person=person, by=by)
                message = _("%(person)s er indkaldt som gæst.")
            else:
                current = next(a for a in attendances if a.person_id == person.pk)
                if current.status == AttendanceStatus.APOLOGIES:
                    services.attendance_withdraw_apology(meeting=meeting, person=person, by=by)
                else:
                    services.attendance_set_present(
                        meeting=meeting, person=person, by=by, present=False
                    )
                message = _("%(person)s er registreret som indkaldt.")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message % {"person": person.name})
            return redirect(reverse("meetings:agenda", args=[meeting.pk]) + "#deltagere")
    panel = _attendance_context(
        meeting,
        apology_form=None if is_guest else form,
        guest_form=form if is_guest else None,
    )
    return render(request, "meetings/staff/attendance.html", {"meeting": meeting, **panel})


# --- publishing the agenda -----------------------------------------------------------------------


def _as_published(meeting: Meeting, state: MeetingState) -> Meeting:
    """An unsaved copy of the meeting as it will be once published, to ask `meetings.visibility`
    what the public will then see. Never saved."""
    preview = copy.copy(meeting)
    now = timezone.now()
    preview.state = state
    preview.agenda_published_at = preview.agenda_published_at or now
    if state == MeetingState.MINUTES_PUBLISHED:
        preview.minutes_published_at = preview.minutes_published_at or now
    return preview


def _public_preview(meeting: Meeting, state: MeetingState) -> dict[str, Any]:
    """Exactly what an anonymous visitor will see of the agenda (and minutes) after publishing."""
    preview = _as_published(meeting, state)
    public = AnonymousUser()
    access = meeting_visibility(public, preview)
    return {
        "public_access": access,
        "public_items": visible_agenda(public, preview, access),
    }


@secretariat_required
@require_http_methods(["GET", "POST"])
def publish_agenda(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    error = ""
    if request.method == "POST":
        try:
            services.agenda_publish(meeting=meeting, by=_staff(request))
        except ValidationError as exc:
            error = _error_text(exc)
        else:
            messages.success(request, _("Dagsordenen er offentliggjort."))
            return redirect("meetings:agenda", meeting.pk)
    context = {
        "meeting": meeting,
        "error": error,
        **_public_preview(meeting, MeetingState.AGENDA_PUBLISHED),
    }
    return render(request, "meetings/staff/publish_agenda.html", context)


# --- minutes -------------------------------------------------------------------------------------


def _items_in_order(meeting: Meeting) -> list[AgendaItem]:
    return [row.item for row in _editor_rows(meeting)]


@secretariat_required
@require_http_methods(["GET", "POST"])
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft of the minutes, every item in one form. The first save begins the minutes."""
    meeting = _meeting(pk)
    if meeting.state == MeetingState.MINUTES_PUBLISHED:
        return redirect("meetings:correct_minutes", meeting.pk)
    form = MinutesForm(posted(request), items=_items_in_order(meeting))
    if request.method == "POST" and form.is_valid():
        by = _staff(request)
        try:
            if meeting.state != MeetingState.MINUTES_DRAFT:
                meeting = services.minutes_start(meeting=meeting, by=by)
            typed = form.minutes()
            for item in form.changed_items():
                services.minutes_update_item(item=item, by=by, minutes=typed[item.pk])
        except ValidationError as exc:
            add_service_errors(form, exc)
        if not form.errors:
            messages.success(request, _("Referatet er gemt."))
            anchor = request.POST.get("saved_item", "")
            url = reverse("meetings:minutes", args=[meeting.pk])
            return redirect(f"{url}#punkt-{anchor}" if anchor.isdigit() else url)
    context = {"meeting": meeting, "form": form, "can_write": meeting.agenda_is_published}
    return render(request, "meetings/staff/minutes.html", context)


@secretariat_required
@require_http_methods(["GET", "POST"])
def publish_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    error = ""
    if request.method == "POST":
        try:
            services.minutes_publish(meeting=meeting, by=_staff(request))
        except ValidationError as exc:
            error = _error_text(exc)
        else:
            messages.success(request, _("Referatet er offentliggjort."))
            return redirect("meetings:staff_index")
    context = {
        "meeting": meeting,
        "error": error,
        **_public_preview(meeting, MeetingState.MINUTES_PUBLISHED),
    }
    return render(request, "meetings/staff/publish_minutes.html", context)


@secretariat_required
@require_http_methods(["GET", "POST"])
def correct_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct published minutes: the reason is required and shown to readers with the time."""
    meeting = _meeting(pk)
    if meeting.state != MeetingState.MINUTES_PUBLISHED:
        return redirect("meetings:minutes", meeting.pk)
    form = MinutesForm(posted(request), items=_items_in_order(meeting), with_reason=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.minutes_correct(
                meeting=meeting,
                by=_staff(request),
                reason=form.cleaned_data["reason"],
                minutes=form.minutes(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Rettelsen af referatet er gemt og vises for læserne."))
            return redirect("meetings:staff_index")
    revisions = meeting.minutes_revisions.select_related("revised_by").order_by("-revised_at")
    context = {"meeting": meeting, "form": form, "revisions": revisions}
    return render(request, "meetings/staff/correct_minutes.html", context)
