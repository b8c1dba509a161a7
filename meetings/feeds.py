"""Calendar feeds (iCal, RFC 5545) of the meetings and news feeds (RSS/Atom) of what has been
published, plus the page that explains them and the member's private calendar key.

Every feed asks `meetings.visibility` what it may carry: the public feeds as an anonymous
visitor, the private feed as the user the key belongs to. Calendar events carry no item texts at
all; the news feeds list item titles only from `items_readable_by(AnonymousUser())`, so a closed
item appears as its number and "Lukket punkt". Each feed runs a fixed number of queries whatever
the number of meetings.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, DateTimeField, QuerySet, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from icalendar import Calendar, Event
from icalendar.enums import STATUS

from meetings.models import AgendaItem, CalendarFeedToken, Meeting, MeetingState
from meetings.visibility import items_readable_by, meeting_visibility, meetings_visible_to
from organizations.models import Body
from organizations.permissions import member_body_ids, visible_bodies

__all__ = [
    "AtomPublicationsFeed",
    "BodyPublicationsFeed",
    "PublicationsFeed",
    "calendar_page",
    "calendar_token_for",
    "calendar_token_reset",
    "ical_all",
    "ical_body",
    "ical_private",
    "meeting_url",
]

NEWS_ENTRIES = 50
_EPOCH = Value(datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC), output_field=DateTimeField())
CALENDAR_REFRESH = datetime.timedelta(hours=1)
CALENDAR_CACHE_SECONDS = 24 * 60 * 60
# Bump when the rendering changes, so no calendar rendered the old way is served from the cache.
_CALENDAR_FORMAT = 1


# --- shared -----------------------------------------------------------------------------------


def meeting_url(meeting_id: int) -> str:
    """The meeting's page as an absolute address: feeds are read outside the portal."""
    return settings.SITE_URL + reverse("meetings:detail", args=[meeting_id])


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _local_date(value: datetime.datetime) -> str:
    """'3. december 2026' in the active language."""
    return date_format(timezone.localtime(value).date(), "j. F Y")


# --- iCal --------------------------------------------------------------------------------------


def _event(meeting: Meeting, host: str) -> Event:
    url = meeting_url(meeting.pk)
    summary = f"{meeting.body.display_short_name}: {meeting.title}"
    lines = [_("Dagsorden, bilag og referat: %(url)s") % {"url": url}]
    if meeting.cancelled:
        summary = _("Aflyst: %(summary)s") % {"summary": summary}
        lines.insert(0, _("Mødet er aflyst."))
    if meeting.case_number:
        lines.append(_("Sagsnr.: %(number)s") % {"number": meeting.case_number})
    # Without METHOD, DTSTAMP is when the event was last revised (RFC 5545, 3.8.7.2); using the
    # row's time keeps the feed byte-identical between fetches until something changes.
    return Event.new(
        uid=f"meeting-{meeting.pk}@{host}",
        stamp=meeting.updated_at,
        last_modified=meeting.updated_at,
        start=timezone.localtime(meeting.starts_at),
        end=timezone.localtime(meeting.ends_at),
        summary=summary,
        location=meeting.place or None,
        sequence=meeting.sequence,
        status=STATUS.CANCELLED if meeting.cancelled else STATUS.CONFIRMED,
        url=url,
        description="\n\n".join(lines),
    )


def _event_facts(meeting: Meeting) -> tuple[Any, ...]:
    """Everything `_event` reads: the rendered calendar is a function of these alone."""
    return (
        meeting.pk,
        meeting.updated_at,
        meeting.sequence,
        meeting.title,
        meeting.starts_at,
        meeting.ends_at,
        meeting.place,
        meeting.case_number,
        meeting.cancelled,
        meeting.body.display_short_name,
    )


def _render_calendar(meetings: Sequence[Meeting], *, name: str, key: str) -> bytes:
    """The meetings as one VCALENDAR with the Copenhagen VTIMEZONE they refer to."""
    host = _host()
    calendar = Calendar.new(
        name=name,
        description=_("Møder fra %(site)s") % {"site": settings.SITE_NAME},
        prodid="-//Sekretariat for rammeaftaler//Rammeaftaleportalen//DA",
        uid=f"calendar-{key}@{host}",
        refresh_interval=CALENDAR_REFRESH,
    )
    calendar.add("X-PUBLISHED-TTL", CALENDAR_REFRESH)
    for meeting in meetings:
        calendar.add_component(_event(meeting, host))
    if meetings:
        first = min(meeting.starts_at for meeting in meetings)
        last = max(meeting.ends_at for meeting in meetings)
        calendar.add_missing_timezones(
            first_date=timezone.localtime(first).date() - datetime.timedelta(days=1),
            last_date=timezone.localtime(last).date() + datetime.timedelta(days=1),
        )
    return bytes(calendar.to_ical())


def _set_headers(response: HttpResponseBase, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        response[name] = value


def _calendar_response(
    request: HttpRequest,
    meetings: Sequence[Meeting],
    *,
    name: str,
    key: str,
    private: bool = False,
) -> HttpResponseBase:
    """The calendar, rendered once per version of its meetings (icalendar needs about a
    millisecond per event; calendar programs ask every hour) and answered with 304 when the
    program already has this version."""
    facts = [_event_facts(meeting) for meeting in meetings]
    version = hashlib.sha256(
        repr((_CALENDAR_FORMAT, settings.SITE_URL, get_language(), name, key, facts)).encode()
    ).hexdigest()
    etag = f'"{version[:40]}"'
    headers = {"ETag": etag}
    if private:
        # The address is the key: keep it out of shared caches and search engines.
        headers |= {"Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex"}
    else:
        headers["Cache-Control"] = "public, max-age=300"
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        _set_headers(not_modified, headers)
        return not_modified
    cache_key = f"meetings:ical:{version}"
    content = cache.get(cache_key)
    if content is None:
        content = _render_calendar(meetings, name=name, key=key)
        cache.set(cache_key, content, CALENDAR_CACHE_SECONDS)
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{key}.ics"'
    _set_headers(response, headers)
    return response


def _calendar_meetings(meetings: QuerySet[Meeting]) -> list[Meeting]:
    # One query: the body comes along (select_related in meetings_visible_to).
    return list(meetings.select_related("body").order_by("starts_at", "pk"))


@require_GET
def ical_all(request: HttpRequest) -> HttpResponseBase:
    """All meetings the visitor may see (the public ones, for a calendar program)."""
    meetings = _calendar_meetings(meetings_visible_to(request.user))
    return _calendar_response(
        request,
        meetings,
        name=_("%(site)s – alle møder") % {"site": settings.SITE_NAME},
        key="moeder",
    )


@require_GET
def ical_body(request: HttpRequest, slug: str) -> HttpResponseBase:
    """One body's meetings; a body the visitor may not see does not exist for them."""
    body = get_object_or_404(visible_bodies(request.user), slug=slug)
    meetings = _calendar_meetings(meetings_visible_to(request.user).filter(body=body))
    return _calendar_response(
        request, meetings, name=_("%(body)s – møder") % {"body": body.name}, key=body.slug
    )


@require_GET
def ical_private(request: HttpRequest, token: str) -> HttpResponseBase:
    """A member's own meetings: those of the bodies they are an active member of, seen as them.

    The key is not a second factor, so nothing only the secretariat may see (drafts) is carried
    even if the key belongs to a secretary.
    """
    feed_token = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token=token, user__is_active=True)
        .first()
    )
    if feed_token is None:
        raise Http404
    user = feed_token.user
    meetings = _calendar_meetings(
        meetings_visible_to(user)
        .exclude(state=MeetingState.DRAFT)
        .filter(body_id__in=member_body_ids(user))
    )
    return _calendar_response(
        request, meetings, name=_("Mine møder"), key="mine-moeder", private=True
    )


# --- the private key and the page explaining the feeds -------------------------------------------


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def calendar_token_for(user: Any) -> CalendarFeedToken:
    """The user's calendar key, made the first time it is asked for."""
    feed_token, _created = CalendarFeedToken.objects.get_or_create(
        user=user, defaults={"token": _new_token()}
    )
    return feed_token


@transaction.atomic
def calendar_token_replace(user: Any) -> CalendarFeedToken:
    """A new key for the user's private calendar; the old address stops working at once."""
    feed_token, created = CalendarFeedToken.objects.select_for_update().get_or_create(
        user=user, defaults={"token": _new_token()}
    )
    if not created:
        feed_token.token = _new_token()
        feed_token.created_at = timezone.now()
        feed_token.full_clean()
        feed_token.save(update_fields=["token", "created_at"])
    return feed_token


@require_GET
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The calendar and news addresses to copy; a member's private address too."""
    bodies = list(visible_bodies(request.user).order_by("order", "name"))
    private_url = None
    is_member = bool(member_body_ids(request.user))
    if is_member:
        token = calendar_token_for(request.user).token
        private_url = settings.SITE_URL + reverse("meetings:ical_private", args=[token])
    context = {
        "site_url": settings.SITE_URL,
        "ical_all_url": settings.SITE_URL + reverse("meetings:ical_all"),
        "rss_url": settings.SITE_URL + reverse("meetings:feed_rss"),
        "atom_url": settings.SITE_URL + reverse("meetings:feed_atom"),
        "bodies": [
            {
                "body": body,
                "ical_url": settings.SITE_URL + reverse("meetings:ical_body", args=[body.slug]),
                "rss_url": settings.SITE_URL + reverse("meetings:feed_body_rss", args=[body.slug])
                if body.is_public
                else None,
            }
            for body in bodies
        ],
        "is_member": is_member,
        "private_url": private_url,
    }
    return render(request, "meetings/calendar.html", context)


@login_required
@require_POST
def calendar_token_reset(request: HttpRequest) -> HttpResponse:
    calendar_token_replace(request.user)
    messages.success(
        request,
        _(
            "Du har fået en ny privat kalenderadresse. Den gamle virker ikke længere; "
            "opdatér abonnementet i din kalender."
        ),
    )
    return redirect("meetings:calendar")


# --- RSS and Atom of publications --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Publication:
    """One publication event: an agenda or minutes published, or minutes corrected."""

    kind: str  # "agenda", "minutes" or "corrected"
    at: datetime.datetime
    meeting: Meeting
    items: tuple[tuple[str, str], ...]  # (number, title as the public may see it)


def _public_titles(meeting_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """Each meeting's items (number, title) in display order as the public sees them. Two
    queries: every item's number and place (never its title), and the titles the public may read
    (`items_readable_by`); any other item is shown as "Lukket punkt"."""
    if not meeting_ids:
        return {}
    readable = dict(
        items_readable_by(AnonymousUser())
        .filter(meeting_id__in=meeting_ids)
        .values_list("pk", "title")
    )
    rows = AgendaItem.objects.filter(meeting_id__in=meeting_ids).values_list(
        "pk", "meeting_id", "parent_id", "order", "number"
    )
    top: dict[int, list[tuple[int, int, str]]] = {}
    children: dict[int, list[tuple[int, int, str]]] = {}
    for pk, meeting_id, parent_id, order, number in rows:
        target = (
            top.setdefault(meeting_id, [])
            if parent_id is None
            else (children.setdefault(parent_id, []))
        )
        target.append((order, pk, number))
    closed = _("Lukket punkt")
    agendas: dict[int, list[tuple[str, str]]] = {}
    for meeting_id, parents in top.items():
        lines = agendas.setdefault(meeting_id, [])
        for _order, pk, number in sorted(parents):
            lines.append((number, readable.get(pk, closed)))
            for _sub_order, sub_pk, sub_number in sorted(children.get(pk, [])):
                lines.append((sub_number, readable.get(sub_pk, closed)))
    return agendas


def publications(body: Body | None = None, limit: int = NEWS_ENTRIES) -> list[Publication]:
    """The newest publications the public may see, newest first. Three queries: the meetings,
    and their items in `_public_titles`.

    The `limit` newest events belong to at most `limit` meetings, and those are among the
    `limit` meetings most recently published in, so that is all that is loaded.
    """
    anonymous = AnonymousUser()
    meetings = meetings_visible_to(anonymous).filter(agenda_published_at__isnull=False)
    if body is not None:
        meetings = meetings.filter(body=body)
    # The time of the meeting's newest publication the public may see (minutes count once
    # published; a correction is always later than the publication).
    latest_minutes = Case(
        When(
            state=MeetingState.MINUTES_PUBLISHED,
            then=Coalesce("minutes_corrected_at", "minutes_published_at", _EPOCH),
        ),
        default=_EPOCH,
    )
    candidates = list(
        meetings.select_related("body")
        .annotate(
            latest_publication=Greatest(Coalesce("agenda_published_at", _EPOCH), latest_minutes)
        )
        .order_by("-latest_publication", "-pk")[:limit]
    )
    events: list[tuple[str, datetime.datetime, Meeting]] = []
    for meeting in candidates:
        access = meeting_visibility(anonymous, meeting)  # no query for an anonymous visitor
        if access.can_see_agenda and meeting.agenda_published_at is not None:
            events.append(("agenda", meeting.agenda_published_at, meeting))
        if access.can_see_minutes and meeting.minutes_published_at is not None:
            events.append(("minutes", meeting.minutes_published_at, meeting))
            if meeting.minutes_corrected_at is not None:
                events.append(("corrected", meeting.minutes_corrected_at, meeting))
    events.sort(key=lambda event: (event[1], event[2].pk), reverse=True)
    events = events[:limit]
    agendas = _public_titles(sorted({meeting.pk for _kind, _at, meeting in events}))
    return [
        Publication(kind=kind, at=at, meeting=meeting, items=tuple(agendas.get(meeting.pk, [])))
        for kind, at, meeting in events
    ]


_KIND_LABELS = {
    "agenda": gettext_lazy("Dagsorden"),
    "minutes": gettext_lazy("Referat"),
    "corrected": gettext_lazy("Rettet referat"),
}


class PublicationsFeed(Feed):
    """RSS of the agendas and minutes published for all public meetings, newest first."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Body | None:
        return None

    def title(self, obj: Body | None) -> str:
        return _("%(site)s: dagsordener og referater") % {"site": settings.SITE_NAME}

    def link(self, obj: Body | None) -> str:
        return settings.SITE_URL + reverse("meetings:index")

    def description(self, obj: Body | None) -> str:
        return _("Nye dagsordener og referater fra organernes møder.")

    def feed_url(self, obj: Body | None) -> str:
        return settings.SITE_URL + reverse("meetings:feed_rss")

    def items(self, obj: Body | None) -> list[Publication]:
        return publications(obj)

    def item_title(self, item: Publication) -> str:
        meeting = item.meeting
        # Titles are read as HTML by many readers; Django's default escapes them too.
        return escape(
            f"{_KIND_LABELS[item.kind]}: {meeting.body.display_short_name} "
            f"{_local_date(meeting.starts_at)}"
        )

    def item_description(self, item: Publication) -> str:
        meeting = item.meeting
        facts = format_html(
            "<p>{}, {}{}</p>",
            meeting.title,
            _local_date(meeting.starts_at),
            f", {meeting.place}" if meeting.place else "",
        )
        if meeting.cancelled:
            facts += format_html("<p>{}</p>", _("Mødet er aflyst."))
        if not item.items:
            return facts
        rows = format_html_join("", "<li>{}. {}</li>", item.items)
        return facts + format_html("<ul>{}</ul>", rows)

    def item_link(self, item: Publication) -> str:
        return meeting_url(item.meeting.pk)

    def item_guid(self, item: Publication) -> str:
        stamp = item.at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"tag:{_host()},2026:meeting-{item.meeting.pk}-{item.kind}-{stamp}"

    def item_guid_is_permalink(self, item: Publication) -> bool:
        return False

    def item_pubdate(self, item: Publication) -> datetime.datetime:
        return item.at

    def item_updateddate(self, item: Publication) -> datetime.datetime:
        return item.at

    def item_categories(self, item: Publication) -> list[str]:
        return [item.meeting.body.name]


class AtomPublicationsFeed(PublicationsFeed):
    """The same publications as Atom."""

    feed_type = Atom1Feed

    def feed_url(self, obj: Body | None) -> str:
        return settings.SITE_URL + reverse("meetings:feed_atom")

    def subtitle(self, obj: Body | None) -> str:
        return self.description(obj)


class BodyPublicationsFeed(PublicationsFeed):
    """One public body's publications. A non-public body has no public feed."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Body | None:
        return get_object_or_404(visible_bodies(AnonymousUser()), slug=kwargs["slug"])

    def title(self, obj: Body | None) -> str:
        name = obj.name if obj is not None else settings.SITE_NAME
        return _("%(body)s: dagsordener og referater") % {"body": name}

    def link(self, obj: Body | None) -> str:
        if obj is None:
            return super().link(obj)
        return settings.SITE_URL + obj.get_absolute_url()

    def feed_url(self, obj: Body | None) -> str:
        if obj is None:
            return super().feed_url(obj)
        return settings.SITE_URL + reverse("meetings:feed_body_rss", args=[obj.slug])
