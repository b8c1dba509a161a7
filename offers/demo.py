"""Demo data for the offer registry: the maintained tables (legal bases, target groups, the
agreement periods of Region Midtjylland and Region Nordjylland with their notice periods), and
about fifty invented but plausible offers of the two regions' municipalities and the Regions,
with capacity histories and the lifecycle events behind them.

The data are plain CSV files in `offers/data/`:

- `lovgrundlag.csv`, `maalgrupper.csv`, `aftaleperioder.csv`: the maintained tables;
- `tilbud.csv`: one offer a line; operator and location by name, lists separated by ";";
- `historik.csv`: each offer's capacity history in date order. `art` is `pladser` for places
  registered without an event (the state when the registry starts, 1 January 2019) or an event
  kind (`oprettelse`, `kapacitet`, `overbelaegning`, `lukning`, `ommaerkning`, `overtagelse`,
  `driftsherre`); `besluttet_under` names a demo agenda item as "body slug / date / title",
  `skriftlig_hoering` a demo written round (rounds/demo.py) as "body slug / title".

It includes the cases of seed 002: Sødisebakke (regional, Aarhus Kommune as main buyer), the
three large regional institutions in Mariagerfjord that the municipality will not take over, and
the special children's homes with Danahus; and the offers of the demo written rounds, with the
changes proposed in them.

Rows are written directly (the services check permissions and the clock), but as the services
would leave them: a confirmed event has the capacity rows `offers.services` writes on
confirmation, a proposed one has none; notice deadlines and the late flag come from
`offers.services.notice_due`; an offer's status follows its confirmed openings and closures as
of today. The maintained tables and the offers' facts are upserted (`core.seeding.upsert`);
events and capacity rows are created once and never changed, because from then on they are the
secretariat's and the written rounds' (approving a round confirms its proposed changes). A
second run writes nothing.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from core.seeding import Counter, upsert
from meetings.models import AgendaItem
from offers import rules, services
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
from organizations.models import Municipality, Region
from rounds.models import WrittenRound

DATA = Path(__file__).resolve().parent / "data"
CPH = ZoneInfo("Europe/Copenhagen")
# `art` of a history line that registers places without an event.
PLACES = "pladser"


def _read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def _date(text: str) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _day(text: str, line: dict[str, str]) -> datetime.date:
    if not text:
        raise ValueError(f"Dato mangler i {line}")
    return datetime.date.fromisoformat(text)


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _basis_key(law: str, paragraph: str) -> str:
    return f"{law} § {paragraph}"


# --- the maintained tables -----------------------------------------------------------------------


def seed_legal_bases(counter: Counter) -> dict[str, LegalBasis]:
    """The paragraphs, keyed as in the data files ("SEL § 108", "BL § 43, stk. 3")."""
    bases: dict[str, LegalBasis] = {}
    for order, row in enumerate(_read("lovgrundlag.csv"), start=1):
        basis = upsert(
            LegalBasis,
            counter,
            {"law": row["lov"], "paragraph": row["paragraf"]},
            title=row["betegnelse"],
            is_active=row["i_brug"] == "ja",
            order=order * 10,
        )
        bases[_basis_key(row["lov"], row["paragraf"])] = basis
    return bases


def seed_target_groups(counter: Counter) -> dict[str, TargetGroup]:
    groups: dict[str, TargetGroup] = {}
    for order, row in enumerate(_read("maalgrupper.csv"), start=1):
        groups[row["navn"]] = upsert(
            TargetGroup, counter, {"name": row["navn"]}, is_active=True, order=order * 10
        )
    return groups


def seed_agreement_periods(counter: Counter) -> list[AgreementPeriod]:
    regions = {region.name: region for region in Region.objects.all()}
    periods: list[AgreementPeriod] = []
    for row in _read("aftaleperioder.csv"):
        periods.append(
            upsert(
                AgreementPeriod,
                counter,
                {"region": regions[row["region"]], "name": row["navn"]},
                start_date=_date(row["fra"]),
                end_date=_date(row["til"]),
                notice_months_opening=int(row["varsel_oprettelse"]),
                notice_months_capacity=int(row["varsel_kapacitet"]),
                notice_months_closure=int(row["varsel_lukning"]),
                notice_months_redesignation=int(row["varsel_ommaerkning"]),
                notice_months_operator=int(row["varsel_driftsherre"]),
            )
        )
    return periods


# --- offers --------------------------------------------------------------------------------------


@dataclass
class _Row:
    """A capacity row in memory, for `offers.rules` (the places before a re-designation)."""

    kind: str
    legal_basis_id: int | None
    valid_from: datetime.date
    valid_to: datetime.date | None
    places: int
    pk: int | None = None


def _status(history: list[dict[str, str]], today: datetime.date) -> str:
    """The offer's status as `offers.services` leaves it after its confirmed events."""
    confirmed = [h for h in history if h["status"] == "bekraeftet"]
    for line in confirmed:
        if line["art"] == EventKind.CLOSURE:
            closes = _day(line["fra"], line)
            return OfferStatus.CLOSED if closes <= today else OfferStatus.CLOSING
    openings = [_date(h["fra"]) for h in confirmed if h["art"] == EventKind.OPENING]
    if any(day is not None and day > today for day in openings):
        return OfferStatus.PLANNED
    return OfferStatus.ACTIVE


def _span(history: list[dict[str, str]]) -> tuple[datetime.date, datetime.date | None]:
    """From the first registered places to the day before a confirmed closure (or open)."""
    starts = [
        day
        for h in history
        if h["art"] in (PLACES, EventKind.OPENING) and (day := _date(h["fra"])) is not None
    ]
    end: datetime.date | None = None
    for h in history:
        closes = _date(h["fra"])
        if h["art"] == EventKind.CLOSURE and h["status"] == "bekraeftet" and closes is not None:
            end = closes - datetime.timedelta(days=1)
    return min(starts), end


def _sync(counter: Counter, manager: Any, wanted: list[Any], *, new: bool) -> None:
    """Set a many-to-many relation, writing only if it differs (a change to an existing offer
    counts as an update)."""
    if new:
        manager.set(wanted)
    elif set(manager.values_list("pk", flat=True)) != {obj.pk for obj in wanted}:
        manager.set(wanted)
        counter.updated += 1


def _agenda_item(reference: str) -> AgendaItem | None:
    """The demo agenda item named "body slug / YYYY-MM-DD / title", if it exists."""
    if not reference:
        return None
    slug, day, title = (part.strip() for part in reference.split(" / ", 2))
    start = datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(), CPH)
    return (
        AgendaItem.objects.filter(
            meeting__body__slug=slug,
            meeting__starts_at__gte=start,
            meeting__starts_at__lt=start + datetime.timedelta(days=1),
            title=title,
        )
        .select_related("meeting")
        .first()
    )


def _capacity(
    counter: Counter,
    offer: Offer,
    sim: list[_Row],
    *,
    places: int,
    valid_from: datetime.date,
    basis: LegalBasis | None = None,
    kind: str = CapacityKind.ORDINARY,
    valid_to: datetime.date | None = None,
    event: LifecycleEvent | None = None,
) -> None:
    """Add a capacity row unless it is there: rows are never changed once written."""
    sim.append(_Row(kind, basis.pk if basis else None, valid_from, valid_to, places))
    lookup = {"offer": offer, "kind": kind, "legal_basis": basis, "valid_from": valid_from}
    if Capacity.objects.filter(**lookup).exists():
        return
    row = Capacity(**lookup, valid_to=valid_to, places=places, event=event)
    row.full_clean()
    row.save()
    counter.created += 1


def _round(reference: str) -> WrittenRound | None:
    """The demo written round named "body slug / title", if it exists."""
    if not reference:
        return None
    slug, title = (part.strip() for part in reference.split(" / ", 1))
    return WrittenRound.objects.filter(body__slug=slug, title=title).first()


def _event(
    counter: Counter,
    offer: Offer,
    line: dict[str, str],
    bases: dict[str, LegalBasis],
    municipalities: dict[str, Municipality],
    regions: dict[str, Region],
) -> LifecycleEvent:
    """The event of a history line, created once and then left alone: from then on it is the
    secretariat's (who may confirm or reject it) or its written round's (whose approval
    confirms it), and a second run must not undo that."""
    kind = EventKind(line["art"])
    effective = _day(line["fra"], line)
    basis = bases[line["lovgrundlag"]] if line["lovgrundlag"] else None
    lookup = {"offer": offer, "kind": kind, "effective_date": effective, "legal_basis": basis}
    existing = LifecycleEvent.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    announced = _day(line["varslet"], line)
    item = _agenda_item(line["besluttet_under"])
    round_ = _round(line["skriftlig_hoering"])
    new_operator = line["ny_driftsherre"]
    event = LifecycleEvent(
        **lookup,
        state=EventState.PROPOSED,
        end_date=_date(line["til"]),
        announced_on=announced,
        places=int(line["pladser"]) if line["pladser"] else None,
        to_legal_basis=bases[line["til_lovgrundlag"]] if line["til_lovgrundlag"] else None,
        new_operator_municipality=municipalities.get(new_operator),
        new_operator_region=regions.get(new_operator),
        justification=line["begrundelse"],
        economic_consequences=line["oekonomi"],
        decided_by_item=item,
        decided_by_round=round_,
    )
    event.notice_due = services.notice_due(event)
    event.announced_late = event.notice_due is not None and announced > event.notice_due
    if line["status"] == "bekraeftet":
        event.state = EventState.CONFIRMED
        if round_ is not None and round_.resolved_at is not None:
            event.decided_at = round_.resolved_at
            # The note offers.services.on_round_closed writes.
            event.decision_note = f"Godkendt i skriftlig høring »{round_.title}«."
        elif item is not None:
            event.decided_at = item.meeting.starts_at
        else:
            event.decided_at = datetime.datetime.combine(announced, datetime.time(12), CPH)
    event.full_clean()
    event.save()
    counter.created += 1
    return event


def _history(
    counter: Counter,
    offer: Offer,
    history: list[dict[str, str]],
    bases: dict[str, LegalBasis],
    municipalities: dict[str, Municipality],
    regions: dict[str, Region],
) -> None:
    sim: list[_Row] = []
    for line in history:
        day = _day(line["fra"], line)
        basis = bases[line["lovgrundlag"]] if line["lovgrundlag"] else None
        if line["art"] == PLACES:
            _capacity(counter, offer, sim, places=int(line["pladser"]), valid_from=day, basis=basis)
            continue
        event = _event(counter, offer, line, bases, municipalities, regions)
        if event.state != EventState.CONFIRMED:
            continue
        # The rows `offers.services._write_capacity` writes when the event is confirmed.
        places = event.places or 0
        row: dict[str, Any] = {"valid_from": day, "event": event}
        match EventKind(event.kind):
            case EventKind.OPENING | EventKind.CAPACITY:
                _capacity(counter, offer, sim, places=places, basis=basis, **row)
            case EventKind.OVER_OCCUPANCY:
                _capacity(
                    counter,
                    offer,
                    sim,
                    places=places,
                    basis=basis,
                    kind=CapacityKind.OVER_OCCUPANCY,
                    valid_to=event.end_date,
                    **row,
                )
            case EventKind.CLOSURE:
                _capacity(counter, offer, sim, places=0, **row)
            case EventKind.REDESIGNATION:
                target = event.to_legal_basis
                current = rules.places_by_basis_on(sim, day)
                if basis is None or target is None or places > current.get(basis.pk, 0):
                    raise ValueError(f"Ommærkningen passer ikke med pladserne: {line}")
                available = current[basis.pk]
                _capacity(counter, offer, sim, places=available - places, basis=basis, **row)
                moved = current.get(target.pk, 0) + places
                _capacity(counter, offer, sim, places=moved, basis=target, **row)
            case _:
                pass  # takeover, change of operator: no capacity rows


def seed_offers(
    counter: Counter,
    bases: dict[str, LegalBasis],
    groups: dict[str, TargetGroup],
    periods: list[AgreementPeriod],
) -> None:
    today = timezone.localdate()
    municipalities = {m.name: m for m in Municipality.objects.select_related("region")}
    regions = {region.name: region for region in Region.objects.all()}
    histories: dict[str, list[dict[str, str]]] = {}
    for line in _read("historik.csv"):
        histories.setdefault(line["tilbud"], []).append(line)
    for row in _read("tilbud.csv"):
        history = histories[row["navn"]]
        operator = row["driftsherre"]
        municipality = municipalities.get(operator)
        region = regions.get(operator) if municipality is None else None
        if municipality is not None:
            region_id = municipality.region_id
        elif region is not None:
            region_id = region.pk
        else:
            raise ValueError(f"Ukendt driftsherre: {operator}")
        tp_id = row["tilbudsportal_id"]
        # Looked up by the Tilbudsportalen id; one not registered there yet, by its name.
        values: dict[str, Any] = {"name": row["navn"], "tilbudsportalen_id": tp_id}
        key = "tilbudsportalen_id" if tp_id else "name"
        lookup = {key: values.pop(key)}
        created = counter.created
        offer = upsert(
            Offer,
            counter,
            lookup,
            **values,
            operator_municipality=municipality,
            operator_region=region,
            location=municipalities[row["beliggenhed"]],
            address=row["adresse"],
            postal_code=row["postnr"],
            city=row["by"],
            area=row["omraade"],
            offer_type=row["tilbudstype"],
            is_covered=row["omfattet"] == "ja",
            steering_category=row["kategori"],
            coverage=row["daekning"],
            description=row["beskrivelse"],
            status=_status(history, today),
        )
        new = counter.created > created
        legal_bases = [bases[key] for key in _list(row["lovgrundlag"])]
        if not legal_bases:
            raise ValueError(f"{row['navn']} har intet lovgrundlag")
        _sync(counter, offer.legal_bases, legal_bases, new=new)
        target_groups = [groups[name] for name in _list(row["maalgrupper"])]
        _sync(counter, offer.target_groups, target_groups, new=new)
        start, end = _span(history)
        belongs = [
            period
            for period in periods
            if offer.is_covered
            and period.region_id == region_id
            and period.end_date >= start
            and (end is None or period.start_date <= end)
        ]
        _sync(counter, offer.agreement_periods, belongs, new=new)
        _history(counter, offer, history, bases, municipalities, regions)


def seed(counter: Counter) -> None:
    bases = seed_legal_bases(counter)
    groups = seed_target_groups(counter)
    periods = seed_agreement_periods(counter)
    seed_offers(counter, bases, groups, periods)
