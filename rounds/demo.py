"""Demo written rounds of DASSOS (seed 001 §6): capacity adjustments between the two yearly
meetings, circulated to one director per municipality and the Region.

- Herning Kommune's 3 extra places on a § 108 home: everyone answered "Ingen bemærkninger";
  approved at the deadline.
- Region Midtjylland's 4 fewer places on a § 107 centre: Aarhus Kommune objected; referred, with
  its follow-up item on DASSOS's March meeting (the draft from meetings/demo.py).
- Skanderborg Kommune's temporary over-occupancy: open until 3 December 2026, four answers so far.

The rows are written directly, as the services would have left them (events, resolution texts,
decision dates, the follow-up item): the services check the secretariat's permission and the
clock. A round is written once and then left alone — its state is the clock's and the
secretariat's business from then on, so a second run writes nothing and never reopens a round
the periodic task has since resolved. Dates follow the demo meetings (autumn 2026).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from core.seeding import Counter
from core.workdays import add_working_days
from meetings.models import AgendaItem, ItemKind, Meeting
from meetings.sanitize import sanitize_html
from organizations.models import Body, Municipality, Region
from rounds.models import Answer, EventKind, Respondent, RoundEvent, RoundState, WrittenRound
from rounds.services import (
    approval_resolution,
    default_respondents,
    follow_up_case_text,
    follow_up_title,
    next_meeting,
    party_name,
    referral_resolution,
)

CPH = ZoneInfo("Europe/Copenhagen")
WORKING_DAYS = 10  # the default answer period (ROUNDS_DEFAULT_WORKING_DAYS)
DEADLINE_HOUR = 12  # the default hour (ROUNDS_DEADLINE_HOUR)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=CPH)


def _p(*paragraphs: str) -> str:
    # One paragraph a line, so the plain-text mails (striptags) keep them apart.
    return "\n".join(f"<p>{escape(text)}</p>" for text in paragraphs)


def _in_danish(message: str, **params: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % params


@dataclass
class DemoAnswer:
    answer: str
    day: datetime.date
    hour: int
    comment: str = ""


@dataclass
class DemoRound:
    title: str
    proposer: str  # a municipality's or the Region's name
    proposal: str
    justification: str
    proposed_decision: str
    sent_on: datetime.date
    # Respondent's affiliation name → their answer; the others stay silent.
    answers: dict[str, DemoAnswer] = field(default_factory=dict)
    resolve: bool = True

    @property
    def sent_at(self) -> datetime.datetime:
        return _at(self.sent_on, 9, 30)

    @property
    def deadline(self) -> datetime.datetime:
        return _at(add_working_days(self.sent_on, WORKING_DAYS), DEADLINE_HOUR)


MUNICIPALITIES = (
    "Aarhus Kommune",
    "Favrskov Kommune",
    "Herning Kommune",
    "Horsens Kommune",
    "Ikast-Brande Kommune",
    "Skanderborg Kommune",
    "Struer Kommune",
    "Viborg Kommune",
)
REGION = "Region Midtjylland"


def _all_agree(first: datetime.date) -> dict[str, DemoAnswer]:
    """Everyone answers "Ingen bemærkninger" over the first week and a half."""
    answers: dict[str, DemoAnswer] = {}
    for index, name in enumerate((*MUNICIPALITIES, REGION)):
        day = add_working_days(first, index // 2)
        answers[name] = DemoAnswer(Answer.NO_OBJECTION, day, 9 + index % 6)
    answers["Viborg Kommune"].comment = "Viborg Kommune bakker op om udvidelsen."
    return answers


LUPINVEJ = DemoRound(
    title="Herning Kommune: 3 ekstra pladser på Bofællesskabet Lupinvej (SEL § 108)",
    proposer="Herning Kommune",
    proposal=_p(
        "Herning Kommune foreslår, at Bofællesskabet Lupinvej (længerevarende botilbud efter "
        "servicelovens § 108) udvides fra 16 til 19 pladser fra 1. januar 2027.",
        "Udvidelsen sker i den eksisterende tilbygning og ændrer ikke taksten for 2027, som er "
        "beregnet på 19 pladser og en belægningsprocent på 97.",
    ),
    justification=_p(
        "Tilbuddet har haft en belægning på over 100 % de seneste 12 måneder, og fem kommuner "
        "har borgere på venteliste. Med to møder i DASSOS om året kan udvidelsen først "
        "godkendes i marts, hvilket er for sent til budgetlægningen og ansættelserne.",
    ),
    proposed_decision=_p(
        "DASSOS godkender, at Bofællesskabet Lupinvej udvides fra 16 til 19 pladser fra "
        "1. januar 2027."
    ),
    sent_on=datetime.date(2026, 9, 14),
    answers=_all_agree(datetime.date(2026, 9, 14)),
)

BOEGESKOVEN = DemoRound(
    title="Region Midtjylland: 4 pladser færre på Specialcenter Bøgeskoven (SEL § 107)",
    proposer=REGION,
    proposal=_p(
        "Region Midtjylland foreslår at nedjustere Specialcenter Bøgeskoven (midlertidigt "
        "botilbud efter servicelovens § 107) fra 24 til 20 pladser fra 1. april 2027.",
        "De fire pladser i afdeling Egen lukkes; personalet flyttes til de øvrige afdelinger.",
    ),
    justification=_p(
        "Belægningen har i 2026 ligget på 78 %. Med 20 pladser forventes en belægning på 94 %, "
        "og taksten kan holdes på 2026-niveau (PL-reguleret).",
    ),
    proposed_decision=_p(
        "DASSOS godkender, at Specialcenter Bøgeskoven nedjusteres fra 24 til 20 pladser fra "
        "1. april 2027."
    ),
    sent_on=datetime.date(2026, 10, 26),
    answers={
        "Aarhus Kommune": DemoAnswer(
            Answer.OBJECTION,
            datetime.date(2026, 11, 4),
            14,
            "Aarhus Kommune forventer at visitere tre borgere til tilbuddet i foråret 2027 og "
            "ønsker nedjusteringen drøftet med regionen, før kapaciteten ændres.",
        ),
        "Favrskov Kommune": DemoAnswer(Answer.NO_OBJECTION, datetime.date(2026, 10, 27), 10),
        "Herning Kommune": DemoAnswer(Answer.NO_OBJECTION, datetime.date(2026, 10, 28), 13),
        "Horsens Kommune": DemoAnswer(Answer.NO_OBJECTION, datetime.date(2026, 10, 30), 9),
        "Struer Kommune": DemoAnswer(Answer.NO_OBJECTION, datetime.date(2026, 11, 2), 11),
        "Viborg Kommune": DemoAnswer(Answer.NO_OBJECTION, datetime.date(2026, 11, 5), 15),
    },
)

SOLHOEJ = DemoRound(
    title="Skanderborg Kommune: midlertidig overbelægning på Solhøj (SEL § 107)",
    proposer="Skanderborg Kommune",
    proposal=_p(
        "Skanderborg Kommune foreslår en midlertidig overbelægning på 2 pladser på Solhøj "
        "(midlertidigt botilbud efter servicelovens § 107) fra 1. januar til 30. juni 2027, "
        "så tilbuddet i perioden har 14 i stedet for 12 pladser.",
    ),
    justification=_p(
        "To borgere fra andre midtjyske kommuner venter på en plads efter udskrivning fra "
        "psykiatrien. Overbelægningen dækkes af to midlertidige stillinger, og der opkræves "
        "den almindelige takst.",
    ),
    proposed_decision=_p(
        "DASSOS godkender en midlertidig overbelægning på 2 pladser på Solhøj fra 1. januar "
        "til 30. juni 2027."
    ),
    sent_on=datetime.date(2026, 11, 19),
    answers={
        "Horsens Kommune": DemoAnswer(Answer.NO_OBJECTION, datetime.date(2026, 11, 19), 14),
        "Ikast-Brande Kommune": DemoAnswer(Answer.NO_OBJECTION, datetime.date(2026, 11, 20), 8),
        "Viborg Kommune": DemoAnswer(
            Answer.NO_OBJECTION,
            datetime.date(2026, 11, 20),
            11,
            "Ingen bemærkninger; Viborg Kommune kan være interesseret i den ene plads.",
        ),
        REGION: DemoAnswer(Answer.NO_OBJECTION, datetime.date(2026, 11, 23), 10),
    },
    resolve=False,
)

ROUNDS = (LUPINVEJ, BOEGESKOVEN, SOLHOEJ)


def _event(
    counter: Counter,
    round_: WrittenRound,
    kind: str,
    at: datetime.datetime,
    *,
    detail: str = "",
    respondent: Respondent | None = None,
) -> None:
    RoundEvent.objects.create(round=round_, kind=kind, at=at, detail=detail, respondent=respondent)
    counter.created += 1


def _respondents(counter: Counter, round_: WrittenRound, demo: DemoRound) -> list[Respondent]:
    """One per member organisation (as services.round_create asks), with their answers."""
    respondents: list[Respondent] = []
    for membership in default_respondents(body=round_.body, day=demo.sent_on):
        represents = membership.affiliation_name
        given = demo.answers.get(represents)
        respondent = Respondent(
            round=round_,
            person=membership.person,
            represents=represents,
            municipality=membership.municipality,
        )
        if given is not None:
            respondent.answer = given.answer
            respondent.comment = given.comment
            respondent.answered_at = _at(given.day, given.hour)
        respondent.full_clean()
        respondent.save()
        counter.created += 1
        respondents.append(respondent)
    return sorted(respondents, key=lambda r: (r.represents, r.pk))


def _answer_detail(respondent: Respondent) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        label = str(Answer(respondent.answer).label)
    return f"{label}: {respondent.comment}" if respondent.comment else label


def _approve(counter: Counter, round_: WrittenRound) -> None:
    """What services.round_resolve writes when nobody objected by the deadline."""
    resolved_at = round_.deadline + datetime.timedelta(minutes=1)
    round_.state = RoundState.APPROVED
    round_.resolution = approval_resolution(round_)
    round_.resolved_at = resolved_at
    round_.decided_on = round_.deadline.astimezone(CPH).date()
    round_.full_clean()
    round_.save()
    _event(
        counter,
        round_,
        EventKind.APPROVED,
        resolved_at,
        detail=_in_danish("Ingen indsigelser ved fristen."),
    )


def _refer(counter: Counter, round_: WrittenRound, objectors: list[Respondent]) -> None:
    """What services.round_resolve writes on an objection: referred, and the follow-up item on
    the body's next draft meeting (or the note that there is none)."""
    names = ", ".join(party_name(r) for r in objectors)
    resolved_at = round_.deadline + datetime.timedelta(minutes=1)
    round_.state = RoundState.REFERRED
    round_.resolved_at = resolved_at
    round_.decided_on = round_.deadline.astimezone(CPH).date()
    round_.resolution = referral_resolution(round_, objectors)
    _event(counter, round_, EventKind.REFERRED, resolved_at, detail=names)
    meeting = next_meeting(round_.body_id, after=resolved_at)
    if meeting is None:
        round_.full_clean()
        round_.save()
        _event(
            counter,
            round_,
            EventKind.NO_MEETING,
            resolved_at,
            detail=_in_danish(
                "%(body)s har intet kommende møde med en dagsorden i kladde. Punktet "
                "oprettes, når der er et.",
                body=round_.body.name,
            ),
        )
        return
    round_.follow_up_item = _follow_up_item(counter, meeting, round_, objectors)
    round_.full_clean()
    round_.save()
    _event(counter, round_, EventKind.FOLLOW_UP, resolved_at, detail=str(meeting))


def _follow_up_item(
    counter: Counter, meeting: Meeting, round_: WrittenRound, objectors: list[Respondent]
) -> AgendaItem:
    """The item meetings.services.agenda_item_add_for_process adds: last on the agenda."""
    top = AgendaItem.objects.filter(meeting=meeting, parent=None)
    position = top.count() + 1
    item = AgendaItem(
        meeting=meeting,
        parent=None,
        order=max([0, *top.values_list("order", flat=True)]) + 1,
        number=str(position),
        title=follow_up_title(round_),
        kind=ItemKind.DECISION,
        case_text=sanitize_html(follow_up_case_text(round_, objectors)),
        recommendation=sanitize_html(round_.proposed_decision),
        is_closed=round_.is_confidential,
    )
    item.full_clean()
    item.save()
    counter.created += 1
    return item


def _seed_round(counter: Counter, body: Body, demo: DemoRound) -> WrittenRound | None:
    if WrittenRound.objects.filter(body=body, title=demo.title).exists():
        return None  # written once; from then on the round is the clock's (see above)
    municipality = Municipality.objects.filter(name=demo.proposer).first()
    region = None if municipality is not None else Region.objects.get(name=demo.proposer)
    round_ = WrittenRound(
        body=body,
        title=demo.title,
        proposal=sanitize_html(demo.proposal),
        justification=sanitize_html(demo.justification),
        proposed_decision=sanitize_html(demo.proposed_decision),
        proposer_municipality=municipality,
        proposer_region=region,
        deadline=demo.deadline,
        state=RoundState.OPEN,
        sent_at=demo.sent_at,
    )
    round_.full_clean()
    round_.save()
    counter.created += 1
    # created_at is the moment of the insert; the history says when the secretariat wrote it.
    _event(counter, round_, EventKind.CREATED, demo.sent_at - datetime.timedelta(hours=2))
    respondents = _respondents(counter, round_, demo)
    _event(
        counter,
        round_,
        EventKind.SENT,
        demo.sent_at,
        detail=", ".join(r.person.name for r in respondents),
    )
    answered = sorted(
        ((r.answered_at, r) for r in respondents if r.answered_at is not None),
        key=lambda pair: (pair[0], pair[1].pk),
    )
    for at, respondent in answered:
        _event(
            counter,
            round_,
            EventKind.ANSWERED,
            at,
            detail=_answer_detail(respondent),
            respondent=respondent,
        )
    if demo.resolve:
        objectors = [r for r in respondents if r.answer == Answer.OBJECTION]
        if objectors:
            _refer(counter, round_, objectors)
        else:
            _approve(counter, round_)
    return round_


def seed(counter: Counter) -> None:
    dassos = Body.objects.get(slug="dassos")
    for demo in ROUNDS:
        _seed_round(counter, dassos, demo)
