"""The annual wheel (årshjul): a year, month by month, with the meetings of all bodies the visitor
may see and the recurring milestones of the cycle (the November and January conferences, DASSOS
in March and August, the steering agreement decided in October, the councils' approval and the
submission). The secretariat edits the milestones here.

Meetings come from `meetings_visible_to`, so a draft or a non-public body's meeting is shown only
to those who may see it. The page runs a fixed number of queries whatever the year holds.
"""

from __future__ import annotations

import calendar
import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.gates import permission_required
from meetings.models import Milestone
from meetings.permissions import can_edit_meetings
from meetings.visibility import meetings_visible_to
from organizations.forms import DkfdsMixin
from organizations.models import Body

__all__ = [
    "MilestoneForm",
    "milestone_create",
    "milestone_delete",
    "milestone_edit",
    "milestone_remove",
    "milestone_save",
    "wheel",
    "wheel_year",
]


FIRST_YEAR = 2000
LAST_YEAR = 2100
# Milestones recur every year, so 29 February is allowed (it exists in leap years).
_LEAP_YEAR = 2024


def _month_name(month: int) -> str:
    return capfirst(str(MONTHS[month]))


# --- the year view -----------------------------------------------------------------------------


def _year_context(user: Any, year: int) -> dict[str, Any]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=tz)
    meetings = list(
        meetings_visible_to(user)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("body")
        .order_by("starts_at", "pk")
    )
    # A milestone of the whole month comes before the dated ones, on every database.
    milestones = sorted(
        Milestone.objects.select_related("body"),
        key=lambda m: (m.month, m.day or 0, m.order, m.title),
    )
    months: list[dict[str, Any]] = [
        {"number": month, "name": _month_name(month), "meetings": [], "milestones": []}
        for month in range(1, 13)
    ]
    for meeting in meetings:
        months[timezone.localtime(meeting.starts_at).month - 1]["meetings"].append(meeting)
    for milestone in milestones:
        months[milestone.month - 1]["milestones"].append(milestone)
    return {
        "year": year,
        "months": months,
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < LAST_YEAR else None,
        "this_year": timezone.localdate().year,
        "can_edit": can_edit_meetings(user),
    }


@require_GET
def wheel(request: HttpRequest) -> HttpResponse:
    """This year's wheel."""
    return render(
        request, "meetings/wheel/year.html", _year_context(request.user, timezone.localdate().year)
    )


@require_GET
def wheel_year(request: HttpRequest, year: int) -> HttpResponse:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    return render(request, "meetings/wheel/year.html", _year_context(request.user, year))


# --- milestones: form and writes ----------------------------------------------------------------


class MilestoneForm(DkfdsMixin, forms.ModelForm):
    """A milestone of the wheel. The day must exist in the month (any year: 29 February is
    allowed); without a day the milestone belongs to the whole month."""

    month = forms.TypedChoiceField(
        label=_lazy("Måned"),
        coerce=int,
        choices=[(month, capfirst(str(name))) for month, name in MONTHS.items()],
        error_messages={
            "required": _lazy("Vælg en måned."),
            "invalid_choice": _lazy("Vælg en måned fra januar til december."),
        },
    )
    day = forms.IntegerField(
        label=_lazy("Dag"),
        required=False,
        min_value=1,
        max_value=31,
        help_text=_lazy("Tom, hvis milepælen gælder hele måneden."),
        error_messages={
            "invalid": _lazy("Skriv dagen som et tal, fx 15."),
            "min_value": _lazy("Dagen skal være mellem 1 og 31."),
            "max_value": _lazy("Dagen skal være mellem 1 og 31."),
        },
    )
    body = forms.ModelChoiceField(
        label=_lazy("Organ"),
        queryset=Body.objects.order_by("order", "name"),
        required=False,
        empty_label=_lazy("Intet organ (fælles milepæl)"),
    )
    order = forms.IntegerField(
        label=_lazy("Rækkefølge"),
        min_value=0,
        initial=0,
        help_text=_lazy("Milepæle samme dag vises efter rækkefølgen."),
        error_messages={"min_value": _lazy("Rækkefølgen kan ikke være negativ.")},
    )

    class Meta:
        model = Milestone
        fields = ["title", "month", "day", "body", "description", "order"]
        labels = {"title": _lazy("Titel"), "description": _lazy("Beskrivelse")}
        error_messages = {"title": {"required": _lazy("Skriv milepælens titel.")}}
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        month, day = cleaned.get("month"), cleaned.get("day")
        if month and day:
            days = calendar.monthrange(_LEAP_YEAR, month)[1]
            if day > days:
                self.add_error(
                    "day",
                    _("%(month)s har kun %(days)d dage.")
                    % {"month": _month_name(month), "days": days},
                )
        return cleaned


def _require_editor(user: Any) -> None:
    if not can_edit_meetings(user):
        raise PermissionDenied(_("Kun sekretariatet kan redigere årshjulet."))


@transaction.atomic
def milestone_save(*, milestone: Milestone, by: Any) -> Milestone:
    """Create or change a milestone of the wheel (the secretariat only)."""
    _require_editor(by)
    milestone.title = milestone.title.strip()
    milestone.description = milestone.description.strip()
    milestone.full_clean()
    milestone.save()
    return milestone


@transaction.atomic
def milestone_remove(*, milestone: Milestone, by: Any) -> None:
    """Remove a milestone from the wheel (the secretariat only)."""
    _require_editor(by)
    milestone.delete()


# --- milestones: the secretariat's pages --------------------------------------------------------


secretariat_required = permission_required(can_edit_meetings)


def _month_url(month: int) -> str:
    return reverse("meetings:wheel") + f"#maaned-{month}"


def _save_form(request: HttpRequest, form: MilestoneForm, done: str) -> HttpResponse | None:
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        milestone = milestone_save(milestone=form.save(commit=False), by=request.user)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    messages.success(request, done % {"title": milestone.title})
    return redirect(_month_url(milestone.month))


@secretariat_required
@require_http_methods(["GET", "POST"])
def milestone_create(request: HttpRequest) -> HttpResponse:
    initial = {"month": request.GET.get("maaned")} if request.GET.get("maaned") else None
    form = MilestoneForm(request.POST or None, initial=initial)
    done = _save_form(request, form, _("Milepælen “%(title)s” er tilføjet årshjulet."))
    if done is not None:
        return done
    return render(request, "meetings/wheel/milestone_form.html", {"form": form, "milestone": None})


@secretariat_required
@require_http_methods(["GET", "POST"])
def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(Milestone, pk=pk)
    form = MilestoneForm(request.POST or None, instance=milestone)
    done = _save_form(request, form, _("Milepælen “%(title)s” er gemt."))
    if done is not None:
        return done
    # A failed form has changed the instance; the page names what is stored.
    milestone.refresh_from_db()
    context = {"form": form, "milestone": milestone}
    return render(request, "meetings/wheel/milestone_form.html", context)


@secretariat_required
@require_http_methods(["GET", "POST"])
def milestone_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST removes the milestone."""
    milestone = get_object_or_404(Milestone.objects.select_related("body"), pk=pk)
    if request.method == "POST":
        month, title = milestone.month, milestone.title
        milestone_remove(milestone=milestone, by=request.user)
        messages.success(
            request, _("Milepælen “%(title)s” er fjernet fra årshjulet.") % {"title": title}
        )
        return redirect(_month_url(month))
    return render(request, "meetings/wheel/milestone_delete.html", {"milestone": milestone})
