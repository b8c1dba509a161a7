"""Search over the whole record: the same visibility as every other channel (a closed item, a
draft, unpublished minutes, an open or confidential round, an uncovered offer is never found,
counted or shown in a snippet for those who may not see it), the page, and — on PostgreSQL —
Danish stemming, compound prefixes, misspellings, snippets, facets and pagination."""

from __future__ import annotations

import datetime
import os
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import attachments as attachment_module
from meetings import services
from meetings.models import ExtractionStatus, MeetingState
from rounds.models import RoundState
from search.access import public_ids
from search.indexing import reindex_all
from search.models import DocumentKind, SearchDocument, SearchWord
from search.selectors import PAGE_SIZE, search
from tests.conftest import World, _client_for
from tests.factories import MembershipFactory, PersonFactory, UserFactory
from tests.meeting_factories import CPH, AgendaItemFactory, AttachmentFactory, MeetingFactory
from tests.offer_factories import OfferFactory
from tests.round_factories import RespondentFactory, WrittenRoundFactory
from tests.test_meetings_services import docx_bytes

postgres_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="needs PostgreSQL: set DATABASE_URL=postgres://…",
    ),
]

SECRET = "Hemmeligsag"  # planted in closed text; searched for in lower case
OUTSIDERS = ["anonymous", "member_b", "editor"]
INSIDERS = ["member_a", "staff"]


def user_of(world: World, name: str) -> Any:
    return AnonymousUser() if name == "anonymous" else getattr(world, name)


def published_meeting(world: World, **kwargs: Any) -> Any:
    kwargs.setdefault("state", MeetingState.MINUTES_PUBLISHED)
    return MeetingFactory(body=world.body_a, **kwargs)


@pytest.fixture
def closed_item(world: World) -> Any:
    meeting = published_meeting(world)
    AgendaItemFactory(
        meeting=meeting, title="Åbent punkt om takster", case_text="<p>Åben tekst</p>"
    )
    item = AgendaItemFactory(
        meeting=meeting,
        title="Lukket sag",
        case_text=f"<p>Borgerens forhold: {SECRET}fortrolig.</p>",
        recommendation=f"<p>{SECRET}indstilling</p>",
        minutes=f"<p>{SECRET}referat</p>",
        is_closed=True,
    )
    sub = AgendaItemFactory(meeting=meeting, parent=item, order=1, title=f"{SECRET} underpunkt")
    AttachmentFactory(
        item=item, original_name="notat.pdf", extracted_text=f"Bilag om {SECRET}bilag"
    )
    AttachmentFactory(item=sub, original_name="sub.pdf", extracted_text=f"{SECRET}subbilag")
    reindex_all()
    return item


# --- the permission matrix -----------------------------------------------------------------------


@pytest.mark.parametrize("name", OUTSIDERS)
def test_outsider_never_finds_counts_or_sees_closed_item_text(
    world: World, closed_item: Any, name: str
) -> None:
    results = search(user_of(world, name), SECRET.lower())
    assert results.total == 0
    assert results.hits == []
    assert all(not values for values in results.facets.values())
    client = _client_for(None if name == "anonymous" else user_of(world, name))
    html = client.get(reverse("search"), {"q": SECRET.lower()}).content.decode()
    for leaked in ("fortrolig", "indstilling", "referat<", "notat.pdf", "underpunkt", "subbilag"):
        assert f"{SECRET}{leaked}" not in html
    assert "Lukket sag" not in html


@pytest.mark.parametrize("name", INSIDERS)
def test_member_and_staff_find_closed_item_text(world: World, closed_item: Any, name: str) -> None:
    results = search(user_of(world, name), SECRET.lower())
    kinds = sorted(hit.kind for hit in results.hits)
    # the item, its sub-item, its minutes and both attachments
    assert kinds == sorted(
        [
            DocumentKind.ATTACHMENT,
            DocumentKind.ATTACHMENT,
            DocumentKind.ITEM,
            DocumentKind.ITEM,
            DocumentKind.MINUTES,
        ]
    )
    assert results.total == 5
    assert {f.value: f.count for f in results.facets["kind"]} == {
        "item": 2,
        "minutes": 1,
        "attachment": 2,
    }


def test_former_member_finds_closed_items_of_their_time_only(world: World) -> None:
    # Membership on the meeting date opens a closed item (meetings.visibility); the search asks
    # only about documents of bodies the reader has belonged to, and must not lose these.
    former = UserFactory(email="tidligere@example.dk")
    MembershipFactory(
        person=PersonFactory(user=former, municipality=world.municipality),
        body=world.body_a,
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2021, 12, 31),
    )
    then = published_meeting(world, starts_at=datetime.datetime(2021, 5, 1, 10, tzinfo=CPH))
    later = published_meeting(world, starts_at=datetime.datetime(2024, 5, 1, 10, tzinfo=CPH))
    AgendaItemFactory(meeting=then, title="Lukket dengang", is_closed=True)
    AgendaItemFactory(meeting=later, title="Lukket senere", is_closed=True)
    reindex_all()
    assert [hit.title for hit in search(former, "lukket").hits] == ["Lukket dengang"]
    assert search(world.member_a, "lukket").total == 2
    assert search(world.member_b, "lukket").total == 0


@pytest.mark.parametrize("name", ["anonymous", "member_a", "member_b", "editor"])
def test_draft_meeting_items_are_found_by_staff_only(world: World, name: str) -> None:
    meeting = published_meeting(world, state=MeetingState.DRAFT, title="Kladdemøde")
    AgendaItemFactory(meeting=meeting, title="Udkastpunkt", case_text="Kladdetekst")
    reindex_all()
    for query in ("udkastpunkt", "kladdetekst", "kladdemøde"):
        assert search(user_of(world, name), query).total == 0
        assert search(world.staff, query).total >= 1


@pytest.mark.parametrize("state", [MeetingState.AGENDA_PUBLISHED, MeetingState.MINUTES_DRAFT])
def test_unpublished_minutes_are_never_found_but_by_staff(world: World, state: str) -> None:
    meeting = published_meeting(world, state=state)
    AgendaItemFactory(meeting=meeting, title="Budget", minutes="<p>Referatudkast vedtaget</p>")
    reindex_all()
    for name in ["anonymous", "member_a", "member_b", "editor"]:
        assert search(user_of(world, name), "referatudkast").total == 0
    assert search(world.staff, "referatudkast").total == 1


def test_published_minutes_are_found_by_the_public(world: World) -> None:
    AgendaItemFactory(meeting=published_meeting(world), title="Budget", minutes="Godkendt budget")
    reindex_all()
    results = search(AnonymousUser(), "godkendt")
    assert [hit.kind for hit in results.hits] == [DocumentKind.MINUTES]
    assert "<mark>" in results.hits[0].snippet


def test_non_public_body_is_for_its_members(world: World) -> None:
    world.body_a.is_public = False
    world.body_a.save()
    AgendaItemFactory(meeting=published_meeting(world), title="Intern drøftelse")
    reindex_all()
    assert search(AnonymousUser(), "intern").total == 0
    assert search(world.member_b, "intern").total == 0
    assert search(world.member_a, "intern").total == 1


def test_rounds_only_closed_public_ones_for_the_public(world: World) -> None:
    decided = timezone.localdate()
    approved = WrittenRoundFactory(
        body=world.body_a,
        title="Høring om ventelister",
        state=RoundState.APPROVED,
        resolution="Forslaget er godkendt uden indsigelser",
        resolved_at=timezone.now(),
        decided_on=decided,
        proposer_municipality=world.municipality,
    )
    WrittenRoundFactory(body=world.body_a, title="Åben ventelistehøring", state=RoundState.OPEN)
    WrittenRoundFactory(
        body=world.body_a,
        title="Fortrolig ventelistehøring",
        state=RoundState.APPROVED,
        resolution="Godkendt",
        resolved_at=timezone.now(),
        decided_on=decided,
        is_confidential=True,
    )
    RespondentFactory(round=approved, comment="Kommentarmærke fra respondent")
    reindex_all()
    public = search(AnonymousUser(), "venteliste")
    assert [hit.title for hit in public.hits] == ["Høring om ventelister"]
    assert {f.label: f.count for f in public.facets["municipality"]} == {"Viborg Kommune": 1}
    assert search(world.member_a, "venteliste").total == 3
    assert search(world.member_b, "venteliste").total == 1
    # Proposals and respondents' comments never enter the index.
    assert search(world.staff, "kommentarmærke").total == 0
    assert search(world.staff, "botilbuddet").total == 0


def test_uncovered_offers_are_hidden_from_the_public(world: World) -> None:
    OfferFactory(name="Dækket bosted", operator_municipality=world.municipality)
    OfferFactory(name="Udenfor bosted", operator_municipality=world.municipality, is_covered=False)
    reindex_all()
    assert [h.title for h in search(AnonymousUser(), "bosted").hits] == ["Dækket bosted"]
    assert search(world.member_b, "bosted").total == 1
    assert search(world.editor, "bosted").total == 2
    assert search(world.staff, "bosted").total == 2


# --- keeping the index up to date ----------------------------------------------------------------


def test_index_follows_saves_and_deletes(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = published_meeting(world)
    with django_capture_on_commit_callbacks(execute=True):
        item = AgendaItemFactory(meeting=meeting, title="Kapacitetsplan")
    assert search(AnonymousUser(), "kapacitetsplan").total == 1
    with django_capture_on_commit_callbacks(execute=True):
        attachment = AttachmentFactory(item=item)
    assert search(AnonymousUser(), "udtrukketord").total == 0
    # Text extraction finishing saves the attachment: its text becomes searchable.
    attachment.extracted_text = "Udtrukketord fra PDF"
    attachment.extraction_status = ExtractionStatus.DONE
    with django_capture_on_commit_callbacks(execute=True):
        attachment.save()
    assert search(AnonymousUser(), "udtrukketord").total == 1
    # Moving the meeting back to draft hides everything at once (permissions are live).
    meeting.state = MeetingState.DRAFT
    meeting.agenda_published_at = None
    meeting.minutes_published_at = None
    with django_capture_on_commit_callbacks(execute=True):
        meeting.save()
    assert search(AnonymousUser(), "kapacitetsplan").total == 0
    with django_capture_on_commit_callbacks(execute=True):
        item.delete()
    assert not SearchDocument.objects.filter(kind=DocumentKind.ITEM, object_id=item.pk).exists()
    assert not SearchDocument.objects.filter(kind=DocumentKind.ATTACHMENT).exists()


def test_extracted_attachment_text_becomes_searchable(
    world: World, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The real path: an upload whose text the extraction task (in-process here) pulls out of
    # the file; its words are found once it has run, with no save by anyone else.
    settings.MEDIA_ROOT = str(tmp_path)
    item = AgendaItemFactory(meeting=published_meeting(world), title="Punkt med bilag")
    with django_capture_on_commit_callbacks(execute=True):
        attachment = services.attachment_add(
            item=item,
            upload=SimpleUploadedFile("notat.docx", docx_bytes("Spilleregler for Udtrækningsord")),
            by=world.staff,
        )
    with django_capture_on_commit_callbacks(execute=True):
        attachment_module.extract_text(attachment.pk)
    attachment.refresh_from_db()
    assert attachment.extraction_status == ExtractionStatus.DONE
    found = search(AnonymousUser(), "udtrækningsord")
    assert found.total == 1
    assert found.hits[0].kind == DocumentKind.ATTACHMENT


def _marks_follow_the_live_functions() -> None:
    """Every stored `public` mark is what the visibility functions say for a visitor now."""
    for kind in DocumentKind.values:
        stored = dict(SearchDocument.objects.filter(kind=kind).values_list("object_id", "public"))
        live = public_ids(kind, stored)
        assert {pk for pk, public in stored.items() if public} == live, kind


def test_public_marks_follow_every_change_of_visibility(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    def saved(obj: Any) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            obj.save()

    with django_capture_on_commit_callbacks(execute=True):
        meeting = published_meeting(world)
        item = AgendaItemFactory(meeting=meeting, title="Overpunkt", minutes="Vedtaget")
        sub = AgendaItemFactory(meeting=meeting, parent=item, order=1, title="Underpunktord")
        AttachmentFactory(item=sub, extracted_text="Mærkeord i underbilag")
        approved = WrittenRoundFactory(
            body=world.body_a,
            title="Mærkehøring",
            state=RoundState.APPROVED,
            resolution="Godkendt",
            resolved_at=timezone.now(),
            decided_on=timezone.localdate(),
        )
    _marks_follow_the_live_functions()
    assert search(AnonymousUser(), "mærkeord").total == 1
    # Closing the parent closes its sub-item and their attachments at once.
    item.is_closed = True
    saved(item)
    _marks_follow_the_live_functions()
    assert search(AnonymousUser(), "mærkeord").total == 0
    assert search(AnonymousUser(), "underpunktord").total == 0
    item.is_closed = False
    saved(item)
    assert search(AnonymousUser(), "mærkeord").total == 1
    # A body that stops being public takes its meetings, items, attachments and rounds along.
    world.body_a.is_public = False
    saved(world.body_a)
    _marks_follow_the_live_functions()
    for query in ("mærkeord", "underpunktord", "mærkehøring", "overpunkt"):
        assert search(AnonymousUser(), query).total == 0, query
        assert search(world.member_a, query).total >= 1, query
    world.body_a.is_public = True
    saved(world.body_a)
    _marks_follow_the_live_functions()
    assert search(AnonymousUser(), "mærkehøring").total == 1
    # A round withdrawn from the public (made confidential) leaves with its own save.
    approved.is_confidential = True
    saved(approved)
    assert search(AnonymousUser(), "mærkehøring").total == 0
    # Unpublishing the minutes hides them.
    meeting.state = MeetingState.AGENDA_PUBLISHED
    meeting.minutes_published_at = None
    saved(meeting)
    _marks_follow_the_live_functions()
    assert search(AnonymousUser(), "vedtaget").total == 0


def test_a_stale_public_mark_never_shows_a_hit(world: World, closed_item: Any) -> None:
    # Should a mark ever be stale (a change no signal saw), the page's hits are still checked
    # against the live functions: the hit is hidden, and its document mended.
    SearchDocument.objects.filter(kind=DocumentKind.ITEM, object_id=closed_item.pk).update(
        public=True
    )
    results = search(AnonymousUser(), SECRET.lower())
    assert results.hits == []
    assert not SearchDocument.objects.get(kind=DocumentKind.ITEM, object_id=closed_item.pk).public
    assert search(AnonymousUser(), SECRET.lower()).total == 0


def test_reindex_is_idempotent(world: World, closed_item: Any) -> None:
    assert reindex_all() == 0
    with CaptureQueriesContext(connection) as queries:
        reindex_all(batch_size=2)
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    closed_item.title = "Ny titel"
    closed_item.save()
    assert reindex_all() == 3  # the item, its minutes and its attachment (item title)


def test_reindex_command(world: World, closed_item: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    SearchDocument.objects.all().delete()
    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert SearchDocument.objects.filter(kind=DocumentKind.ITEM).count() == 3
    assert "dokumenter" in out.getvalue()


# --- the page ------------------------------------------------------------------------------------


def test_page_shows_hits_with_escaped_highlighted_snippets(
    world: World, anonymous_client: Client
) -> None:
    AgendaItemFactory(
        meeting=published_meeting(world),
        title="Takster for 2027",
        case_text="<p>Om takster &lt;script&gt;alert(1)&lt;/script&gt; og mere.</p>",
    )
    reindex_all()
    html = anonymous_client.get(reverse("search"), {"q": "takster"}).content.decode()
    assert ">Takster for 2027</a>" in html
    assert "<mark>" in html
    assert "<script>alert(1)" not in html
    if connection.vendor == "sqlite":
        assert "&lt;script&gt;" in html
    assert "Dagsordenspunkt" in html


def test_page_facet_links_narrow_and_ignore_bad_parameters(
    world: World, anonymous_client: Client
) -> None:
    meeting = published_meeting(world)
    AgendaItemFactory(meeting=meeting, title="Takstmodel", minutes="Takstmodel vedtaget")
    reindex_all()
    response = anonymous_client.get(reverse("search"), {"q": "takstmodel"})
    assert response.context["results"].total == 2
    response = anonymous_client.get(reverse("search"), {"q": "takstmodel", "kind": "minutes"})
    assert response.context["results"].total == 1
    (kinds,) = [g for g in response.context["facet_groups"] if g.name == "kind"]
    (chosen,) = [link for link in kinds.links if link.selected]
    assert chosen.count == 1
    assert "kind=" not in chosen.url  # the chosen facet's link takes the choice away again
    response = anonymous_client.get(
        reverse("search"),
        {"q": "takstmodel", "kind": "nope", "year": "x", "page": "-3", "sort": "evil"},
    )
    assert response.status_code == 200
    assert response.context["results"].total == 2
    year = meeting.starts_at.astimezone(CPH).year
    response = anonymous_client.get(reverse("search"), {"q": "takstmodel", "year": year - 1})
    assert response.context["results"].total == 0


def _build(world: World, n: int) -> None:
    for i in range(n):
        meeting = published_meeting(
            world, starts_at=datetime.datetime(2020 + i % 5, 3, 1 + i % 27, 10, 0, tzinfo=CPH)
        )
        item = AgendaItemFactory(
            meeting=meeting, title=f"Rammeaftale {i}", minutes="Rammeaftale ok"
        )
        AgendaItemFactory(meeting=meeting, title=f"Rammeaftale lukket {i}", is_closed=True)
        AttachmentFactory(item=item, extracted_text="Rammeaftale bilag")
        WrittenRoundFactory(body=world.body_a, title=f"Rammeaftale høring {i}")
        OfferFactory(name=f"Rammeaftale tilbud {i}")
    reindex_all()


@pytest.mark.parametrize("name", ["anonymous", "member_a"])
def test_page_runs_a_fixed_number_of_queries(world: World, name: str) -> None:
    client = _client_for(None if name == "anonymous" else user_of(world, name))
    counts = []
    for n in (1, 10):
        _build(world, n if n == 1 else n - 1)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("search"), {"q": "rammeaftale"})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # One statement gives the page's ids, the total and every facet; one loads the hits and
    # one checks them against the live visibility functions. A member's search first looks up
    # the bodies they have belonged to, reads the matching documents not marked public of those
    # and asks which of them they may see (three more).
    assert counts[0] == (6 if name == "anonymous" else 14)


# --- PostgreSQL: Danish full-text search ----------------------------------------------------------


def _pg(test: Any) -> Any:
    for mark in postgres_only:
        test = mark(test)
    return test


@_pg
def test_pg_vectors_use_danish_stemming(world: World) -> None:
    AgendaItemFactory(
        meeting=published_meeting(world),
        title="Regulering",
        case_text="Taksterne for 2027 reguleres med pris- og lønudviklingen.",
    )
    reindex_all()
    results = search(AnonymousUser(), "takster", kind="item")
    assert results.total == 1
    assert "<mark>Taksterne</mark>" in results.hits[0].snippet


@_pg
def test_pg_prefix_finds_compounds(world: World) -> None:
    AgendaItemFactory(
        meeting=published_meeting(world),
        title="Kapacitetsjusteringer på botilbud",
        case_text="Oversigt.",
    )
    reindex_all()
    assert search(AnonymousUser(), "kapacitet").total == 1


@_pg
def test_pg_misspelling_is_corrected_from_public_words_only(world: World) -> None:
    AgendaItemFactory(meeting=published_meeting(world), title="Kapacitet", case_text="Tekst.")
    AgendaItemFactory(
        meeting=published_meeting(world),
        title="Lukket kapacitet",
        case_text="Fortroligordet står kun her.",
        is_closed=True,
    )
    reindex_all()
    results = search(AnonymousUser(), "kapasitet")
    assert results.fallback == "corrected"
    assert results.searched == "kapacitet"
    assert [hit.title for hit in results.hits] == ["Kapacitet"]
    assert results.total == 1
    # A word only a closed text holds is never offered as a correction, to anyone.
    for user in (AnonymousUser(), world.member_a, world.staff):
        near = search(user, "fortroligordit")
        assert near.searched == ""
        assert "fortroligordet" not in near.searched
    # A word that is known (also as the start of a longer one) is not "corrected".
    assert search(AnonymousUser(), "kapaci").fallback == ""
    # The page says what it searched for instead.
    html = Client().get(reverse("search"), {"q": "kapasitet"}).content.decode()
    assert "Viser resultater for »kapacitet«" in html


@_pg
def test_pg_words_that_never_meet_fall_back_to_any_of_them(world: World) -> None:
    meeting = published_meeting(world)
    AgendaItemFactory(meeting=meeting, title="Efterregulering", case_text="Tekst.")
    AgendaItemFactory(meeting=meeting, title="Botilbud", case_text="Tekst.")
    reindex_all()
    both = search(AnonymousUser(), "efterregulering botilbud")
    assert both.fallback == "any"
    assert sorted(hit.title for hit in both.hits) == ["Botilbud", "Efterregulering"]
    assert search(AnonymousUser(), "efterregulering tekst").fallback == ""


@_pg
def test_pg_word_list_follows_reindex(world: World) -> None:
    item = AgendaItemFactory(meeting=published_meeting(world), title="Kortvarigt", case_text="")
    reindex_all()
    assert SearchWord.objects.filter(word="kortvarigt").exists()
    item.is_closed = True
    item.save()
    reindex_all()
    assert not SearchWord.objects.filter(word="kortvarigt").exists()
    assert reindex_all() == 0


@_pg
def test_pg_snippet_is_escaped_and_title_weighs_more(world: World) -> None:
    meeting = published_meeting(world)
    AgendaItemFactory(meeting=meeting, title="Andet", case_text="<p>Om takstloft &amp; mere</p>")
    AgendaItemFactory(meeting=meeting, title="Takstloft", case_text="Intet")
    reindex_all()
    results = search(AnonymousUser(), "takstloft")
    assert [hit.title for hit in results.hits] == ["Takstloft", "Andet"]
    assert "<mark>takstloft</mark> &amp; mere" in results.hits[1].snippet


@_pg
def test_pg_facets_count_permitted_documents_only(world: World, closed_item: Any) -> None:
    results = search(AnonymousUser(), "takster")
    # the open item, and the body "Takstgruppen" (prefix takst*), never the closed item
    assert results.total == 2
    assert {f.value: f.count for f in results.facets["kind"]} == {"item": 1, "body": 1}
    assert {(f.label, f.count) for f in results.facets["body"]} == {
        ("Forretningsudvalget", 1),
        ("Takstgruppen", 1),
    }
    assert search(AnonymousUser(), SECRET.lower()).total == 0
    assert search(world.member_a, SECRET.lower()).total == 5


@_pg
def test_pg_pagination_is_stable(world: World) -> None:
    meeting = published_meeting(world)
    for i in range(PAGE_SIZE + 5):
        AgendaItemFactory(meeting=meeting, title=f"Handleplan {i}", case_text="Handleplan")
    reindex_all()
    first = search(AnonymousUser(), "handleplan", page=1)
    again = search(AnonymousUser(), "handleplan", page=1)
    second = search(AnonymousUser(), "handleplan", page=2)
    assert first.total == PAGE_SIZE + 5
    assert [h.object_id for h in first.hits] == [h.object_id for h in again.hits]
    assert len(second.hits) == 5
    assert not {h.object_id for h in first.hits} & {h.object_id for h in second.hits}
    by_date = search(AnonymousUser(), "handleplan", sort="date", page=2)
    assert len(by_date.hits) == 5


@pytest.mark.parametrize(
    "chosen",
    [{}, {"kind": "item"}, {"year": 2025}, {"kind": "item", "body": "a"}],
    ids=["none", "kind", "year", "kind+body"],
)
def test_facet_counts_equal_direct_counts(world: World, chosen: dict[str, Any]) -> None:
    """The total and every facet from the one grouped statement equal plain counts: each facet
    over the documents that satisfy the other facets' choices."""
    for i in range(3):
        meeting = MeetingFactory(
            body=world.body_a if i % 2 else world.body_b,
            state=MeetingState.MINUTES_PUBLISHED,
            starts_at=datetime.datetime(2024 + i, 3, 1, 10, tzinfo=CPH),
        )
        AgendaItemFactory(meeting=meeting, title=f"Kapacitet på botilbud {i}", minutes="Kapacitet")
    OfferFactory(name="Botilbuddet Kapacitet", operator_municipality=world.municipality)
    reindex_all()
    if chosen.get("body") == "a":
        chosen = {**chosen, "body": world.body_a.pk}
    results = search(world.staff, "kapacitet", **chosen)
    documents = SearchDocument.objects.filter(
        Q(title__icontains="kapacitet") | Q(content__text__icontains="kapacitet")
    )
    field_of = {
        "kind": "kind",
        "body": "body_id",
        "year": "year",
        "municipality": "municipality_id",
    }

    def narrowed(skip: str = "") -> Any:
        return documents.filter(
            **{field_of[name]: value for name, value in chosen.items() if name != skip}
        )

    assert results.total == narrowed().count() > 0
    for name, values in results.facets.items():
        direct = {
            str(row[field_of[name]]): row["n"]
            for row in narrowed(skip=name)
            .exclude(**{f"{field_of[name]}__isnull": True})
            .values(field_of[name])
            .annotate(n=Count("pk"))
        }
        assert {value.value: value.count for value in values} == direct, name
        assert [value.value for value in values if value.selected] == (
            [str(chosen[name])] if name in chosen else []
        )
