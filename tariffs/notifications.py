"""The tariffs' mails through the notices engine.

Topics ("tariffs" family, registered here):
- "tariffs" — anyone may follow it: a year's tariffs were published;
- "tariffs:<year>:pending" — the municipal editors of municipalities that operate a covered,
  active offer without a submitted sheet for the year (the reminder a week before the deadline).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from notices.mail import render_mail
from notices.registry import Recipient, RenderedMail, register_renderer, register_topic_family
from notices.services import notice_publish
from offers.models import Offer
from tariffs.models import SheetState, TariffSheet, TariffYear

FAMILY = "tariffs"
PUBLISHED = "tariffs.published"
REMINDER = "tariffs.reminder"
_TEMPLATES = "tariffs/mail/"


def pending_topic(year: int) -> str:
    return f"{FAMILY}:{year}:pending"


def _parse_pending(topic: str) -> int | None:
    parts = topic.split(":")
    if len(parts) == 3 and parts[0] == FAMILY and parts[1].isdigit() and parts[2] == "pending":
        return int(parts[1])
    return None


def topic_label(topic: str) -> str:
    if topic == FAMILY:
        return _("Offentliggjorte takster")
    year = _parse_pending(topic)
    if year is not None:
        return _("Påmindelse om takstindberetning %(year)s") % {"year": year}
    return topic


def pending_editors(topic: str) -> Iterable[Recipient]:
    """Editors of municipalities with a covered, active offer and no submitted sheet."""
    year = _parse_pending(topic)
    if year is None:
        return []
    done = TariffSheet.objects.filter(year=year).exclude(
        state__in=[SheetState.DRAFT, SheetState.RETURNED]
    )
    municipalities = (
        Offer.objects.filter(
            is_covered=True, status__in=["aktiv", "lukker"], operator_municipality__isnull=False
        )
        .exclude(pk__in=done.values("offer_id"))
        .values("operator_municipality_id")
    )
    users = (
        get_user_model()
        .objects.filter(is_active=True, editor_grants__municipality_id__in=municipalities)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    return [Recipient(email=u.email, user=u, name=u.get_full_name()) for u in users]


def tariffs_published(*, year: int, count: int, by: Any) -> None:
    notice_publish(topic=FAMILY, kind=PUBLISHED, payload={"year": year, "count": count}, by=by)


def deadline_reminder(*, year: int) -> None:
    notice_publish(topic=pending_topic(year), kind=REMINDER, payload={"year": year})


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def render_published(notice: Any, recipient: Recipient) -> RenderedMail:
    year = notice.payload.get("year")
    with translation.override(settings.LANGUAGE_CODE):
        url = _absolute(f"{reverse('tariffs:index')}?aar={year}")
        return render_mail(
            f"{_TEMPLATES}published",
            {"year": year, "count": notice.payload.get("count"), "url": url},
            url=url,
        )


def render_reminder(notice: Any, recipient: Recipient) -> RenderedMail:
    year = notice.payload.get("year")
    deadline = TariffYear.objects.filter(year=year).values_list("submission_deadline", flat=True)
    when = deadline.first()
    with translation.override(settings.LANGUAGE_CODE):
        url = _absolute(reverse("tariffs:mine"))
        return render_mail(
            f"{_TEMPLATES}reminder",
            {
                "year": year,
                "deadline": date_format(timezone.localtime(when), "j. F Y \\k\\l. H.i")
                if when
                else "",
                "url": url,
            },
            url=url,
        )


def register() -> None:
    register_topic_family(FAMILY, label=topic_label, default_recipients=pending_editors)
    register_renderer(PUBLISHED, render_published)
    register_renderer(REMINDER, render_reminder)
