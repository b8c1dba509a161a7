"""Portal-wide pages that draw on several apps: the front page, search and the profile."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from notices import selectors as notice_selectors
from notices import views as notice_views
from organizations import selectors as org_selectors
from organizations.subscribe_section import body_topics
from rounds import selectors as round_selectors
from search.pages import search_page_context


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", org_selectors.front_page_context())


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The "Søg" page: the whole record as the user may see it (search.selectors.search)."""
    return render(request, "search.html", search_page_context(request))


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    """Roles, the open written rounds the user is asked in (or may answer in as a substitute),
    the subscriptions of the user's verified addresses, and the mails the user gets as a member
    of a body (which they may decline). The forms post to the notices app."""
    user = request.user
    roles = org_selectors.roles_for_user(user)
    member_topics = [
        topic
        for body_id in dict.fromkeys(m.body_id for m in roles["memberships"])
        for topic in body_topics(body_id)
    ]
    addresses = notice_selectors.verified_addresses(user)
    context = {
        "roles": roles,
        "rounds_to_answer": round_selectors.rounds_to_answer(user),
        "subscriptions": notice_views.profile_subscription_rows(user),
        "member_topics": notice_selectors.default_topics_for_user(user, addresses, member_topics),
    }
    return render(request, "profile.html", context)
