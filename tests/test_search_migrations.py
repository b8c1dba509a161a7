"""The search index's migrations on a database that already holds an index."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from search.indexing import reindex_all
from search.models import DocumentKind, SearchDocument, SearchText
from search.selectors import search
from tests.factories import BodyFactory

BEFORE = [("search", "0002_public_words")]
AFTER = [("search", "0003_search_text")]


def _migrate(target: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_the_texts_move_to_their_own_table_and_back_without_loss() -> None:
    body = BodyFactory(
        name="Netværk for kapacitetsstyring",
        short_name="NKS",
        is_public=True,
        mandate="Netværket følger belægningsprocenten på døgntilbud.",
    )
    reindex_all()
    document = SearchDocument.objects.get(kind=DocumentKind.BODY, object_id=body.pk)
    try:
        old_apps = _migrate(BEFORE)
        OldDocument = old_apps.get_model("search", "SearchDocument")
        old = OldDocument.objects.get(pk=document.pk)
        # Back: the texts are in the document's own columns again.
        assert (old.summary, old.text) == (
            "NKS",
            "Netværket følger belægningsprocenten på døgntilbud.",
        )
    finally:
        _migrate(AFTER)
    # Forward: in SearchText, the same document, nothing else rewritten.
    content = SearchText.objects.get(document_id=document.pk)
    assert (content.summary, content.text) == (
        "NKS",
        "Netværket følger belægningsprocenten på døgntilbud.",
    )
    assert SearchDocument.objects.filter(pk=document.pk, public=True).exists()
    assert reindex_all() == 0
    # And the text is found through the moved table (the word is in the mandate only).
    found = search(AnonymousUser(), "belægningsprocenten")
    assert [hit.object_id for hit in found.hits] == [body.pk]
    assert "<mark>" in found.hits[0].snippet
