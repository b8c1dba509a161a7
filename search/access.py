"""Which sources of search documents a reader may see: the apps' own visibility functions,
gathered in one mapping so that the index and the queries ask the same thing.

- `sources_visible_to(user)`: per kind of document, which of some sources `user` may see (what
  `search.selectors` asks about candidates and re-checks the hits by).
- `public_ids(kind, ids)`: of `ids`, the sources an anonymous visitor may see, asked of the same
  functions when a document is (re)indexed; stored on the document as `public`, so that a
  visitor's search filters on a column instead of computing the whole record's visibility for
  every query. The index follows every change that can alter it (`search.signals`), and the
  hits shown are checked against the live functions again before anything of them is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import BooleanField, Model, Q, QuerySet
from django.db.models.expressions import RawSQL

from meetings.models import Attachment
from meetings.visibility import (
    bodies_beyond_public,
    items_readable_by,
    meetings_visible_to,
    minutes_readable_by,
)
from offers.permissions import offers_visible_to
from organizations.permissions import visible_bodies
from rounds.permissions import rounds_visible_to
from search.models import DocumentKind

__all__ = ["Among", "beyond_public", "pk_among", "public_ids", "sources_visible_to"]

# The kinds whose sources are a body's meeting material (or the body itself): their documents
# carry the body, and a reader sees more of them than the public only through that body.
_MEETING_KINDS = (
    DocumentKind.ITEM,
    DocumentKind.MINUTES,
    DocumentKind.ATTACHMENT,
    DocumentKind.MEETING,
    DocumentKind.BODY,
)


# Given source ids of one kind, the queryset of those a reader may see (`.values("pk")`).
Among = Callable[[Sequence[int]], QuerySet[Any]]


def pk_among(model: type[Model], ids: Sequence[int]) -> Q:
    """`pk__in=ids` for a query whose main table is `model`'s; on PostgreSQL as one array
    parameter instead of thousands of literals (candidate lists run into the thousands).
    Only for the outermost query: it names the table, which Django renames in a subquery."""
    if connection.vendor != "postgresql":
        return Q(pk__in=ids)
    column = f'"{model._meta.db_table}"."{model._meta.pk.column}"'
    condition = RawSQL(f"{column} = ANY(%s::bigint[])", [list(ids)], BooleanField())  # noqa: S611 - our names; ids are a parameter
    return Q(condition)


def _among(visible: QuerySet[Any]) -> Among | None:
    """`visible` asked about given ids only (as one array parameter: candidate lists run into
    the thousands, and compiling them as literals cost a member's search a third of its time);
    None when it restricts nothing."""
    if not visible.query.where:
        return None
    model = visible.model
    return lambda ids: visible.filter(pk_among(model, ids)).values("pk")


def sources_visible_to(user: Any) -> dict[str, Among | None]:
    """Per kind, the function that gives which of some sources `user` may see, or None when
    `user` may see every source of that kind. Attachments follow
    `meetings.visibility.attachment_visible`: those of readable items (asked about the
    attachments' own items only, not about every item)."""
    readable_items = items_readable_by(user)
    attachments: Among | None = None
    if readable_items.query.where:

        def attachments(ids: Sequence[int]) -> QuerySet[Any]:
            items = readable_items.filter(attachments__in=ids).values("pk")
            return Attachment.objects.filter(pk__in=ids, item__in=items).values("pk")

    return {
        DocumentKind.ITEM: _among(readable_items),
        DocumentKind.MINUTES: _among(minutes_readable_by(user)),
        DocumentKind.ATTACHMENT: attachments,
        DocumentKind.MEETING: _among(meetings_visible_to(user)),
        DocumentKind.ROUND: _among(rounds_visible_to(user)),
        DocumentKind.OFFER: _among(offers_visible_to(user)),
        DocumentKind.BODY: _among(visible_bodies(user)),
    }


def public_ids(kind: str, ids: Iterable[int]) -> set[int]:
    """Of the sources `ids` of `kind`, those an anonymous visitor may see (one query)."""
    ids = list(ids)
    if not ids:
        return set()
    among = sources_visible_to(AnonymousUser())[kind]
    if among is None:
        return set(ids)
    return set(among(ids).values_list("pk", flat=True))


def beyond_public(user: Any) -> Q | None:
    """A condition every document `user` may see beyond the public ones satisfies (a necessary
    one, from `meetings.visibility.bodies_beyond_public`): for meeting material and bodies,
    that the document's body is one of the reader's; other kinds are not narrowed. None when
    nothing narrows it (the secretariat). It only saves asking the visibility functions about
    documents that cannot pass them; it never lets one through."""
    bodies = bodies_beyond_public(user)
    if bodies is None:
        return None
    return ~Q(kind__in=_MEETING_KINDS) | Q(body_id__in=bodies)
