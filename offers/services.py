"""What changes offers: create and edit, propose / confirm / reject lifecycle events, and
apply confirmed events when their day comes.

Confirming an event writes its capacity rows at once (they are dated, so nothing changes before
the date) and records who decided; the offer's status and operator follow the event on its date
of effect (`events_apply_due`, daily, and at once for a date already reached). A change proposed
in a written round is confirmed when the round is approved (`on_round_closed`).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from meetings.models import AgendaItem
from offers import rules
from offers.models import (
    AgreementPeriod,
    Capacity,
    CapacityKind,
    EventKind,
    EventState,
    LegalBasis,
    LifecycleEvent,
    Offer,
    OfferStatus,
    TargetGroup,
)
from offers.permissions import (
    can_confirm_events,
    can_edit_offer,
    can_manage_offers,
    can_propose_event,
)
from organizations.models import Municipality, Region
from rounds.models import RoundState, WrittenRound

logger = logging.getLogger(__name__)

# Which notice period of the agreement period applies to which kind of event.
NOTICE_FIELD = {
    EventKind.OPENING: "notice_months_opening",
    EventKind.CAPACITY: "notice_months_capacity",
    EventKind.CLOSURE: "notice_months_closure",
    EventKind.REDESIGNATION: "notice_months_redesignation",
    EventKind.OPERATOR: "notice_months_operator",
}
# Kinds that need a number of places.
NEEDS_PLACES = (
    EventKind.OPENING,
    EventKind.CAPACITY,
    EventKind.OVER_OCCUPANCY,
    EventKind.REDESIGNATION,
)

OFFER_FIELDS = (
    "name",
    "tilbudsportalen_id",
    "location",
    "address",
    "postal_code",
    "city",
    "area",
    "offer_type",
    "coverage",
    "description",
    "status",
)
# What only the secretariat changes on an offer: who runs it is changed by an event.
SECRETARIAT_FIELDS = (
    "operator_municipality",
    "operator_region",
    "is_covered",
    "steering_category",
    "status",
)


def _d(day: datetime.date) -> str:
    return date_format(day, "j. F Y")


# --- offers --------------------------------------------------------------------------------------


def _check_operator(municipality: Municipality | None, region: Region | None) -> None:
    if (municipality is None) == (region is None):
        raise ValidationError(
            {"operator_municipality": _("Vælg én driftsherre: en kommune eller regionen.")}
        )


@transaction.atomic
def offer_create(
    *,
    by: Any,
    operator_municipality: Municipality | None = None,
    operator_region: Region | None = None,
    legal_bases: Sequence[LegalBasis] = (),
    target_groups: Sequence[TargetGroup] = (),
    agreement_periods: Sequence[AgreementPeriod] = (),
    places: int | None = None,
    places_from: datetime.date | None = None,
    **fields: Any,
) -> Offer:
    """A new offer (secretariat). With `places`, its first capacity row from `places_from`."""
    if not can_manage_offers(by):
        raise PermissionDenied(_("Kun sekretariatet kan oprette tilbud."))
    _check_operator(operator_municipality, operator_region)
    offer = Offer(
        operator_municipality=operator_municipality, operator_region=operator_region, **fields
    )
    offer.full_clean()
    if not legal_bases:
        raise ValidationError({"legal_bases": _("Vælg mindst ét lovgrundlag.")})
    offer.save()
    offer.legal_bases.set(legal_bases)
    offer.target_groups.set(target_groups)
    offer.agreement_periods.set(agreement_periods)
    if places is not None:
        Capacity.objects.create(
            offer=offer,
            places=places,
            valid_from=places_from or timezone.localdate(),
            created_by=by,
        )
    return offer


@transaction.atomic
def offer_update(
    *,
    offer: Offer,
    by: Any,
    legal_bases: Sequence[LegalBasis] | None = None,
    target_groups: Sequence[TargetGroup] | None = None,
    agreement_periods: Sequence[AgreementPeriod] | None = None,
    **fields: Any,
) -> Offer:
    """Change an offer's facts. An editor changes their own municipality's offers, but not who
    operates them, whether they are covered, or their status: those are the secretariat's (or
    follow from an event)."""
    if not can_edit_offer(by, offer):
        raise PermissionDenied(_("Du kan kun redigere tilbud, som din kommune driver."))
    secretariat = can_manage_offers(by)
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    for name, value in fields.items():
        if name not in (*OFFER_FIELDS, *SECRETARIAT_FIELDS):
            raise TypeError(f"offer_update got an unknown field {name!r}")
        if name in SECRETARIAT_FIELDS and not secretariat:
            if getattr(offer, name) != value:
                raise PermissionDenied(_("Kun sekretariatet kan ændre dette felt."))
            continue
        setattr(offer, name, value)
    _check_operator(offer.operator_municipality, offer.operator_region)
    offer.full_clean()
    offer.save()
    if legal_bases is not None:
        if not legal_bases:
            raise ValidationError({"legal_bases": _("Vælg mindst ét lovgrundlag.")})
        offer.legal_bases.set(legal_bases)
    if target_groups is not None:
        offer.target_groups.set(target_groups)
    if agreement_periods is not None and secretariat:
        offer.agreement_periods.set(agreement_periods)
    return offer


# --- notice periods ------------------------------------------------------------------------------


def agreement_period_for(offer: Offer, day: datetime.date) -> AgreementPeriod | None:
    """The agreement period of the offer's region (its operator's, else its location's) that
    `day` falls in."""
    region_id = offer.operator_region_id
    if region_id is None:
        region_id = (
            offer.operator_municipality.region_id
            if offer.operator_municipality is not None
            else offer.location.region_id
        )
    return (
        AgreementPeriod.objects.filter(region_id=region_id, start_date__lte=day, end_date__gte=day)
        .order_by("-start_date")
        .first()
    )


def notice_due(event: LifecycleEvent) -> datetime.date | None:
    """By when the event should have been announced: 1 January of the electoral period's third
    year for a takeover; the agreement period's notice before the date of effect otherwise;
    None when no period covers the date (nothing to measure against)."""
    if event.kind == EventKind.TAKEOVER:
        period = rules.takeover_period_for(event.effective_date)
        return period.takeover_notice_by if period is not None else None
    field = NOTICE_FIELD.get(EventKind(event.kind))
    if field is None:
        return None
    agreement = agreement_period_for(event.offer, event.effective_date)
    if agreement is None:
        return None
    return rules.add_months(event.effective_date, -int(getattr(agreement, field)))


def _validate_event(event: LifecycleEvent) -> None:
    kind = EventKind(event.kind)
    errors: dict[str, str] = {}
    if kind in NEEDS_PLACES and event.places is None:
        errors["places"] = _("Angiv antal pladser.")
    if kind == EventKind.OVER_OCCUPANCY:
        if event.end_date is None:
            errors["end_date"] = _("En midlertidig overbelægning skal have en slutdato.")
        elif event.end_date < event.effective_date:
            errors["end_date"] = _("Slutdatoen skal ligge efter startdatoen.")
    elif event.end_date is not None:
        errors["end_date"] = _("Kun en midlertidig overbelægning har en slutdato.")
    if kind == EventKind.REDESIGNATION:
        if event.legal_basis_id is None:
            errors["legal_basis"] = _("Vælg det lovgrundlag, pladserne ommærkes fra.")
        if event.to_legal_basis_id is None:
            errors["to_legal_basis"] = _("Vælg det lovgrundlag, pladserne ommærkes til.")
        elif event.to_legal_basis_id == event.legal_basis_id:
            errors["to_legal_basis"] = _("Pladserne skal ommærkes til et andet lovgrundlag.")
    if kind == EventKind.TAKEOVER:
        offer = event.offer
        if offer.operator_region_id is None:
            errors["kind"] = _("Kun et regionalt tilbud kan overtages efter SEL § 186.")
        if event.new_operator_municipality_id is None:
            errors["new_operator_municipality"] = _("Vælg den kommune, der overtager tilbuddet.")
        elif event.new_operator_municipality_id != offer.location_id:
            errors["new_operator_municipality"] = _(
                "Kun beliggenhedskommunen kan overtage tilbuddet efter SEL § 186."
            )
        if rules.takeover_period_for(event.effective_date) is None:
            period = rules.next_takeover(event.announced_on)
            errors["effective_date"] = _(
                "En overtagelse sker pr. 1. januar i valgperiodens fjerde år (næste mulige: "
                "%(on)s, varslet senest %(notice)s)."
            ) % {"on": _d(period.takeover_on), "notice": _d(period.takeover_notice_by)}
    if kind == EventKind.OPERATOR and (
        (event.new_operator_municipality_id is None) == (event.new_operator_region_id is None)
    ):
        errors["new_operator_municipality"] = _(
            "Vælg den nye driftsherre: en kommune eller regionen."
        )
    # Announcing after the fact is allowed (it is flagged), but not a typo of years.
    if (event.announced_on - event.effective_date).days > 366 * 5:
        errors["announced_on"] = _("Varslingsdatoen ligger mere end fem år efter ændringen.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def event_propose(
    *,
    offer: Offer,
    by: Any,
    kind: str,
    effective_date: datetime.date,
    announced_on: datetime.date | None = None,
    places: int | None = None,
    end_date: datetime.date | None = None,
    legal_basis: LegalBasis | None = None,
    to_legal_basis: LegalBasis | None = None,
    new_operator_municipality: Municipality | None = None,
    new_operator_region: Region | None = None,
    justification: str = "",
    economic_consequences: str = "",
    decided_by_item: AgendaItem | None = None,
    decided_by_round: WrittenRound | None = None,
) -> LifecycleEvent:
    """Propose a change to an offer (the offer's editor or the secretariat). Nothing changes
    until it is confirmed; one tied to a written round is confirmed when the round is approved."""
    if not can_propose_event(by, offer, kind):
        raise PermissionDenied(
            _("Du kan kun foreslå ændringer for tilbud, som din kommune driver.")
        )
    # A change tied to a round is confirmed by the round's approval, not by the secretariat.
    if decided_by_round is not None and not can_confirm_events(by):
        raise PermissionDenied(_("Kun sekretariatet kan sende en ændring i skriftlig høring."))
    if decided_by_round is not None and decided_by_round.state not in (
        RoundState.DRAFT,
        RoundState.OPEN,
    ):
        raise ValidationError(
            {
                "decided_by_round": _(
                    "Høringen er afsluttet; vælg en høring i kladde eller i høring."
                )
            }
        )
    event = LifecycleEvent(
        offer=offer,
        kind=kind,
        effective_date=effective_date,
        announced_on=announced_on or timezone.localdate(),
        places=places,
        end_date=end_date,
        legal_basis=legal_basis,
        to_legal_basis=to_legal_basis,
        new_operator_municipality=new_operator_municipality,
        new_operator_region=new_operator_region,
        justification=justification.strip(),
        economic_consequences=economic_consequences.strip(),
        decided_by_item=decided_by_item,
        decided_by_round=decided_by_round,
        proposed_by=by,
    )
    event.full_clean()
    _validate_event(event)
    event.notice_due = notice_due(event)
    event.announced_late = event.notice_due is not None and event.announced_on > event.notice_due
    event.save()
    return event


def _current_by_basis(offer: Offer, day: datetime.date) -> dict[int | None, int]:
    rows: list[Any] = list(offer.capacities.all())
    return rules.places_by_basis_on(rows, day)


def _write_capacity(event: LifecycleEvent, by: Any | None) -> list[Capacity]:
    offer = event.offer
    kind = EventKind(event.kind)
    user = by if getattr(by, "is_authenticated", False) else None
    rows: list[Capacity] = []

    def row(places: int, basis: LegalBasis | None = None, **extra: Any) -> None:
        rows.append(
            Capacity(
                offer=offer,
                places=places,
                legal_basis=basis,
                valid_from=event.effective_date,
                event=event,
                created_by=user,
                **extra,
            )
        )

    places = event.places or 0  # _validate_event has required it where it matters
    if kind in (EventKind.OPENING, EventKind.CAPACITY):
        row(places, event.legal_basis)
    elif kind == EventKind.OVER_OCCUPANCY:
        row(
            places,
            event.legal_basis,
            kind=CapacityKind.OVER_OCCUPANCY,
            valid_to=event.end_date,
        )
    elif kind == EventKind.CLOSURE:
        row(0)
    elif kind == EventKind.REDESIGNATION:
        basis = event.legal_basis
        if basis is None:  # pragma: no cover - _validate_event requires it
            raise ValidationError({"legal_basis": _("Vælg et lovgrundlag.")})
        current = _current_by_basis(offer, event.effective_date)
        if None in current or event.legal_basis_id not in current:
            raise ValidationError(
                {
                    "legal_basis": _(
                        "Tilbuddets pladser er ikke fordelt på %(basis)s på datoen; registrér "
                        "først pladserne pr. lovgrundlag."
                    )
                    % {"basis": basis.label}
                }
            )
        available = current[event.legal_basis_id]
        if places > available:
            raise ValidationError(
                {
                    "places": _("Der er kun %(available)d pladser efter %(basis)s at ommærke.")
                    % {"available": available, "basis": basis.label}
                }
            )
        row(available - places, basis)
        row(current.get(event.to_legal_basis_id, 0) + places, event.to_legal_basis)
    for capacity in rows:
        capacity.full_clean(exclude=["event"])
        if (
            capacity.kind == CapacityKind.ORDINARY
            and Capacity.objects.filter(
                offer=offer,
                kind=CapacityKind.ORDINARY,
                legal_basis=capacity.legal_basis,
                valid_from=capacity.valid_from,
            ).exists()
        ):
            raise ValidationError(
                {
                    "effective_date": _(
                        "Der er allerede registreret pladser for tilbuddet fra %(day)s; vælg en "
                        "anden dato, eller ret den eksisterende ændring."
                    )
                    % {"day": _d(capacity.valid_from)}
                }
            )
    return Capacity.objects.bulk_create(rows)


@transaction.atomic
def event_confirm(
    *, event: LifecycleEvent, by: Any | None, note: str = "", system: bool = False
) -> LifecycleEvent:
    """Confirm a proposed event (the secretariat; or the system when its written round is
    approved): its capacity rows are written, and it is applied now if its date has come."""
    if not system and not can_confirm_events(by):
        raise PermissionDenied(_("Kun sekretariatet kan bekræfte ændringer."))
    event = (
        LifecycleEvent.objects.select_for_update(of=("self",))
        .select_related("offer__operator_municipality", "offer__location", "legal_basis")
        .get(pk=event.pk)
    )
    if event.state != EventState.PROPOSED:
        raise ValidationError(
            _("Ændringen er allerede %(state)s.") % {"state": event.get_state_display().lower()}
        )
    Offer.objects.select_for_update().filter(pk=event.offer_id).first()
    _validate_event(event)
    _write_capacity(event, by)
    event.state = EventState.CONFIRMED
    event.decided_by = by if getattr(by, "is_authenticated", False) else None
    event.decided_at = timezone.now()
    event.decision_note = note.strip()
    event.save()
    _apply(event, today=timezone.localdate())
    return event


@transaction.atomic
def event_reject(
    *, event: LifecycleEvent, by: Any | None, note: str, system: bool = False
) -> LifecycleEvent:
    """Reject a proposed event, with a reason the proposer sees."""
    if not system and not can_confirm_events(by):
        raise PermissionDenied(_("Kun sekretariatet kan afvise ændringer."))
    event = LifecycleEvent.objects.select_for_update().get(pk=event.pk)
    if event.state != EventState.PROPOSED:
        raise ValidationError(_("Kun en foreslået ændring kan afvises."))
    if not note.strip():
        raise ValidationError({"note": _("Skriv, hvorfor ændringen afvises.")})
    event.state = EventState.REJECTED
    event.decided_by = by if getattr(by, "is_authenticated", False) else None
    event.decided_at = timezone.now()
    event.decision_note = note.strip()
    event.save()
    return event


@transaction.atomic
def event_record(**kwargs: Any) -> LifecycleEvent:
    """The secretariat registers a decided change in one step (propose + confirm)."""
    by = kwargs["by"]
    if not can_confirm_events(by):
        raise PermissionDenied(_("Kun sekretariatet kan registrere besluttede ændringer."))
    note = kwargs.pop("note", "")
    if kwargs.get("decided_by_round") is not None:
        raise ValidationError(
            {
                "decided_by_round": _(
                    "En ændring, der sendes i skriftlig høring, træder i kraft, når høringen er "
                    "godkendt; den kan ikke registreres som besluttet nu."
                )
            }
        )
    event = event_propose(**kwargs)
    return event_confirm(event=event, by=by, note=note)


# --- status and operator on the date of effect ---------------------------------------------------

_STATUS_AFTER = {
    EventKind.OPENING: OfferStatus.ACTIVE,
    EventKind.CLOSURE: OfferStatus.CLOSED,
}


def _apply(event: LifecycleEvent, *, today: datetime.date) -> bool:
    """Bring the offer's status and operator in line with a confirmed event. Before the date
    of effect an announced closure makes the offer "closing" and an opening "planned"."""
    offer = event.offer
    kind = EventKind(event.kind)
    changed: list[str] = []
    if event.effective_date <= today:
        status = _STATUS_AFTER.get(kind)
        if status is not None and offer.status != status:
            offer.status = status
            changed.append("status")
        if kind in (EventKind.TAKEOVER, EventKind.OPERATOR):
            municipality = event.new_operator_municipality
            region = event.new_operator_region
            if (offer.operator_municipality_id, offer.operator_region_id) != (
                getattr(municipality, "pk", None),
                getattr(region, "pk", None),
            ):
                offer.operator_municipality = municipality
                offer.operator_region = region
                changed += ["operator_municipality", "operator_region"]
    elif kind == EventKind.CLOSURE and offer.status == OfferStatus.ACTIVE:
        offer.status = OfferStatus.CLOSING
        changed.append("status")
    elif kind == EventKind.OPENING and offer.status not in (
        OfferStatus.ACTIVE,
        OfferStatus.PLANNED,
    ):
        offer.status = OfferStatus.PLANNED
        changed.append("status")
    if changed:
        offer.save(update_fields=[*changed, "updated_at"])
    return bool(changed)


def events_apply_due(*, today: datetime.date | None = None) -> int:
    """Daily: apply confirmed openings, closures, takeovers and operator changes whose date has
    come. Idempotent (an applied event changes nothing the second time)."""
    today = today or timezone.localdate()
    due = (
        LifecycleEvent.objects.filter(
            state=EventState.CONFIRMED,
            effective_date__lte=today,
            effective_date__gte=today - datetime.timedelta(days=60),
            kind__in=[EventKind.OPENING, EventKind.CLOSURE, EventKind.TAKEOVER, EventKind.OPERATOR],
        )
        .select_related("offer", "new_operator_municipality", "new_operator_region")
        .order_by("effective_date", "pk")
    )
    count = 0
    for event in due:
        with transaction.atomic():
            if _apply(event, today=today):
                count += 1
    return count


# --- written rounds ------------------------------------------------------------------------------


def on_round_closed(sender: Any, round: WrittenRound, state: str, **kwargs: Any) -> None:
    """Receiver of rounds.signals.round_closed (in the round's transaction): an approved round
    confirms the changes proposed with it; a withdrawn one rejects them; a referred one leaves
    them proposed for the meeting to decide."""
    events: Iterable[LifecycleEvent] = LifecycleEvent.objects.filter(
        decided_by_round=round, state=EventState.PROPOSED
    ).order_by("effective_date", "pk")
    for event in events:
        if state == RoundState.APPROVED:
            event_confirm(
                event=event,
                by=None,
                system=True,
                note=_("Godkendt i skriftlig høring »%(title)s«.") % {"title": round.title},
            )
        elif state == RoundState.WITHDRAWN:
            event_reject(
                event=event,
                by=None,
                system=True,
                note=_("Den skriftlige høring »%(title)s« blev trukket tilbage.")
                % {"title": round.title},
            )
