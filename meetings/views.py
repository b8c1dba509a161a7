"""The public and member pages of meetings: the list, a meeting, an item's permalink, attachment
downloads and a member's own apology (afbud).

What a reader may see is decided in `meetings.visibility` (through `meetings.selectors`); what
they may do in `meetings.permissions` (through `meetings.services`). Views parse the request
and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from meetings import selectors, services
from meetings.forms import ApologyForm
from meetings.models import AttendanceStatus, Meeting
from meetings.visibility import MeetingAccess
from organizations.models import Person


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """All meetings the reader may see, with filters that can be bookmarked."""
    listing = selectors.meeting_list(request.user, request.GET)
    return render(request, "meetings/index.html", {"listing": listing})


@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, access = selectors.get_visible_meeting(request.user, pk)
    page = selectors.meeting_page(request.user, meeting, access)
    return render(request, "meetings/meeting_detail.html", {"page": page, **_common(page)})


@require_GET
def item_detail(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    page = selectors.item_page(request.user, pk, item_pk)
    return render(
        request,
        "meetings/item_detail.html",
        {"page": page, "meeting": page.meeting, "access": page.access, "item": page.item},
    )


@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """The attachment (bilag) under its original name — only to those who may read its item;
    everyone else gets 404, so whether it exists is not confirmed."""
    attachment = selectors.downloadable_attachment(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Closed items' attachments must not end up in a shared cache.
    response["Cache-Control"] = "private, no-cache"
    return response


# --- apologies -----------------------------------------------------------------------------------


@login_required
@require_POST
def apology(request: HttpRequest, pk: int) -> HttpResponse:
    """Register or withdraw the reader's own apology with one click. Always for the person
    linked to the login: the request cannot name anyone else."""
    meeting, access = selectors.get_visible_meeting(request.user, pk)
    person = selectors.own_person(request.user)
    message, ok = _apology(request, meeting, person)
    if request.headers.get("HX-Request") == "true":
        page = selectors.meeting_page(request.user, meeting, access)
        return render(
            request,
            "meetings/_attendance.html",
            {"page": page, **_common(page), "status_message": message, "status_ok": ok},
        )
    (messages.success if ok else messages.error)(request, message)
    return redirect(reverse("meetings:detail", args=[meeting.pk]) + "#deltagere")


def _apology(request: HttpRequest, meeting: Meeting, person: Person | None) -> tuple[str, bool]:
    """Do what the member asked; the Danish message to show and whether it went well."""
    refused = _("Du kan kun melde afbud for dig selv til et møde, du er indkaldt til, før mødet.")
    if person is None:
        return refused, False
    form = ApologyForm(request.POST, substitutes=selectors.substitute_choices(meeting, person))
    if not form.is_valid():
        errors = [str(error) for error_list in form.errors.values() for error in error_list]
        return " ".join(errors), False
    user: Any = request.user
    try:
        if form.cleaned_data["action"] == "withdraw":
            services.attendance_withdraw_apology(meeting=meeting, person=person, by=user)
            return _("Dit afbud er trukket tilbage. Du er igen indkaldt til mødet."), True
        substitute_pk = form.cleaned_data["substitute"]
        substitute = Person.objects.get(pk=substitute_pk) if substitute_pk else None
        attendance = services.attendance_register_apology(
            meeting=meeting, person=person, by=user, substitute=substitute
        )
    except PermissionDenied:
        return refused, False
    except ValidationError as error:
        return " ".join(error.messages), False
    if attendance.status == AttendanceStatus.APOLOGIES and substitute is not None:
        return _("Dit afbud er registreret med %(name)s som stedfortræder.") % {
            "name": substitute.name
        }, True
    return _("Dit afbud er registreret."), True


def _common(page: selectors.MeetingPage) -> dict[str, Any]:
    access: MeetingAccess = page.access
    return {"meeting": page.meeting, "access": access, "attendance": page.attendance}
