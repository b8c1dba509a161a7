"""Who may see and do what with a written round: the one place this is decided.

- The secretariat creates, edits, sends, reminds, withdraws and closes rounds, and sees
  everything, drafts included.
- A respondent, the body's active members and a substitute who answers for a respondent see a
  sent round with its proposal, attachments and every answer.
- Everyone else sees only closed rounds (approved, referred, withdrawn) that are not
  confidential, of a public body: the proposal and the outcome, never the answers.
- A respondent answers (and changes the answer) while the round is open and before the deadline;
  so may a substitute (suppleant) of the same body who represents the same municipality, region
  or organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.permissions import is_secretariat
from organizations.models import Membership, Person, Role
from organizations.permissions import member_body_ids
from rounds.models import CLOSED_STATES, Respondent, RoundState, WrittenRound

__all__ = [
    "RoundAccess",
    "can_manage_rounds",
    "person_of",
    "respondents_answerable_by",
    "round_access",
    "rounds_visible_to",
]


def can_manage_rounds(user: Any) -> bool:
    """Rounds are written and sent by the secretariat only."""
    return is_secretariat(user)


def person_of(user: Any) -> Person | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        person: Person = user.person
        return person
    except Person.DoesNotExist:
        return None


@dataclass(frozen=True)
class RoundAccess:
    """What one user may see of one round."""

    can_see: bool = False
    can_see_answers: bool = False
    can_manage: bool = False

    @property
    def outcome_only(self) -> bool:
        return self.can_see and not self.can_see_answers


def publicly_visible(round_: WrittenRound) -> bool:
    """Whether anyone at all may read the round's outcome (the public's rule)."""
    return (
        round_.state in CLOSED_STATES
        and round_.sent_at is not None
        and not round_.is_confidential
        and round_.body.is_public
    )


def round_access(user: Any, round_: WrittenRound) -> RoundAccess:
    """The decision for one round (at most two queries for a logged-in non-secretariat user;
    the body memberships are cached per request by organizations.permissions)."""
    if can_manage_rounds(user):
        return RoundAccess(can_see=True, can_see_answers=True, can_manage=True)
    # A round never sent (a draft, or withdrawn before sending) is the secretariat's only.
    if round_.sent_at is not None:
        person = person_of(user)
        if person is not None and (
            round_.body_id in member_body_ids(user)
            or Respondent.objects.filter(round=round_, person=person).exists()
        ):
            return RoundAccess(can_see=True, can_see_answers=True)
    if publicly_visible(round_):
        return RoundAccess(can_see=True)
    return RoundAccess()


def respondents_answerable_by(
    user: Any, round_: WrittenRound, *, ignore_deadline: bool = False
) -> list[Respondent]:
    """The respondents of `round_` this user may answer for: themselves, and those whose
    municipality / region / organisation they represent as an active substitute in the round's
    body. Empty when the round is not open or its deadline has passed (unless
    `ignore_deadline`: who *would* answer, to tell them it is too late). At most three queries,
    whatever the number of respondents."""
    if round_.state != RoundState.OPEN:
        return []
    if not ignore_deadline and round_.deadline <= timezone.now():
        return []
    person = person_of(user)
    if person is None:
        return []
    respondents = list(round_.respondents.select_related("person"))
    mine = [r for r in respondents if r.person_id == person.pk]
    today = timezone.localdate()
    substitute_for = {
        _affiliation_ids(m)
        for m in Membership.objects.active_on(today).filter(
            person=person, body_id=round_.body_id, role=Role.SUBSTITUTE
        )
    } - {(None, None, None)}
    others = [r for r in respondents if r.person_id != person.pk]
    if not substitute_for or not others:
        return mine
    # A substitute answers for the respondent whose own (non-substitute) membership in the body
    # has the same affiliation (the same municipality, region or organisation).
    seats = {
        (m.person_id, _affiliation_ids(m))
        for m in Membership.objects.active_on(today)
        .filter(body_id=round_.body_id, person_id__in={r.person_id for r in others})
        .exclude(role=Role.SUBSTITUTE)
    }
    return mine + [r for r in others if any((r.person_id, ids) in seats for ids in substitute_for)]


def _affiliation_ids(membership: Membership) -> tuple[int | None, int | None, int | None]:
    return (membership.municipality_id, membership.region_id, membership.organization_id)


def _public_rounds() -> Q:
    return Q(
        state__in=CLOSED_STATES,
        sent_at__isnull=False,
        is_confidential=False,
        body__is_public=True,
    )


def rounds_visible_to(user: Any) -> QuerySet[WrittenRound]:
    """The rounds `user` may see at all, as a queryset (the same rule as `round_access`)."""
    rounds = WrittenRound.objects.all()
    if can_manage_rounds(user):
        return rounds
    person = person_of(user)
    if person is None:
        return rounds.filter(_public_rounds())
    asked = Respondent.objects.filter(round=OuterRef("pk"), person=person)
    insider = Q(sent_at__isnull=False) & (Q(body_id__in=member_body_ids(user)) | Q(Exists(asked)))
    return rounds.filter(_public_rounds() | insider)


def answers_visible_round_ids(user: Any, rounds: list[WrittenRound]) -> set[int]:
    """Of `rounds`, those whose answers `user` may see (one query at most)."""
    if can_manage_rounds(user):
        return {r.pk for r in rounds}
    person = person_of(user)
    if person is None:
        return set()
    members_of = member_body_ids(user)
    ids = {r.pk for r in rounds if r.sent_at is not None and r.body_id in members_of}
    rest = [r.pk for r in rounds if r.pk not in ids and r.sent_at is not None]
    if rest:
        ids |= set(
            Respondent.objects.filter(round_id__in=rest, person=person).values_list(
                "round_id", flat=True
            )
        )
    return ids
