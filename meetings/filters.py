"""Filters of the meetings list: body (organ), year (år) and state (status), as plain GET
parameters so a filtered list can be bookmarked and linked to (a body's page links to
`?organ=<slug>`). The choices are limited to what the reader may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting, MeetingState
from organizations.models import Body

# Outside the secretariat a meeting whose minutes are being written still reads as "agenda
# published": drafts of the minutes are nobody else's business.
PUBLIC_STATES: dict[str, tuple[str, ...]] = {
    MeetingState.AGENDA_PUBLISHED: (MeetingState.AGENDA_PUBLISHED, MeetingState.MINUTES_DRAFT),
    MeetingState.MINUTES_PUBLISHED: (MeetingState.MINUTES_PUBLISHED,),
}


class MeetingFilter(django_filters.FilterSet):
    organ = django_filters.ModelChoiceFilter(
        field_name="body",
        to_field_name="slug",
        queryset=Body.objects.none(),
        label=_("Organ"),
        empty_label=_("Alle organer"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    aar = django_filters.ChoiceFilter(
        method="filter_year",
        label=_("År"),
        empty_label=_("Alle år"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    status = django_filters.ChoiceFilter(
        method="filter_state",
        label=_("Status"),
        empty_label=_("Alle"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    class Meta:
        model = Meeting
        fields: list[str] = []

    def __init__(
        self,
        data: Any,
        queryset: QuerySet[Meeting],
        *,
        bodies: QuerySet[Body],
        years: Iterable[int],
        secretariat: bool,
    ) -> None:
        super().__init__(data, queryset=queryset)
        self.secretariat = secretariat
        self.filters["organ"].queryset = bodies
        self.filters["aar"].extra["choices"] = [(str(year), str(year)) for year in years]
        self.filters["status"].extra["choices"] = (
            MeetingState.choices
            if secretariat
            else [(value, MeetingState(value).label) for value in PUBLIC_STATES]
        )

    def filter_year(self, queryset: QuerySet[Meeting], name: str, value: str) -> QuerySet[Meeting]:
        return queryset.filter(starts_at__year=int(value))

    def filter_state(self, queryset: QuerySet[Meeting], name: str, value: str) -> QuerySet[Meeting]:
        if self.secretariat:
            return queryset.filter(state=value)
        return queryset.filter(state__in=PUBLIC_STATES.get(value, ()))
