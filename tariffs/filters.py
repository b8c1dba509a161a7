"""Filters of the tariff overview (takstoversigt) and its exports, as plain GET parameters so a
filtered overview can be bookmarked and linked to.

The filters work on tariff lines, so "per døgn" keeps only the lines of that unit. The operator
(driftsherre) values are the offer list's ("k-<kommunekode>", "r-<regionskode>"), so a link
from one list works in the other. The choices of operator, legal basis and target group are
built by the selector from what the reader may see, so the form costs no queries of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from offers.filters import MUNICIPALITY_PREFIX, REGION_PREFIX
from offers.models import Area, Offer
from tariffs.models import TariffLine, Unit

Choices = Sequence[tuple[str, Any]]


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select"})


class TariffFilter(django_filters.FilterSet):
    soeg = django_filters.CharFilter(
        method="filter_text",
        label=_("Søg"),
        help_text=_("Tilbuddets navn, by eller Tilbudsportalen-id, eller taksternes betegnelse."),
        widget=forms.TextInput(attrs={"class": "form-input", "type": "search"}),
    )
    driftsherre = django_filters.ChoiceFilter(
        method="filter_operator",
        label=_("Driftsherre"),
        empty_label=_("Alle driftsherrer"),
        widget=_select(),
    )
    omraade = django_filters.ChoiceFilter(
        field_name="sheet__offer__area",
        choices=Area.choices,
        label=_("Område"),
        empty_label=_("Alle områder"),
        widget=_select(),
    )
    lovgrundlag = django_filters.ChoiceFilter(
        method="filter_legal_basis",
        label=_("Lovgrundlag"),
        empty_label=_("Alle paragraffer"),
        widget=_select(),
    )
    maalgruppe = django_filters.ChoiceFilter(
        method="filter_target_group",
        label=_("Målgruppe"),
        empty_label=_("Alle målgrupper"),
        widget=_select(),
    )
    enhed = django_filters.ChoiceFilter(
        field_name="unit",
        choices=Unit.choices,
        label=_("Enhed"),
        empty_label=_("Alle enheder"),
        widget=_select(),
    )

    class Meta:
        model = TariffLine
        fields: list[str] = []

    def __init__(
        self,
        data: Any,
        queryset: QuerySet[TariffLine],
        *,
        operators: Choices,
        legal_bases: Choices,
        target_groups: Choices,
    ) -> None:
        super().__init__(data, queryset=queryset)
        self.filters["driftsherre"].extra["choices"] = operators
        self.filters["lovgrundlag"].extra["choices"] = legal_bases
        self.filters["maalgruppe"].extra["choices"] = target_groups

    def filter_text(
        self, queryset: QuerySet[TariffLine], name: str, value: str
    ) -> QuerySet[TariffLine]:
        for word in value.split():
            queryset = queryset.filter(
                Q(sheet__offer__name__icontains=word)
                | Q(sheet__offer__city__icontains=word)
                | Q(sheet__offer__tilbudsportalen_id__icontains=word)
                | Q(label__icontains=word)
            )
        return queryset

    def filter_operator(
        self, queryset: QuerySet[TariffLine], name: str, value: str
    ) -> QuerySet[TariffLine]:
        if value.startswith(MUNICIPALITY_PREFIX):
            code = value.removeprefix(MUNICIPALITY_PREFIX)
            return queryset.filter(sheet__offer__operator_municipality__code=code)
        if value.startswith(REGION_PREFIX):
            code = value.removeprefix(REGION_PREFIX)
            return queryset.filter(sheet__offer__operator_region__code=code)
        return queryset.none()

    # Through a subquery of offers, so an offer with several matches gives each line once.
    def filter_legal_basis(
        self, queryset: QuerySet[TariffLine], name: str, value: str
    ) -> QuerySet[TariffLine]:
        return queryset.filter(sheet__offer__in=Offer.objects.filter(legal_bases=int(value)))

    def filter_target_group(
        self, queryset: QuerySet[TariffLine], name: str, value: str
    ) -> QuerySet[TariffLine]:
        return queryset.filter(sheet__offer__in=Offer.objects.filter(target_groups=int(value)))
