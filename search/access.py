"""Which sources of search documents a reader may see: the apps' own visibility functions,
gathered in one mapping so that the index and the queries ask the same thing.

- `sources_visible_to(user)`: per kind of document, the primary keys of the sources `user` may
  see, as subqueries (what `search.selectors` filters and re-checks by).
- `public_ids(kind, ids)`: of `ids`, the sources an anonymous visitor may see, asked of the same
  functions when a document is (re)indexed; stored on the document as `public`, so that a
  visitor's search filters on a column instead of computing the whole record's visibility for
  every query. The index follows every change that can alter it (`search.signals`), and the
  hits shown are checked against the live functions again before anything of them is shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from meetings.models import Attachment
from meetings.visibility import items_readable_by, meetings_visible_to, minutes_readable_by
from offers.permissions import offers_visible_to
from organizations.permissions import visible_bodies
from rounds.permissions import rounds_visible_to
from search.models import DocumentKind

__all__ = ["public_ids", "sources_visible_to"]


def sources_visible_to(user: Any) -> dict[str, QuerySet[Any]]:
    """Per kind, the ids of the sources `user` may see (`.values("pk")` subqueries).
    Attachments follow `meetings.visibility.attachment_visible`: those of readable items."""
    readable_items = items_readable_by(user).values("pk")
    attachments = Attachment.objects.all()
    if readable_items.query.where:
        attachments = attachments.filter(item__in=readable_items)
    return {
        DocumentKind.ITEM: readable_items,
        DocumentKind.MINUTES: minutes_readable_by(user).values("pk"),
        DocumentKind.ATTACHMENT: attachments.values("pk"),
        DocumentKind.MEETING: meetings_visible_to(user).values("pk"),
        DocumentKind.ROUND: rounds_visible_to(user).values("pk"),
        DocumentKind.OFFER: offers_visible_to(user).values("pk"),
        DocumentKind.BODY: visible_bodies(user).values("pk"),
    }


def public_ids(kind: str, ids: Iterable[int]) -> set[int]:
    """Of the sources `ids` of `kind`, those an anonymous visitor may see (one query)."""
    ids = list(ids)
    if not ids:
        return set()
    visible = sources_visible_to(AnonymousUser())[kind]
    return set(visible.filter(pk__in=ids).values_list("pk", flat=True))
