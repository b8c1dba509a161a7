"""The search index: one `SearchDocument` per searchable text of the record.

A document holds its title, facet values, the `public` mark and, on PostgreSQL, its weighted
`tsvector` (danish configuration); its long texts (plain text, tags stripped) are kept apart in
`SearchText`, read only to make the snippets of the hits shown, so that the table every search
scans stays narrow (docs/search.md). Who may read a document is decided by the apps' visibility
functions (`search.access`), never by the index alone.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Body, Municipality


class DocumentKind(models.TextChoices):
    ITEM = "item", _("Dagsordenspunkt")
    MINUTES = "minutes", _("Referat")
    MEETING = "meeting", _("Møde")
    ROUND = "round", _("Skriftlig høring")
    ATTACHMENT = "attachment", _("Bilag")
    OFFER = "offer", _("Tilbud")
    BODY = "body", _("Organ")


class SearchDocument(models.Model):
    """The searchable text of one source object (an item, its minutes, a meeting, a round, an
    attachment, an offer or a body). `title` weighs most, then the `summary` (an item's
    recommendation, a round's outcome), then the `text` of its `SearchText`."""

    kind = models.CharField(_("type"), max_length=20, choices=DocumentKind.choices)
    object_id = models.PositiveBigIntegerField(_("objekt-id"))
    url = models.CharField(_("adresse"), max_length=300)
    title = models.CharField(_("titel"), max_length=400)
    date = models.DateField(_("dato"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("år"), null=True, blank=True)
    body = models.ForeignKey(
        Body,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organ"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kommune"),
    )
    # Whether an anonymous visitor may see the source, as `search.access.public_ids` says when
    # the document is (re)indexed: the visitor's search filters on it.
    public = models.BooleanField(_("offentlig"), default=False)
    # Filled on PostgreSQL only (search.indexing); unused on SQLite.
    vector = SearchVectorField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "object_id"]
        verbose_name = _("søgedokument")
        verbose_name_plural = _("søgedokumenter")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="searchdocument_unique"),
        ]
        indexes = [
            models.Index(fields=["date"]),
            models.Index(fields=["year"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class SearchText(models.Model):
    """The long texts of a search document, in a table of their own: a search scans the
    documents' vectors and facet values, and reads these only for the snippets of the page's
    hits (on the benchmark record the narrower table halves the time of a scan)."""

    document = models.OneToOneField(
        SearchDocument,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="content",
        verbose_name=_("søgedokument"),
    )
    summary = models.TextField(_("resumé"), blank=True)
    text = models.TextField(_("tekst"), blank=True)

    class Meta:
        verbose_name = _("søgetekst")
        verbose_name_plural = _("søgetekster")

    def __str__(self) -> str:
        return str(self.document)


class SearchWord(models.Model):
    """A word that occurs in a public document (PostgreSQL only): the list misspelt search
    words are corrected from (trigram similarity). Only public documents' words enter it, so a
    suggestion never shows a word of a text the reader may not see; words of a document that
    stops being public leave at the next full reindex (`search_reindex`)."""

    word = models.CharField(_("ord"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("søgeord")
        verbose_name_plural = _("søgeord")

    def __str__(self) -> str:
        return self.word
