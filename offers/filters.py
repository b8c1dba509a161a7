"""Filters of the offer list (and its exports), as plain GET parameters so a filtered list can
be bookmarked and linked to (a municipality's page links to `?driftsherre=k-<code>`).

The operator (driftsherre) is a municipality or the region: one select whose values are
"k-<kommunekode>" and "r-<regionskode>". The choices are built by the selector from what the
reader may see, so the form costs no queries of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from offers.models import Area, Offer, OfferStatus

MUNICIPALITY_PREFIX = "k-"
REGION_PREFIX = "r-"
COVERED_YES = "ja"
COVERED_NO = "nej"

Choices = Sequence[tuple[str, str]]


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select"})


class OfferFilter(django_filters.FilterSet):
    soeg = django_filters.CharFilter(
        method="filter_text",
        label=_("Søg"),
        help_text=_("Navn, adresse, Tilbudsportalen-id eller beskrivelse."),
        widget=forms.TextInput(attrs={"class": "form-input", "type": "search"}),
    )
    driftsherre = django_filters.ChoiceFilter(
        method="filter_operator",
        label=_("Driftsherre"),
        empty_label=_("Alle driftsherrer"),
        widget=_select(),
    )
    beliggenhed = django_filters.ChoiceFilter(
        field_name="location__code",
        label=_("Beliggenhedskommune"),
        empty_label=_("Alle kommuner"),
        widget=_select(),
    )
    omraade = django_filters.ChoiceFilter(
        field_name="area",
        choices=Area.choices,
        label=_("Område"),
        empty_label=_("Alle områder"),
        widget=_select(),
    )
    lovgrundlag = django_filters.ChoiceFilter(
        field_name="legal_bases",
        label=_("Lovgrundlag"),
        empty_label=_("Alle paragraffer"),
        widget=_select(),
    )
    maalgruppe = django_filters.ChoiceFilter(
        field_name="target_groups",
        label=_("Målgruppe"),
        empty_label=_("Alle målgrupper"),
        widget=_select(),
    )
    status = django_filters.ChoiceFilter(
        field_name="status",
        choices=OfferStatus.choices,
        label=_("Status"),
        empty_label=_("Alle"),
        widget=_select(),
    )
    omfattet = django_filters.ChoiceFilter(
        method="filter_covered",
        choices=[(COVERED_YES, _("Ja")), (COVERED_NO, _("Nej"))],
        label=_("Omfattet af styringsaftalen"),
        empty_label=_("Alle"),
        widget=_select(),
    )

    class Meta:
        model = Offer
        fields: list[str] = []

    def __init__(
        self,
        data: Any,
        queryset: QuerySet[Offer],
        *,
        operators: Choices,
        locations: Choices,
        legal_bases: Choices,
        target_groups: Choices,
    ) -> None:
        super().__init__(data, queryset=queryset)
        self.filters["driftsherre"].extra["choices"] = operators
        self.filters["beliggenhed"].extra["choices"] = locations
        self.filters["lovgrundlag"].extra["choices"] = legal_bases
        self.filters["maalgruppe"].extra["choices"] = target_groups

    def filter_text(self, queryset: QuerySet[Offer], name: str, value: str) -> QuerySet[Offer]:
        for word in value.split():
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(address__icontains=word)
                | Q(city__icontains=word)
                | Q(postal_code=word)
                | Q(tilbudsportalen_id__icontains=word)
                | Q(description__icontains=word)
            )
        return queryset

    def filter_operator(self, queryset: QuerySet[Offer], name: str, value: str) -> QuerySet[Offer]:
        if value.startswith(MUNICIPALITY_PREFIX):
            return queryset.filter(
                operator_municipality__code=value.removeprefix(MUNICIPALITY_PREFIX)
            )
        if value.startswith(REGION_PREFIX):
            return queryset.filter(operator_region__code=value.removeprefix(REGION_PREFIX))
        return queryset.none()

    def filter_covered(self, queryset: QuerySet[Offer], name: str, value: str) -> QuerySet[Offer]:
        return queryset.filter(is_covered=value == COVERED_YES)
