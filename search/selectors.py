"""Searching the record: permissions first, then matching, facets, ranking and snippets.

`search()` restricts the documents to those whose source the user may see — through the same
visibility functions every other channel uses — before anything is matched, counted or
highlighted, so a document the user may not read is never a hit, a facet count or a snippet.
"""

from __future__ import annotations

import datetime
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
)
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Concat, Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from organizations.models import Body, Municipality
from search.access import Among, beyond_public, pk_among, sources_visible_to
from search.indexing import HIGHLIGHT_START, HIGHLIGHT_STOP, index_source
from search.models import DocumentKind, SearchDocument, SearchWord

__all__ = [
    "PAGE_SIZE",
    "FacetValue",
    "Hit",
    "Reader",
    "SearchResults",
    "permitted_matches",
    "search",
]

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
MAX_TERMS = 8
SORTS = ("relevance", "date")
# Title above summary above text: SearchRank's weights are given as [D, C, B, A].
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
# The headline is cut from the start of a document's text: enough for the passages a reader
# recognises, without parsing a long attachment for every hit shown.
HEADLINE_CHARS = 20_000
SNIPPET_CHARS = 240
# Letters and digits only: nothing of the input reaches tsquery or LIKE syntax.
_TERM = re.compile(r"[^\W_]+", re.UNICODE)


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
    # How the hits were found when the words as typed found nothing: "" (as typed),
    # "corrected" (misspelt words replaced by the nearest known ones, in `searched`) or "any"
    # (documents with at least one of the words).
    fallback: str = ""
    searched: str = ""
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


@dataclass(frozen=True, slots=True)
class Reader:
    """What the visibility functions say of one reader, asked once per search: per kind,
    which sources they may see (`search.access.sources_visible_to`), and the condition their
    view beyond the public satisfies (`search.access.beyond_public`)."""

    anonymous: bool
    sources: dict[str, Among | None]
    scope: Q | None

    @classmethod
    def of(cls, user: Any) -> Reader:
        anonymous = not getattr(user, "is_authenticated", False)
        scope = None if anonymous else beyond_public(user)
        return cls(anonymous, sources_visible_to(user), scope)


def permitted_matches(reader: Reader, match: Q) -> QuerySet[SearchDocument]:
    """The documents matching `match` whose source `reader` may see.

    An anonymous visitor: the matching documents marked public (`search.access.public_ids`,
    asked of the apps' visibility functions when a document is indexed). Anyone else: those,
    and of the matching documents not marked public, the ones whose sources the apps'
    visibility functions give them — asked in one query about those candidates only, not about
    the whole record (a kind the functions do not restrict for them, such as everything for
    the secretariat, is not asked about at all)."""
    matching = SearchDocument.objects.filter(match)
    if reader.anonymous:
        return matching.filter(public=True)
    if all(among is None for among in reader.sources.values()):
        return matching
    candidates_of = matching.filter(public=False)
    if reader.scope is not None:
        candidates_of = candidates_of.filter(reader.scope)
    candidates = list(candidates_of.values_list("pk", "kind", "object_id"))
    seen = _visible_sources(
        reader.sources, [(kind, object_id) for _pk, kind, object_id in candidates]
    )
    extra = [pk for pk, kind, object_id in candidates if (kind, object_id) in seen]
    return matching.filter(Q(public=True) | pk_among(SearchDocument, extra))


def _visible_sources(
    sources: dict[str, Among | None], keys: list[tuple[str, int]]
) -> set[tuple[str, int]]:
    """Of the sources `keys` (kind, object id), those the visibility functions `sources` let
    through: one query (a UNION of one branch per kind asked about), none when every kind
    asked about is unrestricted."""
    wanted: dict[str, tuple[Among, list[int]]] = {}
    seen: set[tuple[str, int]] = set()
    for kind, object_id in keys:
        among = sources[kind]
        if among is None:
            seen.add((kind, object_id))
        else:
            wanted.setdefault(kind, (among, []))[1].append(object_id)
    if not wanted:
        return seen
    parts = [
        among(ids)
        .annotate(doc_kind=Value(kind, output_field=CharField()))
        .values_list("doc_kind", "pk")
        .order_by()
        for kind, (among, ids) in wanted.items()
    ]
    first, *rest = parts
    seen |= set(first.union(*rest, all=True).order_by()) if rest else set(first)
    return seen


def _recheck(reader: Reader, rows: list[SearchDocument]) -> list[SearchDocument]:
    """The rows whose source `reader` may see now, asked of the live visibility functions in
    one query: what is shown never rests on the stored `public` mark alone."""
    seen = _visible_sources(reader.sources, [(row.kind, row.object_id) for row in rows])
    kept = []
    for row in rows:
        if (row.kind, row.object_id) not in seen:
            # Readers see at least what a visitor sees, so only a stale mark (or a source
            # gone) gets here: hide the hit and bring its document up to date.
            logger.warning("Søgeindekset var forældet for %s %s", row.kind, row.object_id)
            index_source(row.kind, [row.object_id])
            continue
        kept.append(row)
    return kept


def _terms(query: str) -> list[str]:
    return list(dict.fromkeys(term.casefold() for term in _TERM.findall(query)))[:MAX_TERMS]


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _tsquery(terms: list[str], mode: str) -> SearchQuery:
    # Each term as a prefix ("kapacitet:*" finds "kapacitetsjusteringer"); terms are letters and
    # digits only, so nothing of the user's input reaches the tsquery syntax.
    joiner = " | " if mode == "any" else " & "
    raw = joiner.join(f"{term}:*" for term in terms)
    return SearchQuery(raw, search_type="raw", config="danish")


def _sqlite_match(terms: list[str], mode: str) -> Q:
    match = Q()
    for term in terms:
        found = (
            Q(title__icontains=term)
            | Q(content__summary__icontains=term)
            | Q(content__text__icontains=term)
        )
        match = (match | found) if mode == "any" else (match & found)
    return match


def _sqlite_rank(terms: list[str]) -> Any:
    rank: Any = Value(0)
    for term in terms:
        rank = rank + Case(
            When(title__icontains=term, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    return rank


@dataclass(frozen=True, slots=True)
class _Group:
    """How many matching documents share one combination of facet values."""

    kind: str
    body: int | None
    body_name: str
    year: int | None
    municipality: int | None
    municipality_name: str
    count: int

    def value(self, facet: str) -> Any:
        return getattr(self, facet)


_FACETS = ("kind", "body", "year", "municipality")


def _matched_page(
    matched: QuerySet[SearchDocument],
    rank: Any,
    chosen: dict[str, Any],
    sort: str,
    page: int,
) -> tuple[list[_Group], list[int]]:
    """One statement over the permitted, matching documents: they are gathered once (with
    their rank and facet values), then grouped by every facet combination — which gives the
    total and every facet count, chosen facets or not — and ranked for the requested page
    among those that satisfy the chosen facets. Returns the groups and the page's ids in
    order."""
    inner = (
        matched.annotate(rank=rank)
        .values("id", "kind", "object_id", "body_id", "year", "municipality_id", "date", "rank")
        .order_by()
    )
    inner_sql, inner_params = inner.query.sql_with_params()
    facet_sql, facet_params = (
        matched.values("kind", "body_id", "year", "municipality_id")
        .order_by()
        .query.sql_with_params()
    )
    columns = {"kind": "kind", "body": "body_id", "year": "year", "municipality": "municipality_id"}
    where = [f"m.{columns[name]} = %s" for name in _FACETS if chosen[name] not in (None, "")]
    where_params = [chosen[name] for name in _FACETS if chosen[name] not in (None, "")]
    if sort == "date":
        order = "m.date DESC NULLS LAST, m.rank DESC, m.kind, m.object_id"
    else:
        order = "m.rank DESC, m.date DESC NULLS LAST, m.kind, m.object_id"
    body_table = Body._meta.db_table
    municipality_table = Municipality._meta.db_table
    # Every piece is a constant or a column name of ours; values travel as parameters. The
    # matching documents are read by each branch on its own (not shared through a CTE):
    # PostgreSQL scans a CTE in one process, each branch here in parallel.
    sql = f"""
        SELECT 0 AS part, m.id, ROW_NUMBER() OVER (ORDER BY {order}) AS position,
               NULL AS kind, NULL AS body_id, NULL AS body_name, NULL AS year,
               NULL AS municipality_id, NULL AS municipality_name, NULL AS n
        FROM (
            SELECT m.id, m.rank, m.date, m.kind, m.object_id
            FROM ({inner_sql}) m {"WHERE " + " AND ".join(where) if where else ""}
            ORDER BY {order}
            LIMIT %s OFFSET %s
        ) m
        UNION ALL
        SELECT 1, NULL, NULL, g.kind, g.body_id, b.name, g.year, g.municipality_id, mu.name, g.n
        FROM (
            SELECT m.kind, m.body_id, m.year, m.municipality_id, COUNT(*) AS n
            FROM ({facet_sql}) m
            GROUP BY m.kind, m.body_id, m.year, m.municipality_id
        ) g
        LEFT JOIN {body_table} b ON b.id = g.body_id
        LEFT JOIN {municipality_table} mu ON mu.id = g.municipality_id
    """  # noqa: S608
    params = [
        *inner_params,
        *where_params,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
        *facet_params,
    ]
    groups: list[_Group] = []
    ranked: list[tuple[int, int]] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for part, pk, position, kind, body, body_name, year, muni, muni_name, n in cursor:
            if part == 0:
                ranked.append((position, pk))
            else:
                groups.append(_Group(kind, body, body_name or "", year, muni, muni_name or "", n))
    return groups, [pk for _position, pk in sorted(ranked)]


def _facets(groups: list[_Group], chosen: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The total (documents satisfying every chosen facet) and, per facet, the counts of its
    values among the documents satisfying the other facets' choices (so a choice can be
    widened again)."""

    def fits(group: _Group, skip: str = "") -> bool:
        return all(
            chosen[name] in (None, "") or group.value(name) == chosen[name]
            for name in _FACETS
            if name != skip
        )

    total = sum(group.count for group in groups if fits(group))
    labels = dict(DocumentKind.choices)
    order = list(labels)
    counts: dict[str, dict[Any, int]] = {name: {} for name in _FACETS}
    names: dict[str, dict[Any, str]] = {"body": {}, "municipality": {}}
    for group in groups:
        names["body"][group.body] = group.body_name
        names["municipality"][group.municipality] = group.municipality_name
        for name in _FACETS:
            value = group.value(name)
            if value is not None and fits(group, skip=name):
                counts[name][value] = counts[name].get(value, 0) + group.count
    facets = {
        "kind": [
            FacetValue(k, str(labels.get(k, k)), n, k == chosen["kind"])
            for k, n in sorted(
                counts["kind"].items(), key=lambda i: order.index(i[0]) if i[0] in order else 99
            )
        ],
        "body": [
            FacetValue(str(pk), names["body"][pk], n, pk == chosen["body"])
            for pk, n in sorted(counts["body"].items(), key=lambda i: (-i[1], names["body"][i[0]]))
        ],
        "year": [
            FacetValue(str(y), str(y), n, y == chosen["year"])
            for y, n in sorted(counts["year"].items(), key=lambda i: -i[0])
        ],
        "municipality": [
            FacetValue(str(pk), names["municipality"][pk], n, pk == chosen["municipality"])
            for pk, n in sorted(
                counts["municipality"].items(),
                key=lambda i: (-i[1], names["municipality"][i[0]]),
            )
        ],
    }
    return total, facets


def _corrected(terms: list[str]) -> list[str]:
    """The words with each one no public document contains replaced by the most similar word
    that one does (PostgreSQL's trigram similarity over the index's word list), in one query.
    A word with no similar one is kept."""
    found: dict[str, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT t.term, (
                SELECT w.word FROM {SearchWord._meta.db_table} w
                WHERE w.word %% t.term
                ORDER BY w.word <-> t.term, w.word
                LIMIT 1
            )
            FROM unnest(%s::text[]) AS t(term)
            WHERE NOT EXISTS (
                SELECT 1 FROM {SearchWord._meta.db_table} w WHERE w.word LIKE t.term || '%%'
            )
            """,  # noqa: S608 - the table name is ours
            [terms],
        )
        for term, word in cursor:
            if word:
                found[term] = word
    return [found.get(term, term) for term in terms]


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
    "relevance" or "date" (newest first). When the words as typed find nothing anywhere, on
    PostgreSQL misspelt words are corrected from the index's word list, and then documents
    with any of the words are shown. A fixed number of queries whatever the data size."""
    sort = sort if sort in SORTS else "relevance"
    kind = kind if kind in DocumentKind.values else ""
    chosen = {"kind": kind, "body": body, "year": year, "municipality": municipality}
    terms = _terms(query)
    if not terms:
        return SearchResults(query, 0, [], {}, 1, 1, sort, filters=chosen)
    postgres = _postgres()
    reader = Reader.of(user)
    page = max(1, page)

    def attempt(words: list[str], mode: str, page: int) -> tuple[list[_Group], list[int]]:
        if postgres:
            tsquery = _tsquery(words, mode)
            matched = permitted_matches(reader, Q(vector=tsquery))
            rank = SearchRank(F("vector"), tsquery, weights=RANK_WEIGHTS)
        else:
            matched = permitted_matches(reader, _sqlite_match(words, mode))
            rank = _sqlite_rank(words)
        return _matched_page(matched, rank, chosen, sort, page)

    words, mode, fallback = terms, "all", ""
    groups, ids = attempt(words, mode, page)
    if not groups and postgres:
        corrected = _corrected(terms)
        if corrected != terms:
            words, fallback = corrected, "corrected"
            groups, ids = attempt(words, mode, page)
    if not groups and len(terms) > 1:
        words, mode, fallback = terms, "any", "any"
        groups, ids = attempt(words, mode, page)
    total, facets = _facets(groups, chosen)
    num_pages = max(1, math.ceil(total / PAGE_SIZE))
    if page > num_pages:  # past the end (an old link): the last page
        page = num_pages
        groups, ids = attempt(words, mode, page)
    searched = " ".join(words) if fallback == "corrected" else ""
    if not ids:
        return SearchResults(
            query, total, [], facets, page, num_pages, sort, fallback, searched, chosen
        )
    rows = SearchDocument.objects.filter(pk__in=ids).select_related("body", "municipality")
    if postgres:
        rows = rows.annotate(
            headline=SearchHeadline(
                Concat(
                    "content__summary",
                    Value(" "),
                    Substr("content__text", 1, HEADLINE_CHARS),
                    output_field=TextField(),
                ),
                _tsquery(words, mode),
                config="danish",
                start_sel=HIGHLIGHT_START,
                stop_sel=HIGHLIGHT_STOP,
                max_fragments=2,
                max_words=25,
                min_words=10,
            )
        ).defer("vector")
    else:
        rows = rows.select_related("content").defer("vector")
    by_id = {row.pk: row for row in rows}
    shown = _recheck(reader, [by_id[pk] for pk in ids if pk in by_id])
    labels = dict(DocumentKind.choices)
    hits = [
        Hit(
            kind=row.kind,
            kind_label=str(labels.get(row.kind, row.kind)),
            object_id=row.object_id,
            title=row.title,
            url=row.url,
            date=row.date,
            body_name=row.body.name if row.body is not None else "",
            municipality_name=row.municipality.name if row.municipality is not None else "",
            snippet=(
                _highlight_marked(getattr(row, "headline", ""))
                if postgres
                else _window_snippet(
                    " ".join(filter(None, [row.content.summary, row.content.text])), words
                )
            ),
        )
        for row in shown
    ]
    return SearchResults(
        query, total, hits, facets, page, num_pages, sort, fallback, searched, chosen
    )
