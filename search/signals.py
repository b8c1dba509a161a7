"""Keeping the index up to date: after a searchable object is saved or deleted, its documents
are rebuilt once the transaction commits (idempotent, so repeated saves cost only reads)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from meetings.models import AgendaItem, Attachment, Meeting
from offers.models import Offer
from organizations.models import Body
from rounds.models import WrittenRound
from search import indexing

_HANDLERS: list[tuple[type[Any], Callable[[Iterable[int]], int]]] = [
    (AgendaItem, indexing.index_items),
    (Attachment, indexing.index_attachments),
    # A meeting's state and date decide its items' dates; its documents are rebuilt with it.
    (Meeting, indexing.index_meetings),
    (WrittenRound, indexing.index_rounds),
    (Offer, indexing.index_offers),
    (Body, indexing.index_bodies),
]


def _receiver(index: Callable[[Iterable[int]], int]) -> Callable[..., None]:
    def reindex(sender: type[Any], instance: Any, **kwargs: Any) -> None:
        if kwargs.get("raw"):  # fixtures: the reindex command catches up
            return
        pk = instance.pk
        if pk is None:
            return
        transaction.on_commit(lambda: index([pk]), robust=True)

    return reindex


def connect() -> None:
    for model, index in _HANDLERS:
        receiver = _receiver(index)
        uid = f"search-index-{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}-save")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}-delete")
