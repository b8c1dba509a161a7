"""Building and keeping the search index: documents from the source objects.

Every function here is idempotent: it computes the documents a source should have, compares
them with the stored ones and writes only the difference (so a reindex of an up-to-date index
writes nothing). On PostgreSQL the weighted vector (config "danish": title A, summary B, text C)
is set in the same pass for the documents that changed.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import CombinedExpression
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from meetings.models import AgendaItem, Attachment, Meeting
from offers.models import Offer
from organizations.models import Body
from rounds.models import WrittenRound
from search.access import public_ids
from search.models import DocumentKind, SearchDocument, SearchText, SearchWord

__all__ = [
    "BATCH_SIZE",
    "HIGHLIGHT_START",
    "HIGHLIGHT_STOP",
    "index_attachments",
    "index_bodies",
    "index_items",
    "index_meetings",
    "index_offers",
    "index_rounds",
    "index_source",
    "plain_text",
    "rebuild_words",
    "reindex_all",
]

BATCH_SIZE = 500
# Markers the snippet builder turns into <mark>; removed from every stored text so a source
# cannot forge one.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_STOP = "\ue001"
_MARKERS = str.maketrans({HIGHLIGHT_START: None, HIGHLIGHT_STOP: None})
_SPACE = re.compile(r"\s+")
_BLOCK_END = re.compile(r"</(p|li|h[1-6]|div|tr|td|th)>|<br\s*/?>", re.IGNORECASE)
_LONG = ("summary", "text")  # kept in SearchText
_CONTENT = (
    "url",
    "title",
    "date",
    "year",
    "body_id",
    "municipality_id",
    "public",
)


def plain_text(value: str) -> str:
    """Rich text as plain text: tags stripped, entities decoded, whitespace collapsed."""
    if not value:
        return ""
    text = html.unescape(strip_tags(_BLOCK_END.sub(" ", value)))
    return _SPACE.sub(" ", text.translate(_MARKERS)).strip()


@dataclass(frozen=True, slots=True)
class _Doc:
    kind: str
    object_id: int
    url: str
    title: str
    summary: str = ""
    text: str = ""
    date: datetime.date | None = None
    body_id: int | None = None
    municipality_id: int | None = None

    @property
    def year(self) -> int | None:
        return self.date.year if self.date is not None else None


def _values(doc: _Doc) -> dict[str, object]:
    return {
        "url": doc.url,
        "title": plain_text(doc.title)[:400],
        "date": doc.date,
        "year": doc.year,
        "body_id": doc.body_id,
        "municipality_id": doc.municipality_id,
    }


def _vector() -> CombinedExpression:
    content = SearchText.objects.filter(document=OuterRef("pk"))
    return (
        SearchVector("title", weight="A", config="danish")
        + SearchVector(Subquery(content.values("summary")), weight="B", config="danish")
        + SearchVector(Subquery(content.values("text")), weight="C", config="danish")
    )


def _sync(kinds: Iterable[str], object_ids: Iterable[int], docs: Iterable[_Doc]) -> int:
    """Make the stored documents of (`kinds` × `object_ids`) exactly `docs`; returns the number
    of rows written."""
    kinds, ids = list(kinds), list(set(object_ids))
    if not ids:
        return 0
    docs = list(docs)
    public = {
        kind: public_ids(kind, [doc.object_id for doc in docs if doc.kind == kind])
        for kind in kinds
    }
    wanted = {
        (doc.kind, doc.object_id): {**_values(doc), "public": doc.object_id in public[doc.kind]}
        for doc in docs
    }
    docs_by_key = {(doc.kind, doc.object_id): doc for doc in docs}
    stored = {
        (row.kind, row.object_id): row
        for row in SearchDocument.objects.filter(kind__in=kinds, object_id__in=ids)
        .select_related("content")
        .defer("vector")
    }
    postgres = connection.vendor == "postgresql"
    stale_vectors: set[int] = set()
    if postgres and stored:
        stale_vectors = set(
            SearchDocument.objects.filter(
                pk__in=[row.pk for row in stored.values()], vector__isnull=True
            ).values_list("pk", flat=True)
        )
    create: list[tuple[SearchDocument, _Doc]] = []
    update: list[SearchDocument] = []
    texts: list[SearchText] = []  # changed long texts of stored rows
    retext: list[int] = []  # updated rows whose vector and words must follow their text
    for key, values in wanted.items():
        doc = docs_by_key[key]
        row = stored.get(key)
        if row is None:
            create.append((SearchDocument(kind=key[0], object_id=key[1], **values), doc))
            continue
        content = getattr(row, "content", None)
        long_changed = content is None or (content.summary, content.text) != (doc.summary, doc.text)
        text_changed = row.pk in stale_vectors or long_changed or row.title != values["title"]
        if long_changed:
            texts.append(SearchText(document=row, summary=doc.summary, text=doc.text))
        if text_changed or any(getattr(row, name) != values[name] for name in _CONTENT):
            if text_changed or (values["public"] and not row.public):
                retext.append(row.pk)
            for name, value in values.items():
                setattr(row, name, value)
            update.append(row)
    gone = [row.pk for key, row in stored.items() if key not in wanted]
    written = 0
    with transaction.atomic():
        if gone:
            written += SearchDocument.objects.filter(pk__in=gone).delete()[0]
        if create:
            SearchDocument.objects.bulk_create([row for row, _doc in create])
            texts += [
                SearchText(document=row, summary=doc.summary, text=doc.text) for row, doc in create
            ]
            written += len(create)
        if update:
            SearchDocument.objects.bulk_update(update, list(_CONTENT))
            written += len(update)
        if texts:
            SearchText.objects.bulk_create(
                texts,
                update_conflicts=True,
                unique_fields=["document"],
                update_fields=list(_LONG),
            )
        if postgres and (create or retext):
            keys = Q(pk__in=retext + [row.pk for row, _doc in create])
            SearchDocument.objects.filter(keys).update(vector=_vector())
            _add_words(keys)
    return written


# --- the word list misspellings are corrected from (PostgreSQL) --------------------------------

# The words of a document: its text split by the "simple" configuration (lower case, nothing
# stemmed or dropped), four to 60 letters, no digits.
_DOCUMENT_WORDS = """
    SELECT DISTINCT w.word
    FROM {documents} d
         JOIN {texts} t ON t.document_id = d.id,
         unnest(tsvector_to_array(to_tsvector('simple',
             d.title || ' ' || t.summary || ' ' || t.text))) AS w(word)
    WHERE d.public AND length(w.word) BETWEEN 4 AND 60 AND w.word !~ '[0-9_]' {extra}
"""


def _words_sql(extra: str = "") -> str:
    return _DOCUMENT_WORDS.format(
        documents=SearchDocument._meta.db_table, texts=SearchText._meta.db_table, extra=extra
    )


def _add_words(keys: Q) -> None:
    """Add the words of the public documents among `keys` to the word list."""
    pks = list(SearchDocument.objects.filter(keys, public=True).values_list("pk", flat=True))
    if not pks:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SearchWord._meta.db_table} (word) "
            f"{_words_sql('AND d.id = ANY(%s)')} ON CONFLICT (word) DO NOTHING",
            [pks],
        )


def rebuild_words() -> int:
    """Make the word list exactly the words of the public documents (dropping those of
    documents no longer public); returns the number of words added or removed."""
    if connection.vendor != "postgresql":
        return 0
    words = SearchWord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH now AS ({_words_sql()}),
            gone AS (
                DELETE FROM {words} sw
                WHERE NOT EXISTS (SELECT 1 FROM now WHERE now.word = sw.word)
                RETURNING 1
            ),
            added AS (
                INSERT INTO {words} (word) SELECT word FROM now
                ON CONFLICT (word) DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM added)
            """  # noqa: S608 - our names only
        )
        return int(cursor.fetchone()[0])


# --- documents of each source ------------------------------------------------------------------


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _item_url(item: AgendaItem) -> str:
    return reverse("meetings:item", args=[item.meeting_id, item.pk])


def _item_docs(item: AgendaItem) -> list[_Doc]:
    meeting = item.meeting
    day = _local_date(meeting.starts_at)
    url = _item_url(item)
    docs = [
        _Doc(
            kind=DocumentKind.ITEM,
            object_id=item.pk,
            url=url,
            title=item.title,
            summary=plain_text(item.recommendation),
            text=" ".join(filter(None, [plain_text(item.case_text), plain_text(item.presenter)])),
            date=day,
            body_id=meeting.body_id,
        )
    ]
    minutes = plain_text(item.minutes)
    if minutes:
        docs.append(
            _Doc(
                kind=DocumentKind.MINUTES,
                object_id=item.pk,
                url=url,
                title=item.title,
                text=minutes,
                date=day,
                body_id=meeting.body_id,
            )
        )
    return docs


def _index_item_rows(item_ids: Iterable[int]) -> int:
    ids = list(item_ids)
    docs = [
        doc
        for item in AgendaItem.objects.filter(pk__in=ids).select_related("meeting")
        for doc in _item_docs(item)
    ]
    return _sync([DocumentKind.ITEM, DocumentKind.MINUTES], ids, docs)


def index_items(item_ids: Iterable[int]) -> int:
    """(Re)index items and their minutes, with their sub-items and the attachments of both
    (closing an item closes its sub-items and attachments too); deleted items lose their
    documents."""
    ids = set(item_ids)
    ids |= set(AgendaItem.objects.filter(parent_id__in=ids).values_list("pk", flat=True))
    written = _index_item_rows(ids)
    written += index_attachments(
        Attachment.objects.filter(item_id__in=ids).values_list("pk", flat=True)
    )
    return written


def _attachment_doc(attachment: Attachment) -> _Doc:
    item = attachment.item
    return _Doc(
        kind=DocumentKind.ATTACHMENT,
        object_id=attachment.pk,
        url=reverse("meetings:attachment", args=[attachment.pk]),
        title=attachment.original_name,
        summary=plain_text(item.title),
        text=plain_text(attachment.extracted_text),
        date=_local_date(item.meeting.starts_at),
        body_id=item.meeting.body_id,
    )


def index_attachments(attachment_ids: Iterable[int]) -> int:
    ids = list(attachment_ids)
    attachments = Attachment.objects.filter(pk__in=ids).select_related("item__meeting")
    return _sync([DocumentKind.ATTACHMENT], ids, [_attachment_doc(a) for a in attachments])


def _meeting_doc(meeting: Meeting) -> _Doc:
    return _Doc(
        kind=DocumentKind.MEETING,
        object_id=meeting.pk,
        url=reverse("meetings:detail", args=[meeting.pk]),
        title=meeting.title,
        text=" ".join(filter(None, [meeting.place, meeting.case_number, meeting.body.name])),
        date=_local_date(meeting.starts_at),
        body_id=meeting.body_id,
    )


def _index_meeting_rows(ids: list[int]) -> int:
    meetings = Meeting.objects.filter(pk__in=ids).select_related("body")
    return _sync([DocumentKind.MEETING], ids, [_meeting_doc(m) for m in meetings])


def index_meetings(meeting_ids: Iterable[int]) -> int:
    """(Re)index meetings with their items and attachments (whose date is the meeting's)."""
    ids = list(meeting_ids)
    written = _index_meeting_rows(ids)
    written += _index_item_rows(
        AgendaItem.objects.filter(meeting_id__in=ids).values_list("pk", flat=True)
    )
    written += index_attachments(
        Attachment.objects.filter(item__meeting_id__in=ids).values_list("pk", flat=True)
    )
    return written


def _round_doc(round_: WrittenRound) -> _Doc:
    # Only the title and the outcome: the proposal is not public while the round is open, and
    # respondents' comments never enter the index.
    day = round_.decided_on or _local_date(round_.deadline)
    return _Doc(
        kind=DocumentKind.ROUND,
        object_id=round_.pk,
        url=round_.get_absolute_url(),
        title=round_.title,
        summary=plain_text(round_.resolution),
        date=day,
        body_id=round_.body_id,
        municipality_id=round_.proposer_municipality_id,
    )


def index_rounds(round_ids: Iterable[int]) -> int:
    ids = list(round_ids)
    return _sync(
        [DocumentKind.ROUND], ids, [_round_doc(r) for r in WrittenRound.objects.filter(pk__in=ids)]
    )


def _offer_doc(offer: Offer) -> _Doc:
    place = " ".join(filter(None, [offer.address, offer.postal_code, offer.city]))
    return _Doc(
        kind=DocumentKind.OFFER,
        object_id=offer.pk,
        url=offer.get_absolute_url(),
        title=offer.name,
        summary=plain_text(offer.steering_category),
        text=" ".join(
            filter(None, [plain_text(offer.description), offer.get_area_display(), place])
        ),
        municipality_id=offer.operator_municipality_id or offer.location_id,
    )


def index_offers(offer_ids: Iterable[int]) -> int:
    ids = list(offer_ids)
    return _sync(
        [DocumentKind.OFFER], ids, [_offer_doc(o) for o in Offer.objects.filter(pk__in=ids)]
    )


def _body_doc(body: Body) -> _Doc:
    return _Doc(
        kind=DocumentKind.BODY,
        object_id=body.pk,
        url=body.get_absolute_url(),
        title=body.name,
        summary=body.short_name,
        text=plain_text(body.mandate),
        body_id=body.pk,
    )


def _index_body_rows(ids: list[int]) -> int:
    return _sync([DocumentKind.BODY], ids, [_body_doc(b) for b in Body.objects.filter(pk__in=ids)])


def index_bodies(body_ids: Iterable[int]) -> int:
    """(Re)index bodies; a body that became public or stopped being so takes its meetings
    (with their items and attachments) and written rounds along, whose visibility follows it."""
    ids = list(body_ids)
    before = dict(
        SearchDocument.objects.filter(kind=DocumentKind.BODY, object_id__in=ids).values_list(
            "object_id", "public"
        )
    )
    written = _index_body_rows(ids)
    after = dict(
        SearchDocument.objects.filter(kind=DocumentKind.BODY, object_id__in=ids).values_list(
            "object_id", "public"
        )
    )
    turned = [pk for pk in ids if before.get(pk) != after.get(pk)]
    if turned:
        written += index_meetings(
            Meeting.objects.filter(body_id__in=turned).values_list("pk", flat=True)
        )
        written += index_rounds(
            WrittenRound.objects.filter(body_id__in=turned).values_list("pk", flat=True)
        )
    return written


def index_source(kind: str, object_ids: Iterable[int]) -> int:
    """(Re)index the sources of one kind of document."""
    index = {
        DocumentKind.ITEM: index_items,
        DocumentKind.MINUTES: index_items,
        DocumentKind.ATTACHMENT: index_attachments,
        DocumentKind.MEETING: index_meetings,
        DocumentKind.ROUND: index_rounds,
        DocumentKind.OFFER: index_offers,
        DocumentKind.BODY: index_bodies,
    }[DocumentKind(kind)]
    return index(object_ids)


# --- everything --------------------------------------------------------------------------------


def _batches(queryset: QuerySet[Any], size: int) -> Iterator[list[int]]:
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def reindex_all(batch_size: int = BATCH_SIZE) -> int:
    """Rebuild the whole index in batches; removes documents whose source is gone. Returns the
    number of rows written (0 when the index was up to date)."""
    written = 0
    sources: list[tuple[QuerySet[Any], Callable[[list[int]], int]]] = [
        (Body.objects.all(), _index_body_rows),
        (Meeting.objects.all(), _index_meeting_rows),
        (AgendaItem.objects.all(), _index_item_rows),
        (Attachment.objects.all(), index_attachments),
        (WrittenRound.objects.all(), index_rounds),
        (Offer.objects.all(), index_offers),
    ]
    for queryset, index in sources:
        for ids in _batches(queryset, batch_size):
            written += index(ids)
    orphans = Q()
    for kinds, model in [
        ((DocumentKind.ITEM, DocumentKind.MINUTES), AgendaItem),
        ((DocumentKind.ATTACHMENT,), Attachment),
        ((DocumentKind.MEETING,), Meeting),
        ((DocumentKind.ROUND,), WrittenRound),
        ((DocumentKind.OFFER,), Offer),
        ((DocumentKind.BODY,), Body),
    ]:
        orphans |= Q(kind__in=kinds) & ~Q(object_id__in=model._default_manager.values("pk"))
    stale = SearchDocument.objects.filter(orphans)
    if stale.exists():  # a DELETE of nothing is still a write to the seed's "writes nothing"
        written += stale.delete()[0]
    return written + rebuild_words()
