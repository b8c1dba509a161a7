"""What the search page shows: the results of `selectors.search` with links that keep or
change the other parameters (facets, sorting, pages) — plain links, so it works without JS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from organizations.selectors import search_organisation
from search.forms import SearchForm
from search.selectors import SearchResults, search

FACET_LABELS = {
    "kind": _("Type"),
    "body": _("Organ"),
    "year": _("År"),
    "municipality": _("Kommune"),
}


@dataclass(frozen=True, slots=True)
class FacetLink:
    label: str
    count: int
    selected: bool
    url: str


@dataclass(frozen=True, slots=True)
class FacetGroup:
    name: str
    label: str
    links: list[FacetLink]


def _url(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = str(value)
    return "?" + query.urlencode()


def search_page_context(request: HttpRequest) -> dict[str, Any]:
    params = SearchForm(request.GET).params()
    query = params.pop("query")
    results: SearchResults | None = search(request.user, query, **params) if query else None
    groups: list[FacetGroup] = []
    if results is not None:
        for name, values in results.facets.items():
            links = [
                FacetLink(
                    label=value.label,
                    count=value.count,
                    selected=value.selected,
                    url=_url(request.GET, **{name: None if value.selected else value.value}),
                )
                for value in values
            ]
            if links:
                groups.append(FacetGroup(name, str(FACET_LABELS[name]), links))
    filtered = any(params[name] for name in ("kind", "body", "year", "municipality"))
    # Names of bodies, municipalities and people: the directory look-up the page always had.
    directory = (
        search_organisation(query)
        if query and not filtered and (results is None or results.page == 1)
        else None
    )
    page_links = {}
    if results is not None:
        if results.has_previous:
            page_links["previous"] = _url(request.GET, page=results.page - 1)
        if results.has_next:
            page_links["next"] = _url(request.GET, page=results.page + 1)
    return {
        "query": query,
        "params": params,
        "results": results,
        "facet_groups": groups,
        "filtered": filtered,
        "clear_filters_url": _url(request.GET, kind=None, body=None, year=None, municipality=None),
        "page_links": page_links,
        "directory": directory,
    }
