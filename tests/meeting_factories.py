"""factory_boy factories for meetings. Services are tested through the services; these build
meetings directly in any state, for the visibility matrix and other read-side tests."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import factory

from meetings.models import AgendaItem, Attachment, Attendance, ItemKind, Meeting, MeetingState
from tests.factories import BodyFactory, PersonFactory

CPH = ZoneInfo("Europe/Copenhagen")
PUBLISHED_AGENDA = {
    MeetingState.AGENDA_PUBLISHED,
    MeetingState.MINUTES_DRAFT,
    MeetingState.MINUTES_PUBLISHED,
}


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    body = factory.SubFactory(BodyFactory)
    title = factory.LazyAttribute(lambda o: f"Møde i {o.body.name}")
    starts_at = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=CPH)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
    place = "Regionshuset Viborg"
    state = MeetingState.DRAFT
    agenda_published_at = factory.LazyAttribute(
        lambda o: o.starts_at - datetime.timedelta(days=7) if o.state in PUBLISHED_AGENDA else None
    )
    minutes_published_at = factory.LazyAttribute(
        lambda o: (
            o.starts_at + datetime.timedelta(days=7)
            if o.state == MeetingState.MINUTES_PUBLISHED
            else None
        )
    )


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    parent = None
    order = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda o: str(o.order))
    title = factory.Sequence(lambda n: f"Punkt {n}")
    kind = ItemKind.DECISION


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    meeting = factory.SubFactory(MeetingFactory)
    person = factory.SubFactory(PersonFactory)


class AttachmentFactory(factory.django.DjangoModelFactory):
    """An attachment row without a stored file (for read-side tests)."""

    class Meta:
        model = Attachment

    item = factory.SubFactory(AgendaItemFactory)
    file = "meetings/attachments/2026/ikke-gemt.pdf"
    original_name = "bilag.pdf"
    content_type = "application/pdf"
    size = 1234
    sha256 = "0" * 64
