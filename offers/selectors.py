"""Reads for the pages of the offer registry: the list (and its exports), an offer's page, the
sections on a municipality's page and the secretariat's early warning.

Which offers a reader sees is decided in `offers.permissions` (`offers_visible_to`,
`can_see_event`); what they see of the meeting item or written round behind an event is decided
by `meetings.visibility` and `rounds.permissions`. These functions only fetch, in a fixed number
of queries whatever the data size, and shape the answer for the templates.

The places on a date follow `offers.rules` and are computed from the capacity rows in Python,
so the list loads the whole filtered set (the registry holds hundreds of offers, not millions):
sorting by places and the summary of places per area and per operator need every row anyway.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.db import danish, danish_sort_key
from meetings.visibility import items_readable_by, meetings_visibility
from offers import rules
from offers.filters import MUNICIPALITY_PREFIX, REGION_PREFIX, OfferFilter
from offers.models import (
    Area,
    Capacity,
    EventKind,
    EventState,
    LegalBasis,
    LifecycleEvent,
    Offer,
    OfferStatus,
    TargetGroup,
)
from offers.permissions import (
    can_edit_offer,
    can_manage_offers,
    can_see_event,
    offers_visible_to,
)
from organizations.models import Municipality, Region
from rounds.permissions import rounds_visible_to

OFFERS_PER_PAGE = 50
EARLY_WARNING_MONTHS = 12
# The kinds of event the early warning looks ahead for.
EARLY_WARNING_KINDS = (
    EventKind.OPENING,
    EventKind.CLOSURE,
    EventKind.TAKEOVER,
    EventKind.OPERATOR,
)

# The capacity fields `offers.rules` reads: nothing else of a row is loaded for a list.
CAPACITY_FIELDS = ("pk", "offer_id", "kind", "legal_basis_id", "valid_from", "valid_to", "places")
OFFER_RELATED = ("operator_municipality", "operator_region", "location")


def _capacities() -> Prefetch[Any]:
    return Prefetch("capacities", queryset=Capacity.objects.only(*CAPACITY_FIELDS))


def capacity_rows(offer: Offer) -> list[rules.CapacityRow]:
    """The offer's (prefetched) capacity rows as `offers.rules` reads them."""
    # Capacity.pk is `int`, the protocol's mutable `pk: int | None`: mypy sees no match.
    return cast(list[rules.CapacityRow], list(offer.capacities.all()))


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def operator_name(offer: Offer) -> str:
    operator = offer.operator
    return operator.name if operator is not None else ""


def operator_param(offer: Offer) -> str:
    """The offer's operator as the list's `driftsherre` filter value."""
    if offer.operator_municipality is not None:
        return MUNICIPALITY_PREFIX + offer.operator_municipality.code
    if offer.operator_region is not None:
        return REGION_PREFIX + offer.operator_region.code
    return ""


# --- the list ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferRow:
    """One offer in a list, with its places on the day the list is for."""

    offer: Offer
    places: int

    @property
    def operator_name(self) -> str:
        return operator_name(self.offer)


def _rows(offers: Iterable[Offer], day: datetime.date) -> list[OfferRow]:
    return [
        OfferRow(offer=offer, places=rules.places_on(capacity_rows(offer), day)) for offer in offers
    ]


_STATUS_ORDER = {value: index for index, value in enumerate(OfferStatus.values)}
SORT_KEYS: dict[str, Callable[[OfferRow], Any]] = {
    "navn": lambda row: danish_sort_key(row.offer.name),
    "driftsherre": lambda row: danish_sort_key(row.operator_name),
    "beliggenhed": lambda row: danish_sort_key(row.offer.location.name),
    "pladser": lambda row: row.places,
    "status": lambda row: _STATUS_ORDER.get(row.offer.status, len(_STATUS_ORDER)),
}
DEFAULT_SORT = "navn"


def parse_sort(value: str | None) -> tuple[str, bool]:
    """(column, descending) from the `sortering` parameter ("pladser", "-pladser", …)."""
    value = value or ""
    descending = value.startswith("-")
    column = value.removeprefix("-")
    if column not in SORT_KEYS:
        return DEFAULT_SORT, False
    return column, descending


def sort_rows(rows: list[OfferRow], column: str, *, descending: bool) -> list[OfferRow]:
    # By name first; Python's sort is stable (also reversed), so ties stay in name order.
    rows = sorted(rows, key=lambda row: (danish_sort_key(row.offer.name), row.offer.pk))
    if column != DEFAULT_SORT or descending:
        rows.sort(key=SORT_KEYS[column], reverse=descending)
    return rows


@dataclass(frozen=True, slots=True)
class SortColumn:
    """A sortable column header: the `sortering` value its link sets, and its aria-sort."""

    param: str
    aria_sort: str


def sort_columns(column: str, descending: bool) -> dict[str, SortColumn]:
    columns = {}
    for name in SORT_KEYS:
        if name == column:
            aria = "descending" if descending else "ascending"
            param = name if descending else f"-{name}"
        else:
            aria, param = "", name
        columns[name] = SortColumn(param=param, aria_sort=aria)
    return columns


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """Places on the day for a group of offers (an area, an operator)."""

    label: str
    offers: int
    places: int
    param: str = ""


@dataclass(frozen=True)
class Summary:
    by_area: list[SummaryLine]
    by_operator: list[SummaryLine]
    offers: int
    places: int


def summarize(rows: Sequence[OfferRow]) -> Summary:
    areas: dict[str, list[int]] = {}
    operators: dict[str, tuple[str, list[int]]] = {}
    for row in rows:
        areas.setdefault(row.offer.area, []).append(row.places)
        key = operator_param(row.offer)
        operators.setdefault(key, (row.operator_name, []))[1].append(row.places)
    by_area = [
        SummaryLine(
            label=str(label), offers=len(areas[value]), places=sum(areas[value]), param=value
        )
        for value, label in Area.choices
        if value in areas
    ]
    by_operator = sorted(
        (
            SummaryLine(label=name, offers=len(places), places=sum(places), param=key)
            for key, (name, places) in operators.items()
        ),
        key=lambda line: danish_sort_key(line.label),
    )
    return Summary(
        by_area=by_area,
        by_operator=by_operator,
        offers=len(rows),
        places=sum(row.places for row in rows),
    )


def filter_choices(visible: QuerySet[Offer]) -> dict[str, list[Any]]:
    """The choices of the list's filters: only operators, municipalities, legal bases and target
    groups that occur among the offers the reader may see. Four queries."""
    municipalities = list(
        Municipality.objects.annotate(
            operates=Exists(visible.filter(operator_municipality=OuterRef("pk"))),
            hosts=Exists(visible.filter(location=OuterRef("pk"))),
        )
        .filter(Q(operates=True) | Q(hosts=True))
        .order_by(danish("name"), "pk")
        .values_list("code", "name", "operates", "hosts")
    )
    regions = list(
        Region.objects.filter(Exists(visible.filter(operator_region=OuterRef("pk"))))
        .order_by(danish("name"), "pk")
        .values_list("code", "name")
    )
    operators: list[Any] = []
    if regions:
        region_choices = [(REGION_PREFIX + code, name) for code, name in regions]
        operators.append((_("Region"), region_choices))
    municipal = [
        (MUNICIPALITY_PREFIX + code, name)
        for code, name, operates, _h in municipalities
        if operates
    ]
    if municipal:
        operators.append((_("Kommuner"), municipal))
    bases = LegalBasis.objects.filter(Exists(visible.filter(legal_bases=OuterRef("pk"))))
    groups = TargetGroup.objects.filter(Exists(visible.filter(target_groups=OuterRef("pk"))))
    return {
        "operators": operators,
        "locations": [(code, name) for code, name, _o, hosts in municipalities if hosts],
        "legal_bases": [(str(basis.pk), basis.label) for basis in bases],
        "target_groups": [(str(group.pk), group.name) for group in groups],
    }


@dataclass(frozen=True)
class FilteredOffers:
    filterset: OfferFilter
    rows: list[OfferRow]
    sort: str
    descending: bool
    day: datetime.date

    @property
    def is_filtered(self) -> bool:
        data = self.filterset.data
        return any(data.get(name) for name in self.filterset.filters)


def filtered_offers(
    user: Any, data: QueryDict, *, today: datetime.date | None = None
) -> FilteredOffers:
    """The offers `user` may see, filtered and sorted as `data` asks, with their places today:
    six queries (the filters' choices, the offers, their capacity rows)."""
    day = _today(today)
    visible = offers_visible_to(user)
    filterset = OfferFilter(data, queryset=visible, **filter_choices(visible))
    offers = (
        filterset.qs.select_related(*OFFER_RELATED)
        .prefetch_related(_capacities())
        .defer("description")
    )
    column, descending = parse_sort(data.get("sortering"))
    rows = sort_rows(_rows(offers, day), column, descending=descending)
    return FilteredOffers(
        filterset=filterset, rows=rows, sort=column, descending=descending, day=day
    )


@dataclass(frozen=True)
class OfferList:
    filtered: FilteredOffers
    page: Page[OfferRow]
    page_range: list[int | str]
    summary: Summary
    columns: dict[str, SortColumn]
    can_manage: bool

    @property
    def filterset(self) -> OfferFilter:
        return self.filtered.filterset

    @property
    def is_filtered(self) -> bool:
        return self.filtered.is_filtered


def offer_list(user: Any, data: QueryDict, *, today: datetime.date | None = None) -> OfferList:
    """The list page: the filtered offers a page at a time, with the summary of places per area
    and per operator for the whole filtered set. Eight queries whatever the size."""
    filtered = filtered_offers(user, data, today=today)
    paginator = Paginator(filtered.rows, OFFERS_PER_PAGE)
    page = paginator.get_page(data.get("side"))
    prefetch_related_objects(
        [row.offer for row in page.object_list], "legal_bases", "target_groups"
    )
    return OfferList(
        filtered=filtered,
        page=page,
        page_range=list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        summary=summarize(filtered.rows),
        columns=sort_columns(filtered.sort, filtered.descending),
        can_manage=can_manage_offers(user),
    )


def offer_export(
    user: Any, data: QueryDict, *, today: datetime.date | None = None
) -> FilteredOffers:
    """Every row of the filtered list (not a page), with legal bases and target groups, for the
    CSV and XLSX exports. Eight queries whatever the size."""
    filtered = filtered_offers(user, data, today=today)
    prefetch_related_objects([row.offer for row in filtered.rows], "legal_bases", "target_groups")
    return filtered


# --- decisions behind events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionLink:
    """What decided an event, as the reader may see it. A closed agenda item the reader may not
    read is "Lukket punkt" (its title never leaves this module); a meeting or round the reader
    may not see at all is named only by its kind, without a link."""

    kind: str  # "item" or "round"
    label: str
    context: str
    url: str
    is_redacted: bool


def decision_links(user: Any, events: Sequence[LifecycleEvent]) -> dict[int, DecisionLink]:
    """The decision behind each event, by event id. Needs `decided_by_item__meeting__body` and
    `decided_by_round__body` loaded. Whatever the number of events: for the public two queries
    (the readable items, the visible rounds); a logged-in reader adds their memberships (on the
    meetings' dates, and today) and their person."""
    items = [e.decided_by_item for e in events if e.decided_by_item is not None]
    accesses = meetings_visibility(user, [item.meeting for item in items]) if items else {}
    agenda_items = [item.pk for item in items if accesses[item.meeting_id].can_see_agenda]
    readable: set[int] = set()
    if agenda_items:
        readable = set(
            items_readable_by(user).filter(pk__in=agenda_items).values_list("pk", flat=True)
        )
    round_ids = {e.decided_by_round_id for e in events if e.decided_by_round_id is not None}
    visible_rounds: set[int] = set()
    if round_ids:
        visible_rounds = set(
            rounds_visible_to(user).filter(pk__in=round_ids).values_list("pk", flat=True)
        )
    links: dict[int, DecisionLink] = {}
    for event in events:
        item = event.decided_by_item
        round_ = event.decided_by_round
        if item is not None:
            meeting = item.meeting
            if not accesses[meeting.pk].can_see_agenda:
                links[event.pk] = DecisionLink(
                    kind="item",
                    label=_("Dagsordenspunkt på et møde, hvis dagsorden ikke er offentliggjort"),
                    context="",
                    url="",
                    is_redacted=True,
                )
                continue
            redacted = item.pk not in readable
            title = _("Lukket punkt") if redacted else item.title
            links[event.pk] = DecisionLink(
                kind="item",
                label=f"{item.number}. {title}" if item.number else title,
                context=_("%(body)s, møde %(date)s")
                % {
                    "body": meeting.body.name,
                    "date": date_format(meeting.local_date, "j. F Y"),
                },
                url=reverse("meetings:item", args=[meeting.pk, item.pk]),
                is_redacted=redacted,
            )
        elif round_ is not None:
            if round_.pk in visible_rounds:
                links[event.pk] = DecisionLink(
                    kind="round",
                    label=round_.title,
                    context=_("Skriftlig høring i %(body)s") % {"body": round_.body.name},
                    url=reverse("rounds:detail", args=[round_.pk]),
                    is_redacted=False,
                )
            else:
                links[event.pk] = DecisionLink(
                    kind="round",
                    label=_("Skriftlig høring, der ikke er offentliggjort"),
                    context="",
                    url="",
                    is_redacted=True,
                )
    return links


# --- events --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventView:
    """A lifecycle event as a page shows it. Built from the event and its decision link only: it
    holds no reference to the agenda item or round, so a template cannot reach a closed item."""

    pk: int
    offer_id: int
    offer_name: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    effective_date: datetime.date
    end_date: datetime.date | None
    announced_on: datetime.date
    notice_due: datetime.date | None
    announced_late: bool
    places: int | None
    legal_basis: str
    to_legal_basis: str
    new_operator: str
    justification: str
    economic_consequences: str
    decision: DecisionLink | None

    @property
    def offer_url(self) -> str:
        return reverse("offers:detail", args=[self.offer_id]) + f"#haendelse-{self.pk}"


EVENT_RELATED = (
    "legal_basis",
    "to_legal_basis",
    "new_operator_municipality",
    "new_operator_region",
    "decided_by_item__meeting__body",
    "decided_by_round__body",
)
# Long texts of the decision behind an event, never shown here.
EVENT_DEFERRED = (
    "decided_by_item__case_text",
    "decided_by_item__recommendation",
    "decided_by_item__minutes",
    "decided_by_item__presenter",
    "decided_by_round__proposal",
    "decided_by_round__justification",
    "decided_by_round__proposed_decision",
)


def _events(events: QuerySet[LifecycleEvent]) -> QuerySet[LifecycleEvent]:
    return events.select_related(*EVENT_RELATED).defer(*EVENT_DEFERRED)


def event_views(user: Any, events: Sequence[LifecycleEvent]) -> list[EventView]:
    links = decision_links(user, events)
    views = []
    for event in events:
        new_operator = event.new_operator_municipality or event.new_operator_region
        views.append(
            EventView(
                pk=event.pk,
                offer_id=event.offer_id,
                offer_name=event.offer.name,
                kind=event.kind,
                kind_label=event.get_kind_display(),
                state=event.state,
                state_label=event.get_state_display(),
                effective_date=event.effective_date,
                end_date=event.end_date,
                announced_on=event.announced_on,
                notice_due=event.notice_due,
                announced_late=event.announced_late,
                places=event.places,
                legal_basis=event.legal_basis.label if event.legal_basis else "",
                to_legal_basis=event.to_legal_basis.label if event.to_legal_basis else "",
                new_operator=new_operator.name if new_operator is not None else "",
                justification=event.justification,
                economic_consequences=event.economic_consequences,
                decision=links.get(event.pk),
            )
        )
    return views


# --- one offer -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CapacityPoint:
    """The places holding from `day` (until the next point)."""

    day: datetime.date
    places: int
    is_future: bool


@dataclass(frozen=True, slots=True)
class BasisPlaces:
    label: str
    places: int


@dataclass(frozen=True)
class OfferPage:
    offer: Offer
    today: datetime.date
    places: int
    places_by_basis: list[BasisPlaces]
    series: list[CapacityPoint]
    events: list[EventView]
    can_edit: bool
    legal_bases: list[LegalBasis] = field(default_factory=list)
    target_groups: list[TargetGroup] = field(default_factory=list)

    @property
    def operator_param(self) -> str:
        return operator_param(self.offer)


def get_visible_offer(user: Any, pk: int) -> Offer:
    """The offer with what its page needs; 404 if `user` may not see it, so its existence is
    not confirmed."""
    offer = (
        offers_visible_to(user)
        .select_related(*OFFER_RELATED)
        .prefetch_related(
            "legal_bases",
            "target_groups",
            "agreement_periods",
            Prefetch("capacities", queryset=Capacity.objects.select_related("legal_basis")),
        )
        .filter(pk=pk)
        .first()
    )
    if offer is None:
        raise Http404
    return offer


def offer_page(user: Any, pk: int, *, today: datetime.date | None = None) -> OfferPage:
    """Everything an offer's page shows, as `user` may see it: the offer, its places today (per
    legal basis when they are split), the capacity over time, and the events the reader may
    see with the decision behind each. Eight queries for the public whatever the size (see
    `decision_links` for what a logged-in reader adds)."""
    day = _today(today)
    offer = get_visible_offer(user, pk)
    capacities = capacity_rows(offer)
    split = rules.places_by_basis_on(capacities, day)
    labels = {
        c.legal_basis_id: c.legal_basis.label for c in offer.capacities.all() if c.legal_basis
    }
    by_basis = (
        []
        if set(split) <= {None}
        else [
            BasisPlaces(
                label=labels.get(basis_id, "") if basis_id else _("Tilbuddet som helhed"), places=n
            )
            for basis_id, n in split.items()
        ]
    )
    events = list(_events(offer.events.all()).order_by("-effective_date", "-pk"))
    for event in events:
        event.offer = offer  # can_see_event reads it
    shown = [event for event in events if can_see_event(user, event)]
    return OfferPage(
        offer=offer,
        today=day,
        places=rules.places_on(capacities, day),
        places_by_basis=sorted(by_basis, key=lambda b: danish_sort_key(b.label)),
        series=[
            CapacityPoint(day=d, places=n, is_future=d > day)
            for d, n in rules.capacity_series(capacities)
        ],
        events=event_views(user, shown),
        can_edit=can_edit_offer(user, offer),
        legal_bases=list(offer.legal_bases.all()),
        target_groups=list(offer.target_groups.all()),
    )


# --- the sections on a municipality's page ------------------------------------------------------


def municipality_offers_context(request: HttpRequest, municipality: Municipality) -> dict[str, Any]:
    """ "Tilbud vi driver" and "Kapacitet pr. område": the offers the municipality operates that
    the reader may see, with their places today, and the sum per area. Two queries."""
    day = timezone.localdate()
    offers = (
        offers_visible_to(request.user)
        .filter(operator_municipality=municipality)
        .select_related(*OFFER_RELATED)
        .prefetch_related(_capacities())
        .defer("description")
        .order_by(danish("name"), "pk")
    )
    rows = _rows(offers, day)
    summary = summarize(rows)
    return {
        "municipality": municipality,
        "rows": rows,
        "by_area": summary.by_area,
        "places": summary.places,
        "operator_param": MUNICIPALITY_PREFIX + municipality.code,
        "today": day,
    }


# --- early warning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlyWarning:
    today: datetime.date
    until: datetime.date
    upcoming: list[EventView]
    late: list[EventView]


def early_warning(user: Any, *, today: datetime.date | None = None) -> EarlyWarning:
    """For the secretariat: openings, closures, takeovers and changes of operator, proposed or
    confirmed, taking effect in the coming twelve months; and every event announced later than
    its notice period allowed. Four queries at most."""
    day = _today(today)
    until = rules.add_months(day, EARLY_WARNING_MONTHS)
    events = _events(
        LifecycleEvent.objects.filter(offer__in=offers_visible_to(user))
    ).select_related("offer")
    upcoming = list(
        events.filter(
            kind__in=EARLY_WARNING_KINDS,
            state__in=(EventState.PROPOSED, EventState.CONFIRMED),
            effective_date__gte=day,
            effective_date__lte=until,
        ).order_by("effective_date", "pk")
    )
    late = list(events.filter(announced_late=True).order_by("-effective_date", "-pk"))
    views = {view.pk: view for view in event_views(user, [*upcoming, *late])}
    return EarlyWarning(
        today=day,
        until=until,
        upcoming=[views[event.pk] for event in upcoming],
        late=[views[event.pk] for event in late],
    )
