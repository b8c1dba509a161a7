"""The pages of written rounds for everyone: the list, a round's page, answering, downloads.

What a reader may see is decided in `rounds.permissions` (through `rounds.selectors`); the
answer itself is `rounds.services.round_answer`. A round the reader may not see is 404, so its
existence is not confirmed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from meetings.forms import add_service_errors
from rounds import selectors, services
from rounds.extensions import render_round_sections
from rounds.forms import AnswerForm, RoundFilterForm
from rounds.models import Respondent


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The rounds the reader may see, filtered by state and body (?status=…&organ=<slug>), a
    page at a time (?side=N)."""
    choices = selectors.round_filter_choices(request.user)
    form = RoundFilterForm(
        request.GET or None, bodies=choices.bodies, states=choices.states, auto_id="filter_%s"
    )
    state, body = form.filters()
    listing = selectors.rounds_for_list(
        request.user, state=state, body=body, page=request.GET.get("side")
    )
    context = {
        "form": form,
        "listing": listing,
        "rounds": listing.page.object_list,
        "body": body,
        "is_filtered": form.is_filtered,
    }
    return render(request, "rounds/index.html", context)


def _answer_forms(detail: selectors.RoundDetail) -> list[AnswerForm]:
    return [AnswerForm(respondent=respondent) for respondent in detail.page.answerable]


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The round as the reader may see it, with the sections other apps add (the offers a
    round's proposal concerns) and, for a respondent, the answer forms."""
    round_detail = selectors.round_detail(request.user, pk)
    page = round_detail.page
    context = {
        **_detail_context(round_detail, _answer_forms(round_detail)),
        "sections": render_round_sections(request, page.round, page.access),
    }
    return render(request, "rounds/detail.html", context)


def _detail_context(detail: selectors.RoundDetail, forms: list[AnswerForm]) -> dict[str, Any]:
    page = detail.page
    return {
        "detail": detail,
        "round": page.round,
        "access": page.access,
        "answer_forms": forms,
    }


@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The answer forms (GET; also on the round's page) and an answer (POST), for each
    respondent the reader may answer for — themselves, or an absent member as a substitute."""
    round_detail = selectors.round_detail(request.user, pk)
    forms = _answer_forms(round_detail)
    if request.method == "POST":
        respondent = _posted_respondent(request, round_detail)
        form = AnswerForm(request.POST, respondent=respondent)
        if form.is_valid():
            try:
                services.round_answer(
                    respondent=respondent,
                    by=request.user,
                    answer=form.cleaned_data["answer"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                # Too late or not open: the service's message above the form; a field's rule
                # (a comment with an objection): at the field.
                add_service_errors(form, exc)
            else:
                messages.success(request, _answered_message(respondent))
                return redirect(reverse("rounds:detail", args=[pk]) + "#svar")
        forms = [form if f.respondent.pk == respondent.pk else f for f in forms]
        if all(f.respondent.pk != respondent.pk for f in forms):
            forms.append(form)  # no longer answerable (the deadline passed): keep the text
    return render(request, "rounds/answer.html", _detail_context(round_detail, forms))


def _posted_respondent(request: HttpRequest, detail: selectors.RoundDetail) -> Respondent:
    """The respondent named in the POST, among the round's; the service decides whether the
    reader may answer for them (PermissionDenied → 403)."""
    respondent_id = request.POST.get("respondent", "")
    respondent = (
        Respondent.objects.filter(round=detail.page.round, pk=respondent_id)
        .select_related("person")
        .first()
        if respondent_id.isdigit()
        else None
    )
    if respondent is None:
        raise Http404
    return respondent


def _answered_message(respondent: Respondent) -> str:
    label = respondent.get_answer_display()
    if respondent.answered_as_substitute:
        return _("Svaret »%(answer)s« er registreret for %(name)s.") % {
            "answer": label,
            "name": respondent.person.name,
        }
    return _("Dit svar »%(answer)s« er registreret. Du kan ændre det indtil fristen.") % {
        "answer": label
    }


@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """The attachment (bilag) under its original name — only to those who may see the round;
    everyone else gets 404."""
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
    # An open round's files are for its insiders: never in a shared cache.
    response["Cache-Control"] = "private, no-cache"
    return response
