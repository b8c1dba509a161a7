"""Portal-wide pages that draw on several apps: the front page and search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from organizations import selectors as org_selectors


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", org_selectors.front_page_context())


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    results = org_selectors.search_organisation(query) if query else None
    return render(request, "search.html", {"query": query, "results": results})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "profile.html", {"roles": org_selectors.roles_for_user(request.user)})
