"""The secretariat's pages for written rounds: create and edit a draft, choose who is asked,
attach files, send, remind, move the deadline, withdraw, close early as approved, and add the
follow-up item of a referred round.

Every view here is behind `secretariat_required`: anonymous visitors are sent to the login page,
everybody else gets 403. The round's own page (views.detail) shows the secretariat its controls
and history; the pages here are plain forms that work without JavaScript. Each calls one
service and shows its Danish errors at the field or as a message.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from core.gates import permission_required, posted, posted_files
from meetings.forms import AttachmentForm, add_service_errors
from organizations.models import Body
from rounds import notifications, selectors, services
from rounds.forms import DeadlineForm, RespondentsForm, RoundForm, WithdrawForm
from rounds.models import RoundAttachment, WrittenRound
from rounds.permissions import can_manage_rounds

secretariat_required = permission_required(can_manage_rounds)


def _staff(request: HttpRequest) -> User:
    """The logged-in secretary (the gate has let only them through)."""
    return cast(User, request.user)


def _round(pk: int) -> WrittenRound:
    return get_object_or_404(
        WrittenRound.objects.select_related("body", "proposer_municipality", "proposer_region"),
        pk=pk,
    )


def _to_round(round_: WrittenRound, anchor: str = "") -> HttpResponse:
    url = reverse("rounds:detail", args=[round_.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- writing a draft -----------------------------------------------------------------------------


@secretariat_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest, slug: str) -> HttpResponse:
    body = get_object_or_404(Body, slug=slug)
    municipalities, regions = selectors.proposer_choices()
    form = RoundForm(
        posted(request),
        municipalities=municipalities,
        regions=regions,
        deadline=services.default_deadline(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_create(body=body, by=_staff(request), **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, RoundForm.ALIASES)
        else:
            messages.success(
                request,
                _(
                    "Høringen er oprettet som kladde. Tjek høringsparterne, vedhæft eventuelle "
                    "bilag, og send den."
                ),
            )
            return _to_round(round_)
    return render(request, "rounds/staff/round_form.html", {"form": form, "body": body})


@secretariat_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(pk)
    municipalities, regions = selectors.proposer_choices()
    form = RoundForm(posted(request), municipalities=municipalities, regions=regions, round_=round_)
    if request.method == "POST" and form.is_valid():
        try:
            services.round_update(round_=round_, by=_staff(request), **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, RoundForm.ALIASES)
            round_ = _round(pk)  # a failed save may have changed the instance
        else:
            messages.success(request, _("Høringen er gemt."))
            return _to_round(round_)
    context = {"form": form, "body": round_.body, "round": round_}
    return render(request, "rounds/staff/round_form.html", context)


@secretariat_required
@require_http_methods(["GET", "POST"])
def respondents(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(pk)
    choices = selectors.respondent_choices(round_)
    form = RespondentsForm(
        posted(request),
        candidates=choices.candidates,
        people=choices.people,
        current_ids=choices.current_ids,
    )
    if request.method == "POST" and form.is_valid():
        try:
            asked = services.round_set_respondents(
                round_=round_, by=_staff(request), people=form.chosen_people()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Høringsparterne er gemt (%(count)d).") % {"count": len(asked)}
            )
            return _to_round(round_, "hoeringsparter")
    return render(request, "rounds/staff/respondents.html", {"form": form, "round": round_})


@secretariat_required
@require_http_methods(["GET", "POST"])
def attachments(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(pk)
    form = AttachmentForm(posted(request), posted_files(request))
    if request.method == "POST" and form.is_valid():
        try:
            attachment = services.round_attachment_add(
                round_=round_, by=_staff(request), upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(
                request,
                _("Bilaget »%(name)s« er vedhæftet.") % {"name": attachment.original_name},
            )
            return redirect("rounds:attachments", round_.pk)
    context = {"form": form, "round": round_, "attachments": list(round_.attachments.all())}
    return render(request, "rounds/staff/attachments.html", context)


@secretariat_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(RoundAttachment.objects.select_related("round"), pk=pk)
    round_ = attachment.round
    name = attachment.original_name
    try:
        services.round_attachment_remove(attachment=attachment, by=_staff(request))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Bilaget »%(name)s« er fjernet.") % {"name": name})
    return redirect("rounds:attachments", round_.pk)


# --- sending and reminding -----------------------------------------------------------------------


@secretariat_required
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page showing who will be asked (GET), and the sending itself (POST)."""
    round_ = _round(pk)
    error = ""
    if request.method == "POST":
        try:
            services.round_send(round_=round_, by=_staff(request))
        except ValidationError as exc:
            error = _error_text(exc)
        else:
            messages.success(request, _("Høringen er sendt. Høringsparterne får besked på mail."))
            return _to_round(round_)
    asked = list(round_.respondents.select_related("person__user").order_by("represents", "pk"))
    rows = [(respondent, notifications.address_of(respondent)) for respondent in asked]
    context = {"round": round_, "rows": rows, "error": error}
    return render(request, "rounds/staff/send.html", context)


@secretariat_required
@require_POST
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(pk)
    try:
        reminded = services.round_remind(round_=round_, by=_staff(request))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        if reminded:
            messages.success(request, _("Påmindelsen er sendt til dem, der ikke har svaret."))
        else:
            messages.info(request, _("Alle har svaret; der er ikke sendt nogen påmindelse."))
    return _to_round(round_)


@secretariat_required
@require_http_methods(["GET", "POST"])
def deadline(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(pk)
    form = DeadlineForm(posted(request), deadline=round_.deadline)
    if request.method == "POST" and form.is_valid():
        try:
            services.round_extend_deadline(
                round_=round_, by=_staff(request), deadline=form.cleaned_data["deadline"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc, DeadlineForm.ALIASES)
            round_ = _round(pk)
        else:
            messages.success(request, _("Svarfristen er ændret."))
            return _to_round(round_)
    return render(request, "rounds/staff/deadline.html", {"form": form, "round": round_})


# --- ending a round ------------------------------------------------------------------------------


@secretariat_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(pk)
    form = WithdrawForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.round_withdraw(
                round_=round_, by=_staff(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            round_ = _round(pk)
        else:
            messages.success(request, _("Høringen er trukket tilbage."))
            return _to_round(round_)
    return render(request, "rounds/staff/withdraw.html", {"form": form, "round": round_})


@secretariat_required
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close early as approved: a confirmation page (GET) and the closing (POST). The service
    allows it only when every respondent has answered »ingen bemærkninger«."""
    round_ = _round(pk)
    error = ""
    if request.method == "POST":
        try:
            services.round_close_early(round_=round_, by=_staff(request))
        except ValidationError as exc:
            error = _error_text(exc)
            round_ = _round(pk)
        else:
            messages.success(request, _("Høringen er afsluttet og forslaget godkendt."))
            return _to_round(round_)
    return render(request, "rounds/staff/close.html", {"round": round_, "error": error})


@secretariat_required
@require_POST
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    """For a referred round still without its follow-up item: add it to the next meeting."""
    round_ = _round(pk)
    if services.round_follow_up_ensure(round_id=round_.pk):
        messages.success(
            request, _("Opfølgningspunktet er på dagsordenen for organets næste møde.")
        )
    else:
        messages.warning(
            request,
            _(
                "Der er ikke oprettet noget opfølgningspunkt: organet har intet kommende møde med "
                "en dagsorden i kladde, eller punktet er allerede oprettet og senere fjernet."
            ),
        )
    return _to_round(round_)
