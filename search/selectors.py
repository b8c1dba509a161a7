"""Searching the record: permissions first, then matching, facets, ranking and snippets.

`search()` restricts the documents to those whose source the user may see — through the same
visibility functions every other channel uses — before anything is matched, counted or
highlighted, so a document the user may not read is never a hit, a facet count or a snippet.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import OrderBy
from django.db.models.functions import Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from meetings.models import Attachment
from meetings.visibility import items_readable_by, meetings_visible_to, minutes_readable_by
from offers.permissions import offers_visible_to
from organizations.permissions import visible_bodies
from rounds.permissions import rounds_visible_to
from search.indexing import HIGHLIGHT_START, HIGHLIGHT_STOP
from search.models import DocumentKind, SearchDocument

__all__ = ["PAGE_SIZE", "FacetValue", "Hit", "SearchResults", "search", "visible_documents"]

PAGE_SIZE = 20
MAX_TERMS = 8
SORTS = ("relevance", "date")
# Title above summary above text: SearchRank's weights are given as [D, C, B, A].
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
TRIGRAM_THRESHOLD = 0.3
SNIPPET_CHARS = 240
_TERM = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    kind_label: str
    object_id: int
    title: str
    url: str
    date: datetime.date | None
    body_name: str
    municipality_name: str
    snippet: SafeString


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    page: int
    num_pages: int
    sort: str
    fuzzy: bool = False
    filters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def start_index(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def end_index(self) -> int:
        return min(self.page * PAGE_SIZE, self.total)


def visible_documents(user: Any) -> QuerySet[SearchDocument]:
    """The documents whose source `user` may see: the apps' own visibility functions, used as
    subqueries. Attachments follow `meetings.visibility.attachment_visible`: readable items."""
    readable_items = items_readable_by(user).values("pk")
    kinds = {
        DocumentKind.ITEM: readable_items,
        DocumentKind.MINUTES: minutes_readable_by(user).values("pk"),
        DocumentKind.ATTACHMENT: Attachment.objects.filter(item__in=readable_items).values("pk"),
        DocumentKind.MEETING: meetings_visible_to(user).values("pk"),
        DocumentKind.ROUND: rounds_visible_to(user).values("pk"),
        DocumentKind.OFFER: offers_visible_to(user).values("pk"),
        DocumentKind.BODY: visible_bodies(user).values("pk"),
    }
    allowed = Q(pk__in=[])
    for kind, ids in kinds.items():
        allowed |= Q(kind=kind, object_id__in=ids)
    return SearchDocument.objects.filter(allowed)


def _terms(query: str) -> list[str]:
    return list(dict.fromkeys(term.casefold() for term in _TERM.findall(query)))[:MAX_TERMS]


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _tsquery(terms: list[str]) -> SearchQuery:
    # Each term as a prefix ("kapacitet:*" finds "kapacitetsjusteringer"); terms are \w+ only,
    # so nothing of the user's input reaches the tsquery syntax.
    raw = " & ".join(f"{term}:*" for term in terms)
    return SearchQuery(raw, search_type="raw", config="danish")


def _sqlite_match(terms: list[str]) -> Q:
    match = Q()
    for term in terms:
        match &= Q(title__icontains=term) | Q(summary__icontains=term) | Q(text__icontains=term)
    return match


def _filters(
    kind: str, body: int | None, year: int | None, municipality: int | None
) -> dict[str, Q]:
    filters: dict[str, Q] = {}
    if kind:
        filters["kind"] = Q(kind=kind)
    if body is not None:
        filters["body"] = Q(body_id=body)
    if year is not None:
        filters["year"] = Q(year=year)
    if municipality is not None:
        filters["municipality"] = Q(municipality_id=municipality)
    return filters


def _apply(
    queryset: QuerySet[SearchDocument], filters: dict[str, Q], skip: str = ""
) -> QuerySet[SearchDocument]:
    for name, condition in filters.items():
        if name != skip:
            queryset = queryset.filter(condition)
    return queryset


def _facets_unfiltered(
    matched: QuerySet[SearchDocument],
) -> tuple[int, dict[str, list[FacetValue]]]:
    """The total and every facet's counts in one grouped query, when no facet is chosen (the
    common case: a search as typed); each matching document is read once instead of five
    times."""
    labels = dict(DocumentKind.choices)
    groups = list(
        matched.values("kind", "body", "body__name", "year", "municipality", "municipality__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = sum(g["n"] for g in groups)
    kinds: dict[str, int] = {}
    bodies: dict[tuple[int, str], int] = {}
    years: dict[int, int] = {}
    municipalities: dict[tuple[int, str], int] = {}
    for g in groups:
        kinds[g["kind"]] = kinds.get(g["kind"], 0) + g["n"]
        if g["body"] is not None:
            key = (g["body"], g["body__name"])
            bodies[key] = bodies.get(key, 0) + g["n"]
        if g["year"] is not None:
            years[g["year"]] = years.get(g["year"], 0) + g["n"]
        if g["municipality"] is not None:
            key = (g["municipality"], g["municipality__name"])
            municipalities[key] = municipalities.get(key, 0) + g["n"]
    order = list(labels)
    facets = {
        "kind": [
            FacetValue(k, str(labels.get(k, k)), n, False)
            for k, n in sorted(
                kinds.items(), key=lambda i: order.index(i[0]) if i[0] in order else 99
            )
        ],
        "body": [
            FacetValue(str(pk), name, n, False)
            for (pk, name), n in sorted(bodies.items(), key=lambda i: (-i[1], i[0][1]))
        ],
        "year": [
            FacetValue(str(y), str(y), n, False)
            for y, n in sorted(years.items(), key=lambda i: -i[0])
        ],
        "municipality": [
            FacetValue(str(pk), name, n, False)
            for (pk, name), n in sorted(municipalities.items(), key=lambda i: (-i[1], i[0][1]))
        ],
    }
    return total, facets


def _facets(
    matched: QuerySet[SearchDocument], filters: dict[str, Q], selected: Mapping[str, Any]
) -> dict[str, list[FacetValue]]:
    """Counts per facet value over the permitted, matching documents, each facet narrowed by
    the other facets' choices (so a choice can be widened again). One query per facet."""
    labels = dict(DocumentKind.choices)
    facets: dict[str, list[FacetValue]] = {}
    kind_rows = _apply(matched, filters, "kind").values("kind").annotate(n=Count("pk")).order_by()
    facets["kind"] = sorted(
        (
            FacetValue(
                str(r["kind"]),
                str(labels.get(r["kind"], r["kind"])),
                r["n"],
                r["kind"] == selected.get("kind"),
            )
            for r in kind_rows
        ),
        key=lambda f: list(labels).index(f.value) if f.value in labels else 99,
    )
    body_rows = (
        _apply(matched, filters, "body")
        .filter(body__isnull=False)
        .values("body", "body__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "body__name")
    )
    facets["body"] = [
        FacetValue(str(r["body"]), r["body__name"], r["n"], r["body"] == selected.get("body"))
        for r in body_rows
    ]
    year_rows = (
        _apply(matched, filters, "year")
        .filter(year__isnull=False)
        .values("year")
        .annotate(n=Count("pk"))
        .order_by("-year")
    )
    facets["year"] = [
        FacetValue(str(r["year"]), str(r["year"]), r["n"], r["year"] == selected.get("year"))
        for r in year_rows
    ]
    municipality_rows = (
        _apply(matched, filters, "municipality")
        .filter(municipality__isnull=False)
        .values("municipality", "municipality__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "municipality__name")
    )
    facets["municipality"] = [
        FacetValue(
            str(r["municipality"]),
            r["municipality__name"],
            r["n"],
            r["municipality"] == selected.get("municipality"),
        )
        for r in municipality_rows
    ]
    return facets


def _highlight_marked(headline: str) -> SafeString:
    """A PostgreSQL headline (plain text with sentinel markers) as safe HTML: everything is
    escaped, then only the markers become <mark>."""
    safe = escape(headline)
    return mark_safe(  # noqa: S308 - escaped above; only our own tags added
        safe.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")
    )


def _window_snippet(text: str, terms: list[str]) -> SafeString:
    """The text around the first match, escaped, with every term wrapped in <mark>."""
    if not text:
        return mark_safe("")
    folded = text.casefold()
    positions = [p for p in (folded.find(term) for term in terms) if p >= 0]
    first = min(positions) if positions else 0
    start = max(0, first - SNIPPET_CHARS // 3)
    window = text[start : start + SNIPPET_CHARS]
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE) if terms else None
    parts: list[str] = []
    last = 0
    for found in pattern.finditer(window) if pattern else ():
        parts.append(escape(window[last : found.start()]))
        parts.append(f"<mark>{escape(found.group())}</mark>")
        last = found.end()
    parts.append(escape(window[last:]))
    prefix = "… " if start else ""
    suffix = " …" if start + SNIPPET_CHARS < len(text) else ""
    return mark_safe(prefix + "".join(parts) + suffix)  # noqa: S308 - every piece escaped


def search(
    user: Any,
    query: str,
    *,
    kind: str = "",
    body: int | None = None,
    year: int | None = None,
    municipality: int | None = None,
    sort: str = "relevance",
    page: int = 1,
) -> SearchResults:
    """Search the record as `user` may see it. `query` is words (each also matched as a prefix
    on PostgreSQL); `kind`, `body`, `year` and `municipality` narrow the hits; `sort` is
    "relevance" or "date" (newest first). A fixed number of queries whatever the data size."""
    sort = sort if sort in SORTS else "relevance"
    kind = kind if kind in DocumentKind.values else ""
    selected = {"kind": kind, "body": body, "year": year, "municipality": municipality}
    terms = _terms(query)
    empty = SearchResults(query, 0, [], {}, 1, 1, sort, filters=selected)
    if not terms:
        return empty
    permitted = visible_documents(user)
    filters = _filters(kind, body, year, municipality)
    postgres = _postgres()
    fuzzy = False
    tsquery = _tsquery(terms) if postgres else None
    if postgres:
        matched = permitted.filter(vector=tsquery)
    else:
        matched = permitted.filter(_sqlite_match(terms))
    unfiltered = None if filters else _facets_unfiltered(matched)
    total = unfiltered[0] if unfiltered is not None else _apply(matched, filters).count()
    if total == 0 and postgres:
        # Nothing found as written: titles that resemble the words (misspellings).
        phrase = " ".join(terms)
        # Both operators are served by the trigram index on title: whole-title similarity
        # (threshold 0.3) for short titles, word similarity (0.6) for a word inside a long one.
        matched = permitted.filter(
            Q(title__trigram_similar=phrase) | Q(title__trigram_word_similar=phrase)
        )
        unfiltered = None if filters else _facets_unfiltered(matched)
        total = unfiltered[0] if unfiltered is not None else _apply(matched, filters).count()
        fuzzy = True
    facets = unfiltered[1] if unfiltered is not None else _facets(matched, filters, selected)
    num_pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), num_pages)
    if total == 0:
        return SearchResults(query, 0, [], facets, 1, 1, sort, fuzzy, selected)

    rows = _apply(matched, filters).select_related("body", "municipality").defer("vector")
    if tsquery is not None and not fuzzy:
        rows = rows.annotate(
            rank=SearchRank(F("vector"), tsquery, weights=RANK_WEIGHTS),
            headline=SearchHeadline(
                Concat("summary", Value(" "), "text", output_field=TextField()),
                tsquery,
                config="danish",
                start_sel=HIGHLIGHT_START,
                stop_sel=HIGHLIGHT_STOP,
                max_fragments=2,
                max_words=25,
                min_words=10,
            ),
        ).defer("text", "summary")
    elif postgres:
        rows = rows.annotate(rank=TrigramWordSimilarity(" ".join(terms), "title"))
    else:
        title_hits = [When(title__icontains=term, then=Value(1)) for term in terms]
        rank: Any = Value(0)
        for when in title_hits:
            rank = rank + Case(when, default=Value(0), output_field=IntegerField())
        rows = rows.annotate(rank=rank)
    order: list[str | OrderBy]
    if sort == "date":
        order = [F("date").desc(nulls_last=True), F("rank").desc(), "kind", "object_id"]
    else:
        order = [F("rank").desc(), F("date").desc(nulls_last=True), "kind", "object_id"]
    offset = (page - 1) * PAGE_SIZE
    labels = dict(DocumentKind.choices)
    hits = []
    for row in rows.order_by(*order)[offset : offset + PAGE_SIZE]:
        if postgres and not fuzzy:
            snippet = _highlight_marked(getattr(row, "headline", ""))
        else:
            snippet = _window_snippet(" ".join(filter(None, [row.summary, row.text])), terms)
        hits.append(
            Hit(
                kind=row.kind,
                kind_label=str(labels.get(row.kind, row.kind)),
                object_id=row.object_id,
                title=row.title,
                url=row.url,
                date=row.date,
                body_name=row.body.name if row.body is not None else "",
                municipality_name=row.municipality.name if row.municipality is not None else "",
                snippet=snippet,
            )
        )
    return SearchResults(query, total, hits, facets, page, num_pages, sort, fuzzy, selected)
