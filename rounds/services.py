"""What happens to a written round: create, edit, send, answer, remind, resolve, withdraw.

Every write is one transaction with the round's row locked, and records a `RoundEvent`; mails
go through the notices engine (`rounds.notifications`) in the same transaction, so a round is
sent — and its respondents told — exactly once.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext as _

from core.workdays import add_working_days
from meetings.attachments import check_upload
from meetings.models import Meeting, MeetingState
from meetings.sanitize import sanitize_html
from meetings.services import agenda_item_add_for_process
from organizations.models import Body, Membership, Municipality, Person, Region, Role
from rounds import notifications
from rounds.models import (
    Answer,
    EventKind,
    Respondent,
    RoundAttachment,
    RoundEvent,
    RoundState,
    WrittenRound,
)
from rounds.permissions import can_manage_rounds, respondents_answerable_by
from rounds.signals import round_closed

logger = logging.getLogger(__name__)

# Roles whose holders are asked by default: the body's members proper, not substitutes,
# observers or its secretary. In this order the first member of an organisation is chosen.
ASKED_ROLES = (Role.CHAIR, Role.VICE_CHAIR, Role.MEMBER)


# --- helpers -------------------------------------------------------------------------------------


def _require_manager(user: Any) -> None:
    if not can_manage_rounds(user):
        raise PermissionDenied(_("Kun sekretariatet kan oprette og sende skriftlige høringer."))


def _lock(round_: WrittenRound) -> WrittenRound:
    round_.refresh_from_db(from_queryset=WrittenRound.objects.select_for_update())
    return round_


def _event(
    round_: WrittenRound,
    kind: str,
    *,
    by: Any | None = None,
    respondent: Respondent | None = None,
    detail: str = "",
    at: datetime.datetime | None = None,
) -> RoundEvent:
    return RoundEvent.objects.create(
        round=round_,
        kind=kind,
        by=by if getattr(by, "is_authenticated", False) else None,
        respondent=respondent,
        detail=detail,
        at=at or timezone.now(),
    )


def _in_danish(message: str, **params: Any) -> str:
    """Stored texts (decisions, agenda items) are written in the portal's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % params if params else _(message)


def danish_moment(value: datetime.datetime) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return date_format(timezone.localtime(value), "j. F Y \\k\\l. H.i")


def _require_state(round_: WrittenRound, *states: str, message: str) -> None:
    if round_.state not in states:
        raise ValidationError(message, code="state")


def _require_draft(round_: WrittenRound) -> None:
    _require_state(
        round_,
        RoundState.DRAFT,
        message=_("Høringen er sendt og kan ikke længere ændres."),
    )


# --- deadlines and respondents -------------------------------------------------------------------


def default_deadline(*, start: datetime.date | None = None) -> datetime.datetime:
    """ROUNDS_DEFAULT_WORKING_DAYS working days after `start` (today), at ROUNDS_DEADLINE_HOUR
    Danish time: weekends and Danish public holidays are skipped (core.workdays)."""
    start = start or timezone.localdate()
    day = add_working_days(start, settings.ROUNDS_DEFAULT_WORKING_DAYS)
    moment = datetime.datetime.combine(day, datetime.time(settings.ROUNDS_DEADLINE_HOUR))
    return timezone.make_aware(moment)


def _affiliation_key(membership: Membership) -> tuple[str, int]:
    if membership.municipality_id is not None:
        return ("municipality", membership.municipality_id)
    if membership.region_id is not None:
        return ("region", membership.region_id)
    if membership.organization_id is not None:
        return ("organization", membership.organization_id)
    return ("person", membership.person_id)


def default_respondents(*, body: Body, day: datetime.date | None = None) -> list[Membership]:
    """One membership per member organisation of the body: its current members with voting
    right (chair, vice-chair, members; not substitutes or observers), the first by role and
    name when an organisation has several. A member without an affiliation answers for
    themselves. One query."""
    day = day or timezone.localdate()
    order = {role: index for index, role in enumerate(ASKED_ROLES)}
    memberships = sorted(
        Membership.objects.active_on(day)
        .filter(body=body, voting_right=True, role__in=ASKED_ROLES)
        .select_related("person", "municipality", "region", "organization"),
        key=lambda m: (order[Role(m.role)], m.person.name, m.pk),
    )
    chosen: dict[tuple[str, int], Membership] = {}
    for membership in memberships:
        chosen.setdefault(_affiliation_key(membership), membership)
    return sorted(chosen.values(), key=lambda m: m.affiliation_name or m.person.name)


def _respondent_for(
    round_: WrittenRound, person: Person, body_memberships: dict[int, Membership]
) -> Respondent:
    membership = body_memberships.get(person.pk)
    source: Any = membership if membership is not None and membership.affiliation else person
    return Respondent(
        round=round_,
        person=person,
        represents=source.affiliation_name,
        municipality_id=source.municipality_id,
    )


def _set_respondents(round_: WrittenRound, people: Iterable[Person]) -> list[Respondent]:
    today = timezone.localdate()
    body_memberships = {
        m.person_id: m
        for m in Membership.objects.active_on(today)
        .filter(body_id=round_.body_id)
        .exclude(role=Role.SUBSTITUTE)
        .select_related("municipality", "region", "organization")
    }
    wanted = {person.pk: person for person in people}
    round_.respondents.exclude(person_id__in=list(wanted)).delete()
    existing = set(round_.respondents.values_list("person_id", flat=True))
    new = [
        _respondent_for(round_, person, body_memberships)
        for pk, person in wanted.items()
        if pk not in existing
    ]
    Respondent.objects.bulk_create(new)
    return list(round_.respondents.select_related("person"))


# --- writing a round -----------------------------------------------------------------------------


def _clean_proposer(municipality: Municipality | None, region: Region | None) -> None:
    if municipality is not None and region is not None:
        raise ValidationError(
            {"proposer_region": _("Vælg enten en kommune eller regionen som forslagsstiller.")}
        )


@transaction.atomic
def round_create(
    *,
    body: Body,
    by: Any,
    title: str,
    proposal: str,
    justification: str = "",
    proposed_decision: str = "",
    proposer_municipality: Municipality | None = None,
    proposer_region: Region | None = None,
    deadline: datetime.datetime | None = None,
    is_confidential: bool = False,
    respondents: Sequence[Person] | None = None,
) -> WrittenRound:
    """A draft round for `body`. Deadline: the default (working days) unless given; asked: one
    respondent per member organisation (`default_respondents`) unless given."""
    _require_manager(by)
    _clean_proposer(proposer_municipality, proposer_region)
    round_ = WrittenRound(
        body=body,
        title=title.strip(),
        proposal=sanitize_html(proposal),
        justification=sanitize_html(justification),
        proposed_decision=sanitize_html(proposed_decision),
        proposer_municipality=proposer_municipality,
        proposer_region=proposer_region,
        deadline=deadline or default_deadline(),
        is_confidential=is_confidential,
        created_by=by,
    )
    if not round_.proposal:
        raise ValidationError({"proposal": _("Skriv forslaget.")})
    if round_.deadline <= timezone.now():
        raise ValidationError({"deadline": _("Svarfristen skal ligge i fremtiden.")})
    round_.full_clean()
    round_.save()
    if respondents is None:
        respondents = [m.person for m in default_respondents(body=body)]
    _set_respondents(round_, respondents)
    _event(round_, EventKind.CREATED, by=by)
    return round_


@transaction.atomic
def round_update(
    *,
    round_: WrittenRound,
    by: Any,
    title: str,
    proposal: str,
    justification: str = "",
    proposed_decision: str = "",
    proposer_municipality: Municipality | None = None,
    proposer_region: Region | None = None,
    deadline: datetime.datetime,
    is_confidential: bool = False,
) -> WrittenRound:
    """Change a draft. A sent round's text is what the respondents answered to: it stays."""
    _require_manager(by)
    round_ = _lock(round_)
    _require_draft(round_)
    _clean_proposer(proposer_municipality, proposer_region)
    round_.title = title.strip()
    round_.proposal = sanitize_html(proposal)
    round_.justification = sanitize_html(justification)
    round_.proposed_decision = sanitize_html(proposed_decision)
    round_.proposer_municipality = proposer_municipality
    round_.proposer_region = proposer_region
    round_.deadline = deadline
    round_.is_confidential = is_confidential
    if not round_.proposal:
        raise ValidationError({"proposal": _("Skriv forslaget.")})
    if deadline <= timezone.now():
        raise ValidationError({"deadline": _("Svarfristen skal ligge i fremtiden.")})
    round_.full_clean()
    round_.save()
    _event(round_, EventKind.CHANGED, by=by)
    return round_


@transaction.atomic
def round_extend_deadline(
    *, round_: WrittenRound, by: Any, deadline: datetime.datetime
) -> WrittenRound:
    """Move an open round's deadline later (never earlier: respondents plan by it)."""
    _require_manager(by)
    round_ = _lock(round_)
    _require_state(
        round_,
        RoundState.DRAFT,
        RoundState.OPEN,
        message=_("Høringen er afsluttet; fristen kan ikke ændres."),
    )
    if deadline <= timezone.now():
        raise ValidationError({"deadline": _("Svarfristen skal ligge i fremtiden.")})
    if round_.state == RoundState.OPEN and deadline < round_.deadline:
        raise ValidationError(
            {"deadline": _("En sendt hørings frist kan kun forlænges, ikke forkortes.")}
        )
    previous = round_.deadline
    round_.deadline = deadline
    round_.auto_reminder_sent_at = None if deadline != previous else round_.auto_reminder_sent_at
    round_.save(update_fields=["deadline", "auto_reminder_sent_at", "updated_at"])
    _event(
        round_,
        EventKind.CHANGED,
        by=by,
        detail=_in_danish(
            "Svarfrist ændret fra %(old)s til %(new)s.",
            old=danish_moment(previous),
            new=danish_moment(deadline),
        ),
    )
    return round_


@transaction.atomic
def round_set_respondents(
    *, round_: WrittenRound, by: Any, people: Iterable[Person]
) -> list[Respondent]:
    """Decide who is asked (a draft only). The order of `people` does not matter."""
    _require_manager(by)
    round_ = _lock(round_)
    _require_draft(round_)
    people = list(people)
    if not people:
        raise ValidationError({"people": _("Vælg mindst én høringspart.")})
    respondents = _set_respondents(round_, people)
    names = ", ".join(sorted(r.person.name for r in respondents))
    _event(round_, EventKind.RESPONDENTS, by=by, detail=names)
    return respondents


@transaction.atomic
def round_attachment_add(*, round_: WrittenRound, by: Any, upload: UploadedFile) -> RoundAttachment:
    """Attach a file to a draft, checked by content and size first (nothing stored if not)."""
    _require_manager(by)
    checked = check_upload(upload)
    round_ = _lock(round_)
    _require_draft(round_)
    attachment = RoundAttachment(
        round=round_,
        original_name=(upload.name or "bilag")[-255:],
        content_type=checked.file_type.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    attachment.full_clean(exclude=["file"])
    attachment.file.save(f"bilag{checked.file_type.extension}", upload, save=False)
    try:
        attachment.save()
    except Exception:
        default_storage.delete(attachment.file.name or "")
        raise
    return attachment


@transaction.atomic
def round_attachment_remove(*, attachment: RoundAttachment, by: Any) -> None:
    _require_manager(by)
    _require_draft(_lock(attachment.round))
    name = attachment.file.name or ""
    attachment.delete()
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


# --- sending and answering -----------------------------------------------------------------------


@transaction.atomic
def round_send(*, round_: WrittenRound, by: Any) -> WrittenRound:
    """Send a draft: the respondents are told by e-mail (once: the state change and the notice
    are one transaction on the locked row)."""
    _require_manager(by)
    round_ = _lock(round_)
    _require_draft(round_)
    respondents = list(round_.respondents.select_related("person", "person__user"))
    if not respondents:
        raise ValidationError(_("Vælg mindst én høringspart, før høringen sendes."))
    without_address = sorted(r.person.name for r in respondents if not notifications.address_of(r))
    if without_address:
        raise ValidationError(
            _(
                "Disse høringsparter har ingen e-mailadresse: %(names)s. Tilføj en adresse, eller "
                "fjern dem fra høringen."
            )
            % {"names": ", ".join(without_address)},
            code="no_address",
        )
    if round_.deadline <= timezone.now():
        raise ValidationError({"deadline": _("Svarfristen er passeret; vælg en ny frist.")})
    now = timezone.now()
    round_.state = RoundState.OPEN
    round_.sent_at = now
    round_.sent_by = by
    round_.save(update_fields=["state", "sent_at", "sent_by", "updated_at"])
    _event(
        round_, EventKind.SENT, by=by, at=now, detail=", ".join(r.person.name for r in respondents)
    )
    notifications.round_sent(round_, by=by)
    return round_


def _too_late_message(round_: WrittenRound) -> str:
    return _(
        "Fristen for at svare var %(deadline)s. Dit svar er ikke registreret; kontakt "
        "sekretariatet, hvis du har bemærkninger."
    ) % {"deadline": danish_moment(round_.deadline)}


@transaction.atomic
def round_answer(*, respondent: Respondent, by: Any, answer: str, comment: str = "") -> Respondent:
    """Record (or change) a respondent's answer, given by them or by their substitute, while
    the round is open and before its deadline. An objection needs a comment."""
    round_ = _lock(respondent.round)
    if round_.state != RoundState.OPEN:
        raise ValidationError(
            _("Høringen er ikke åben for svar (status: %(state)s).")
            % {"state": round_.get_state_display()},
            code="not_open",
        )
    allowed = {r.pk for r in respondents_answerable_by(by, round_, ignore_deadline=True)}
    if respondent.pk not in allowed:
        raise PermissionDenied(_("Du er ikke høringspart i denne høring."))
    if round_.deadline <= timezone.now():
        raise ValidationError(_too_late_message(round_), code="too_late")
    if answer not in Answer.values:
        raise ValidationError({"answer": _("Vælg et svar.")})
    comment = comment.strip()
    if answer == Answer.OBJECTION and not comment:
        raise ValidationError(
            {"comment": _("Skriv din indsigelse eller dine bemærkninger.")}, code="required"
        )
    respondent.refresh_from_db(from_queryset=Respondent.objects.select_for_update())
    changed = respondent.has_answered
    respondent.answer = answer
    respondent.comment = comment
    respondent.answered_at = timezone.now()
    respondent.answered_by = by
    respondent.answered_as_substitute = respondent.person.user_id != by.pk
    respondent.full_clean()
    respondent.save()
    label = Answer(answer).label
    with translation.override(settings.LANGUAGE_CODE):
        detail = f"{label}: {comment}" if comment else str(label)
    _event(
        round_,
        EventKind.ANSWER_CHANGED if changed else EventKind.ANSWERED,
        by=by,
        respondent=respondent,
        detail=detail,
        at=respondent.answered_at,
    )
    return respondent


@transaction.atomic
def round_remind(*, round_: WrittenRound, by: Any | None, automatic: bool = False) -> bool:
    """Remind the respondents who have not answered. The automatic reminder is sent once per
    round (claimed by a conditional update); the secretariat may remind by hand at any time.
    Returns whether a reminder was recorded (not if everyone has answered)."""
    if not automatic:
        _require_manager(by)
    round_ = _lock(round_)
    if round_.state != RoundState.OPEN or round_.deadline <= timezone.now():
        if automatic:
            return False
        raise ValidationError(_("Der kan kun sendes påmindelser, mens høringen er åben."))
    if automatic:
        claimed = WrittenRound.objects.filter(
            pk=round_.pk, auto_reminder_sent_at__isnull=True
        ).update(auto_reminder_sent_at=timezone.now())
        if not claimed:
            return False
    pending = [r for r in round_.respondents.select_related("person") if not r.has_answered]
    if not pending:
        return False
    detail = ", ".join(sorted(r.person.name for r in pending))
    if automatic:
        detail = _in_danish("Automatisk påmindelse til: %(names)s", names=detail)
    _event(round_, EventKind.REMINDED, by=by, detail=detail)
    notifications.round_reminder(round_, by=by)
    return True


# --- ending a round ------------------------------------------------------------------------------


def approval_resolution(round_: WrittenRound) -> str:
    """The stored outcome of a round approved at its deadline (HTML)."""
    decision = round_.proposed_decision or "<p>{}</p>".format(
        escape(_in_danish("Forslaget »%(title)s« er godkendt.", title=round_.title))
    )
    note = _in_danish(
        "Godkendt i skriftlig høring med svarfrist %(deadline)s; der kom ingen indsigelser.",
        deadline=danish_moment(round_.deadline),
    )
    return f"{decision}<p>{escape(note)}</p>"


def referral_resolution(round_: WrittenRound, objectors: Sequence[Respondent]) -> str:
    """The stored outcome of a round referred to the next meeting (HTML)."""
    return "<p>{}</p>".format(
        escape(
            _in_danish(
                "Der er gjort indsigelse eller bemærkninger (%(names)s). Forslaget "
                "forelægges %(body)s på næste møde til endelig beslutning.",
                names=", ".join(party_name(r) for r in objectors),
                body=round_.body.name,
            )
        )
    )


def follow_up_title(round_: WrittenRound) -> str:
    return _in_danish("Opfølgning på skriftlig høring: %(title)s", title=round_.title)[:300]


def _approve(round_: WrittenRound, *, decided_on: datetime.date, now: datetime.datetime) -> None:
    round_.state = RoundState.APPROVED
    round_.resolution = approval_resolution(round_)
    round_.resolved_at = now
    round_.decided_on = decided_on


def party_name(respondent: Respondent) -> str:
    """Who objected, as the outcome names them: the municipality or organisation, never a
    private person's name (the outcome of a round can be public)."""
    return respondent.represents or _in_danish("en høringspart uden tilknytning")


def _objectors(round_: WrittenRound) -> list[Respondent]:
    return [
        r
        for r in round_.respondents.select_related("person").order_by("represents", "pk")
        if r.answer == Answer.OBJECTION
    ]


@transaction.atomic
def round_resolve(*, round_id: int, now: datetime.datetime | None = None) -> WrittenRound | None:
    """Resolve a round whose deadline has passed: approved if nobody objected, otherwise
    referred to the body's next meeting (a follow-up item is added). Idempotent: a round that
    is not open, or not yet due, is left as it is. A round resolved late (the workers were
    down) is decided on its deadline's date."""
    now = now or timezone.now()
    round_ = WrittenRound.objects.select_for_update().filter(pk=round_id).first()
    if round_ is None or round_.state != RoundState.OPEN or round_.deadline > now:
        return None
    decided_on = timezone.localtime(round_.deadline).date()
    objectors = _objectors(round_)
    if not objectors:
        _approve(round_, decided_on=decided_on, now=now)
        round_.save()
        _event(round_, EventKind.APPROVED, detail=_in_danish("Ingen indsigelser ved fristen."))
    else:
        round_.state = RoundState.REFERRED
        round_.resolved_at = now
        round_.decided_on = decided_on
        round_.resolution = referral_resolution(round_, objectors)
        round_.save()
        _event(round_, EventKind.REFERRED, detail=", ".join(party_name(r) for r in objectors))
        _follow_up(round_)
    round_closed.send(sender=WrittenRound, round=round_, state=round_.state)
    notifications.round_result(round_)
    logger.info("rounds: round %d resolved as %s", round_.pk, round_.state)
    return round_


@transaction.atomic
def round_close_early(*, round_: WrittenRound, by: Any) -> WrittenRound:
    """Approve before the deadline: only when every respondent has answered with no objection."""
    _require_manager(by)
    round_ = _lock(round_)
    _require_state(
        round_, RoundState.OPEN, message=_("Kun en åben høring kan afsluttes før fristen.")
    )
    respondents = list(round_.respondents.select_related("person"))
    missing = [r.person.name for r in respondents if r.answer != Answer.NO_OBJECTION]
    if missing:
        raise ValidationError(
            _(
                "Høringen kan kun afsluttes før fristen, når alle har svaret »ingen "
                "bemærkninger«. Mangler: %(names)s."
            )
            % {"names": ", ".join(sorted(missing))},
            code="not_unanimous",
        )
    now = timezone.now()
    _approve(round_, decided_on=timezone.localdate(), now=now)
    round_.resolution = round_.resolution.replace(
        escape(
            _in_danish(
                "Godkendt i skriftlig høring med svarfrist %(deadline)s; der kom ingen "
                "indsigelser.",
                deadline=danish_moment(round_.deadline),
            )
        ),
        escape(
            _in_danish(
                "Godkendt i skriftlig høring %(day)s, før fristen, da alle høringsparter havde "
                "svaret »ingen bemærkninger«.",
                day=danish_moment(now),
            )
        ),
    )
    round_.save()
    _event(round_, EventKind.APPROVED, by=by, detail=_in_danish("Afsluttet før fristen."))
    round_closed.send(sender=WrittenRound, round=round_, state=round_.state)
    notifications.round_result(round_, by=by)
    return round_


@transaction.atomic
def round_withdraw(*, round_: WrittenRound, by: Any, reason: str) -> WrittenRound:
    """Withdraw a draft or an open round, with a reason; the respondents of a sent round are
    told."""
    _require_manager(by)
    round_ = _lock(round_)
    _require_state(
        round_,
        RoundState.DRAFT,
        RoundState.OPEN,
        message=_("En afsluttet høring kan ikke trækkes tilbage."),
    )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Skriv, hvorfor høringen trækkes tilbage.")})
    was_open = round_.state == RoundState.OPEN
    round_.state = RoundState.WITHDRAWN
    round_.resolved_at = timezone.now()
    round_.resolution = f"<p>{escape(reason)}</p>"
    round_.save()
    _event(round_, EventKind.WITHDRAWN, by=by, detail=reason)
    round_closed.send(sender=WrittenRound, round=round_, state=round_.state)
    if was_open:
        notifications.round_withdrawn(round_, by=by)
    return round_


# --- the follow-up item on the next meeting ------------------------------------------------------


def next_meeting(body_id: int, *, after: datetime.datetime | None = None) -> Meeting | None:
    """The body's next meeting whose agenda is still a draft (not cancelled)."""
    return (
        Meeting.objects.filter(
            body_id=body_id,
            cancelled=False,
            state=MeetingState.DRAFT,
            starts_at__gt=after or timezone.now(),
        )
        .order_by("starts_at", "pk")
        .first()
    )


def follow_up_case_text(round_: WrittenRound, objectors: Sequence[Respondent]) -> str:
    """The case text of the follow-up item: how the round went, the proposal, a link back."""
    url = reverse("rounds:detail", args=[round_.pk])
    lines = [
        "<p>{}</p>".format(
            escape(
                _in_danish(
                    "Forslaget »%(title)s« blev sendt i skriftlig høring %(sent)s med svarfrist "
                    "%(deadline)s. Der kom indsigelse eller bemærkninger fra: %(names)s.",
                    title=round_.title,
                    sent=danish_moment(round_.sent_at or round_.created_at),
                    deadline=danish_moment(round_.deadline),
                    names=", ".join(party_name(r) for r in objectors) or "–",
                )
            )
        ),
        round_.proposal,
        '<p><a href="{}">{}</a></p>'.format(
            escape(url), escape(_in_danish("Se den skriftlige høring med alle svar"))
        ),
    ]
    return "".join(lines)


def _follow_up(round_: WrittenRound) -> bool:
    """Add the follow-up item to the body's next draft meeting, once; or tell the secretariat
    that there is no next meeting (once). Returns whether the item exists now."""
    if round_.follow_up_item_id is not None:
        return True
    if round_.events.filter(kind=EventKind.FOLLOW_UP).exists():
        return False  # the item was made and later removed by the secretariat: leave it so
    meeting = next_meeting(round_.body_id)
    if meeting is None:
        if not round_.events.filter(kind=EventKind.NO_MEETING).exists():
            _event(
                round_,
                EventKind.NO_MEETING,
                detail=_in_danish(
                    "%(body)s har intet kommende møde med en dagsorden i kladde. Punktet "
                    "oprettes, når der er et.",
                    body=round_.body.name,
                ),
            )
            notifications.round_no_meeting(round_)
        return False
    item = agenda_item_add_for_process(
        meeting=meeting,
        title=follow_up_title(round_),
        case_text=follow_up_case_text(round_, _objectors(round_)),
        recommendation=round_.proposed_decision,
        is_closed=round_.is_confidential,
    )
    round_.follow_up_item = item
    round_.save(update_fields=["follow_up_item", "updated_at"])
    _event(round_, EventKind.FOLLOW_UP, detail=str(meeting))
    return True


@transaction.atomic
def round_follow_up_ensure(*, round_id: int) -> bool:
    """For a referred round without its follow-up item (no meeting at the time): add it now if
    the body has a next meeting. Idempotent."""
    round_ = WrittenRound.objects.select_for_update().filter(pk=round_id).first()
    if round_ is None or round_.state != RoundState.REFERRED:
        return False
    return _follow_up(round_)


# --- the periodic work ---------------------------------------------------------------------------


def rounds_tick(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """What the beat does every minute: resolve rounds past their deadline (also those missed
    while the workers were down), send the automatic reminders that are due, and add follow-up
    items that were waiting for a meeting. Each step is idempotent."""
    now = now or timezone.now()
    counts = {"resolved": 0, "reminded": 0, "followed_up": 0}
    due = WrittenRound.objects.filter(state=RoundState.OPEN, deadline__lte=now).order_by(
        "deadline", "pk"
    )
    for round_id in due.values_list("pk", flat=True):
        try:
            if round_resolve(round_id=round_id, now=now) is not None:
                counts["resolved"] += 1
        except Exception:
            # One round's failure (e.g. an offer change that no longer fits) leaves that round
            # open for the next tick and the secretariat's log; the others go on.
            logger.exception("rounds: resolving round %d failed", round_id)
    hours = settings.ROUNDS_REMINDER_HOURS
    if hours:
        remind = WrittenRound.objects.filter(
            state=RoundState.OPEN,
            auto_reminder_sent_at__isnull=True,
            deadline__gt=now,
            deadline__lte=now + datetime.timedelta(hours=hours),
        ).order_by("deadline", "pk")
        for round_ in remind:
            if round_remind(round_=round_, by=None, automatic=True):
                counts["reminded"] += 1
    waiting = (
        WrittenRound.objects.filter(state=RoundState.REFERRED, follow_up_item__isnull=True)
        .exclude(events__kind=EventKind.FOLLOW_UP)
        .values_list("pk", flat=True)
    )
    for round_id in waiting:
        try:
            if round_follow_up_ensure(round_id=round_id):
                counts["followed_up"] += 1
        except Exception:
            logger.exception("rounds: follow-up item for round %d failed", round_id)
    return counts
