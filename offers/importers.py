"""Import of offers from a Tilbudsportalen-like export (CSV or XLSX), and its services.

The import is a preview, then a confirmed apply:

1. `offer_import_preview` checks the upload by content and size, reads it (XLSX with openpyxl,
   CSV through core.importing), validates every row and plans what would happen: which offers
   are new, which change (field: old → new) and which are unchanged. Nothing is written but the
   `ImportJob` that keeps the file (and its SHA-256) for the next step.
2. `offer_import_start` queues the job; `offer_import_apply` (a Celery task, in-process without
   a broker) reads the kept file again, validates and plans it again against the database as it
   is now, and writes everything in one transaction, or nothing.

Rows are matched on their Tilbudsportalen-id. A column that is in the file is the truth for
every row; a column that is not in the file leaves that field as it is. A changed number of
places becomes a new capacity row dated the import date: history is never overwritten. Who
operates an offer is not changed by an import (that is a lifecycle event with its own decision).
Re-importing the same file changes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.importing import (
    XLSX_MAX_UNPACKED_BYTES,
    CellError,
    Column,
    CsvRow,
    CsvTable,
    ImportFileError,
    RowChecker,
    RowError,
    choice_parser,
    normalise,
    read_csv,
    read_upload,
    xlsx_as_csv,
)
from meetings.attachments import FILE_TYPES, XLSX, detect_content_type
from offers import rules
from offers.models import (
    LAW_SHORT,
    Area,
    Capacity,
    CapacityKind,
    ImportJob,
    ImportState,
    Law,
    LegalBasis,
    Offer,
    OfferType,
    TargetGroup,
)
from offers.permissions import can_manage_offers
from offers.services import offer_create, offer_update
from organizations.importers import Lookups
from organizations.models import Municipality, Region

logger = logging.getLogger(__name__)

CSV_FORMAT = "csv"
XLSX_FORMAT = "xlsx"
# How often (in rows) the progress of a running import is written.
PROGRESS_EVERY = 25
# A running import whose worker has been silent this long is taken over by the next attempt.
STALE_AFTER = datetime.timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 360)) * 2)


# --- the columns ---------------------------------------------------------------------------------

TP_ID = "Tilbudsportalen-id"
NAME = "Navn"
OPERATOR = "Driftsherre"
LOCATION = "Beliggenhedskommune"
ADDRESS = "Adresse"
POSTAL_CODE = "Postnr"
CITY = "By"
AREA = "Område"
OFFER_TYPE = "Tilbudstype"
LEGAL_BASES = "Paragraffer"
TARGET_GROUPS = "Målgrupper"
PLACES = "Pladser"
COVERED = "Omfattet"

COLUMNS = (
    Column(TP_ID, aliases=("tilbudsportalen id", "tilbudsportalenid", "tilbuds-id", "tp-id")),
    Column(NAME, aliases=("tilbudsnavn", "tilbud")),
    Column(OPERATOR, aliases=("driftsherre (kommune/region)", "driftsherre kommune")),
    Column(LOCATION, aliases=("beliggenhed", "beliggenhedskommune (kommune)")),
    Column(ADDRESS, required=False, aliases=("vejadresse",)),
    Column(POSTAL_CODE, required=False, aliases=("postnummer", "post nr.", "postnr.")),
    Column(CITY, required=False, aliases=("postdistrikt", "bynavn")),
    Column(AREA, aliases=("omrade", "målgruppeområde")),
    Column(OFFER_TYPE, aliases=("type", "tilbudsform")),
    Column(LEGAL_BASES, aliases=("paragraf", "lovgrundlag", "paragraffer (lovgrundlag)")),
    Column(TARGET_GROUPS, required=False, aliases=("malgrupper", "målgruppe")),
    Column(PLACES, aliases=("antal pladser", "pladsantal", "normering")),
    Column(COVERED, required=False, aliases=("omfattet af styringsaftalen", "styringsaftale")),
)

# What each column holds, for the import page.
COLUMN_HELP: dict[str, Any] = {
    TP_ID: gettext_lazy("Tilbuddets id i Tilbudsportalen. Bruges til at genkende tilbuddet."),
    NAME: gettext_lazy("Tilbuddets navn."),
    OPERATOR: gettext_lazy(
        "Kommunens navn eller kommunekode, eller regionens navn (fx Region Midtjylland)."
    ),
    LOCATION: gettext_lazy("Den kommune, tilbuddet ligger i: navn eller kommunekode."),
    ADDRESS: gettext_lazy("Vej og nummer."),
    POSTAL_CODE: gettext_lazy("Fire cifre."),
    CITY: gettext_lazy("Postdistrikt."),
    AREA: gettext_lazy("Børn og unge, Voksne eller Specialundervisning."),
    OFFER_TYPE: gettext_lazy(
        "Fx Botilbud, Døgntilbud, Dagtilbud, Aflastning, Undervisningstilbud."
    ),
    LEGAL_BASES: gettext_lazy(
        "Et eller flere lovgrundlag fra portalens tabel, adskilt af semikolon, fx "
        "»SEL § 107; SEL § 108« eller »Barnets lov § 43, stk. 3«."
    ),
    TARGET_GROUPS: gettext_lazy(
        "Målgrupper fra portalens liste, adskilt af semikolon. Tom: ingen målgrupper."
    ),
    PLACES: gettext_lazy(
        "Antal pladser. Et ændret antal registreres som ny kapacitet fra importdatoen. "
        "Tom: antallet ændres ikke."
    ),
    COVERED: gettext_lazy("ja eller nej. Tom: nye tilbud er omfattet, andre ændres ikke."),
}

# Which column a field's error belongs to, when a write is refused at the last moment.
FIELD_COLUMNS = {
    "name": NAME,
    "tilbudsportalen_id": TP_ID,
    "operator_municipality": OPERATOR,
    "operator_region": OPERATOR,
    "location": LOCATION,
    "address": ADDRESS,
    "postal_code": POSTAL_CODE,
    "city": CITY,
    "area": AREA,
    "offer_type": OFFER_TYPE,
    "legal_bases": LEGAL_BASES,
    "target_groups": TARGET_GROUPS,
    "is_covered": COVERED,
    "places": PLACES,
    "valid_from": PLACES,
}

NAME_MAX = Offer._meta.get_field("name").max_length or 200
TP_ID_MAX = Offer._meta.get_field("tilbudsportalen_id").max_length or 20
ADDRESS_MAX = Offer._meta.get_field("address").max_length or 200
CITY_MAX = Offer._meta.get_field("city").max_length or 100
MAX_PLACES = 100_000

# --- reading the file ----------------------------------------------------------------------------


def file_format_of(data: bytes) -> str:
    """ "xlsx" or "csv", decided by the content; anything else is refused in Danish."""
    content_type = detect_content_type(io.BytesIO(data))
    if content_type == XLSX:
        return XLSX_FORMAT
    if content_type is not None:
        raise ImportFileError.whole_file(
            _(
                "Filen er en %(kind)s-fil. Upload et Excel-regneark (.xlsx) eller en CSV-fil "
                "gemt i UTF-8."
            )
            % {"kind": FILE_TYPES[content_type].label}
        )
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError.whole_file(
            _(
                "Filen er en ZIP-fil, men ikke et Excel-regneark (.xlsx). Upload et regneark "
                "eller en CSV-fil."
            )
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError.whole_file(
            _(
                "Filen er i det gamle Excel-format (.xls). Gem den i Excel som "
                "»Excel-projektmappe (.xlsx)« eller »CSV UTF-8«, og prøv igen."
            )
        )
    return CSV_FORMAT


def read_offer_file(data: bytes) -> tuple[str, CsvTable]:
    """The file's format and its rows (not yet validated). Raises ImportFileError."""
    file_format = file_format_of(data)
    if file_format == XLSX_FORMAT:
        return file_format, read_csv(
            xlsx_as_csv(data), columns=COLUMNS, max_bytes=XLSX_MAX_UNPACKED_BYTES
        )
    return file_format, read_csv(data, columns=COLUMNS)


# --- validating a row ----------------------------------------------------------------------------

_PARTS = re.compile(r"[;|\n]+")
_BASIS_NOISE = re.compile(r"§+|\bstk\b\.?|[,.]")
_BASIS_SPLIT = re.compile(r"^(?P<law>.*?)\s*(?P<paragraph>\d+\s*[a-z]?(?:\s+\d+\s*[a-z]?)?)$")


def _paragraph_key(value: str) -> str:
    text = _BASIS_NOISE.sub(" ", value.casefold())
    text = re.sub(r"(\d)\s+([a-z])\b", r"\1\2", text)
    return " ".join(text.split())


def _law_keys(law: str) -> set[str]:
    member = Law(law)
    names = {member.value, str(member.label), LAW_SHORT.get(member, member.value)}
    keys = {normalise(name) for name in names}
    if member == Law.SEL:
        keys |= {"servicelov", "servicelovens", "lov om social service"}
    if member == Law.BARNETS_LOV:
        keys |= {"barnets lov", "barnetslov", "bl"}
    return keys


class LegalBasisLookup:
    """Legal bases by what a file may call them: "SEL § 108", "Serviceloven §108",
    "Barnets lov § 43, stk. 3", "BL 43 stk 3" or just "§ 108" when only one law has it."""

    def __init__(self, bases: Iterable[LegalBasis]) -> None:
        self.by_key: dict[tuple[str, str], LegalBasis] = {}
        self.by_paragraph: dict[str, list[LegalBasis]] = {}
        for basis in bases:
            paragraph = _paragraph_key(basis.paragraph)
            for law_key in _law_keys(basis.law):
                self.by_key[(law_key, paragraph)] = basis
            self.by_paragraph.setdefault(paragraph, []).append(basis)

    def find(self, value: str) -> LegalBasis:
        text = _paragraph_key(normalise(value))
        match = _BASIS_SPLIT.match(text)
        found: LegalBasis | None = None
        if match:
            law, paragraph = match["law"].strip(), _paragraph_key(match["paragraph"])
            if law:
                found = self.by_key.get((law, paragraph))
            else:
                candidates = self.by_paragraph.get(paragraph, [])
                if len(candidates) > 1:
                    raise CellError(
                        _("»%(value)s« kan være flere lovgrundlag (%(labels)s). Skriv loven med.")
                        % {
                            "value": value.strip(),
                            "labels": ", ".join(basis.label for basis in candidates),
                        }
                    )
                found = candidates[0] if candidates else None
        if found is None:
            raise CellError(
                _(
                    "»%(value)s« findes ikke i portalens tabel over lovgrundlag. Skriv fx "
                    "»SEL § 108« eller »Barnets lov § 43, stk. 3«, eller opret lovgrundlaget "
                    "først."
                )
                % {"value": value.strip()}
            )
        if not found.is_active:
            raise CellError(
                _("%(label)s er ikke længere i brug i portalens tabel over lovgrundlag.")
                % {"label": found.label}
            )
        return found

    def find_all(self, value: str) -> tuple[LegalBasis, ...]:
        parts = [part for part in _PARTS.split(value) if part.strip()]
        if not parts:
            raise CellError(_("Skriv mindst ét lovgrundlag, fx »SEL § 108«."))
        found: dict[int, LegalBasis] = {}
        for part in parts:
            basis = self.find(part)
            found[basis.pk] = basis
        return tuple(found.values())


def _target_groups_parser(
    groups: Iterable[TargetGroup],
) -> Callable[[str], tuple[TargetGroup, ...]]:
    table = {normalise(group.name): group for group in groups}

    def parse(value: str) -> tuple[TargetGroup, ...]:
        found: dict[int, TargetGroup] = {}
        for part in _PARTS.split(value):
            if not part.strip():
                continue
            group = table.get(normalise(part))
            if group is None:
                raise CellError(
                    _("Målgruppen »%(value)s« findes ikke i portalens liste over målgrupper.")
                    % {"value": part.strip()}
                )
            if not group.is_active:
                raise CellError(
                    _("Målgruppen »%(value)s« er ikke længere i brug.") % {"value": group.name}
                )
            found[group.pk] = group
        return tuple(found.values())

    return parse


def _choices_parser(
    choices: Iterable[tuple[str, Any]], extra: dict[str, str], *, message: str
) -> Callable[[str], str]:
    options: dict[str, str] = {}
    labels: list[str] = []
    for value, label in choices:
        options[value] = value
        options[str(label)] = value
        labels.append(str(label))
    options.update(extra)
    return choice_parser(options, message=message.replace("%(valid)s", ", ".join(labels)))


def _places(value: str) -> int | None:
    text = value.strip().replace(" ", "")
    if not text:
        return None
    if not text.isdigit():
        raise CellError(
            _("»%(value)s« er ikke et helt antal pladser. Skriv et tal, fx 12.")
            % {"value": value.strip()}
        )
    places = int(text)
    if places > MAX_PLACES:
        raise CellError(_("%(n)d pladser er ikke et sandsynligt antal.") % {"n": places})
    return places


def _postal_code(value: str) -> str:
    text = value.strip()
    if text and not re.fullmatch(r"\d{4}", text):
        raise CellError(
            _("»%(value)s« er ikke et postnummer. Skriv fire cifre, fx 8800.") % {"value": text}
        )
    return text


def _covered(value: str) -> bool | None:
    key = normalise(value)
    if not key:
        return None
    if key in ("ja", "j", "x", "1", "omfattet"):
        return True
    if key in ("nej", "n", "0", "ikke omfattet"):
        return False
    raise CellError(_("»%(value)s« er hverken »ja« eller »nej«.") % {"value": value.strip()})


@dataclass(frozen=True)
class OfferRow:
    """One valid row. None: the column is not in the file (the field is left as it is)."""

    number: int
    tilbudsportalen_id: str
    name: str
    operator: Municipality | Region
    location: Municipality
    area: str
    offer_type: str
    legal_bases: tuple[LegalBasis, ...]
    address: str | None
    postal_code: str | None
    city: str | None
    target_groups: tuple[TargetGroup, ...] | None
    places: int | None
    is_covered: bool | None


class OfferRowValidator:
    """Validates one row; the tables it matches against are loaded once (a fixed number of
    queries, whatever the length of the file)."""

    def __init__(self, present: set[str]) -> None:
        self.present = present
        self.lookups = Lookups()
        self.legal_bases = LegalBasisLookup(LegalBasis.objects.all())
        self.parse_target_groups = _target_groups_parser(TargetGroup.objects.all())
        self.parse_area = _choices_parser(
            Area.choices,
            {
                "børn": Area.CHILDREN,
                "unge": Area.CHILDREN,
                "børn/unge": Area.CHILDREN,
                "børn og unge": Area.CHILDREN,
                "voksen": Area.ADULTS,
                "voksenområdet": Area.ADULTS,
                "specialundervisning for voksne": Area.SPECIAL_EDUCATION,
            },
            message=_("»%(value)s« er ikke et område. Gyldige områder: %(valid)s."),
        )
        self.parse_offer_type = _choices_parser(
            OfferType.choices,
            {
                "døgn": OfferType.RESIDENTIAL,
                "bosted": OfferType.HOUSING,
                "botilbud (midlertidigt)": OfferType.HOUSING,
                "botilbud (længerevarende)": OfferType.HOUSING,
                "dagbeskæftigelse": OfferType.DAY,
                "aktivitets- og samværstilbud": OfferType.DAY,
                "skole": OfferType.EDUCATION,
                "specialskole": OfferType.EDUCATION,
                "behandling": OfferType.COUNSELLING,
                "rådgivning": OfferType.COUNSELLING,
                "sikret døgninstitution": OfferType.SECURE,
            },
            message=_("»%(value)s« er ikke en tilbudstype. Gyldige typer: %(valid)s."),
        )
        self.seen_ids: dict[str, int] = {}

    def _operator(self, value: str) -> Municipality | Region:
        key = normalise(value)
        found = self.lookups.municipalities.get(key) or self.lookups.regions.get(key)
        if found is None:
            raise CellError(
                _(
                    "»%(value)s« er hverken en kommune (navn eller kommunekode) eller en region "
                    "i portalen."
                )
                % {"value": value.strip()}
            )
        return found

    def _optional_text(self, check: RowChecker, column: str, max_length: int) -> str | None:
        if column not in self.present:
            return None
        return check.text(column, max_length=max_length)

    def validate(self, row: CsvRow, check: RowChecker) -> OfferRow | None:
        tp_id = check.text(TP_ID, required=True, max_length=TP_ID_MAX)
        if tp_id and tp_id in self.seen_ids:
            check.error(
                TP_ID,
                _("Id'et står også i række %(row)d. Hvert tilbud må kun stå én gang.")
                % {"row": self.seen_ids[tp_id]},
            )
        elif tp_id:
            self.seen_ids[tp_id] = row.number
        name = check.text(NAME, required=True, max_length=NAME_MAX)
        operator = check.cell(OPERATOR, self._operator, required=True)
        location = check.cell(LOCATION, self.lookups.municipality, required=True)
        area = check.cell(AREA, self.parse_area, required=True)
        offer_type = check.cell(OFFER_TYPE, self.parse_offer_type, required=True)
        legal_bases = check.cell(LEGAL_BASES, self.legal_bases.find_all, required=True)
        address = self._optional_text(check, ADDRESS, ADDRESS_MAX)
        postal_code = check.cell(POSTAL_CODE, _postal_code) if POSTAL_CODE in self.present else None
        city = self._optional_text(check, CITY, CITY_MAX)
        target_groups = (
            check.cell(TARGET_GROUPS, self.parse_target_groups)
            if TARGET_GROUPS in self.present
            else None
        )
        places = check.cell(PLACES, _places)
        is_covered = check.cell(COVERED, _covered) if COVERED in self.present else None
        if (
            check.errors
            or operator is None
            or location is None
            or area is None
            or offer_type is None
            or legal_bases is None
        ):
            return None
        return OfferRow(
            number=row.number,
            tilbudsportalen_id=tp_id,
            name=name,
            operator=operator,
            location=location,
            area=area,
            offer_type=offer_type,
            legal_bases=legal_bases,
            address=address,
            postal_code=postal_code,
            city=city,
            target_groups=target_groups,
            places=places,
            is_covered=is_covered,
        )


# --- the plan: what the import would do ----------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class PlannedRow:
    """What one row does: creates an offer (`offer` is None), changes one, or nothing."""

    row: OfferRow
    offer: Offer | None
    changes: list[FieldChange] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    legal_bases: tuple[LegalBasis, ...] | None = None
    target_groups: tuple[TargetGroup, ...] | None = None
    new_places: int | None = None

    @property
    def is_new(self) -> bool:
        return self.offer is None

    @property
    def is_changed(self) -> bool:
        return self.offer is not None and bool(self.changes)


@dataclass
class ImportPlan:
    file_format: str = CSV_FORMAT
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    import_date: datetime.date | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def created(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.is_new]

    @property
    def changed(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.is_changed]

    @property
    def unchanged(self) -> list[PlannedRow]:
        return [row for row in self.rows if not row.is_new and not row.changes]

    def as_preview(self) -> dict[str, Any]:
        """The plan as JSON for the ImportJob (the preview page reads it back)."""

        def head(planned: PlannedRow) -> dict[str, Any]:
            return {
                "row": planned.row.number,
                "tilbudsportalen_id": planned.row.tilbudsportalen_id,
                "name": planned.row.name,
                "offer_id": planned.offer.pk if planned.offer is not None else None,
            }

        return {
            "rows": len(self.rows),
            "import_date": self.import_date.isoformat() if self.import_date else None,
            "created": [
                {
                    **head(p),
                    "operator": str(p.row.operator),
                    "places": p.row.places,
                    "legal_bases": _labels(p.row.legal_bases),
                }
                for p in self.created
            ],
            "changed": [
                {
                    **head(p),
                    "changes": [{"field": c.label, "old": c.old, "new": c.new} for c in p.changes],
                }
                for p in self.changed
            ],
            "unchanged": [head(p) for p in self.unchanged],
        }


def _labels(items: Iterable[LegalBasis | TargetGroup]) -> str:
    return "; ".join(str(item) for item in items) or "–"


def _text(value: str) -> str:
    return value or "–"


def _same_operator(offer: Offer, operator: Municipality | Region) -> bool:
    if isinstance(operator, Municipality):
        return offer.operator_municipality_id == operator.pk
    return offer.operator_region_id == operator.pk


def _current_places(offer: Offer, day: datetime.date) -> int | None:
    """The offer's ordinary places (without temporary over-occupancy) on `day`."""
    rows: list[Any] = list(offer.capacities.all())
    if not any(r.kind == CapacityKind.ORDINARY and r.valid_from <= day for r in rows):
        return None
    return sum(rules.places_by_basis_on(rows, day).values())


def _plan_row(
    row: OfferRow, offer: Offer | None, *, today: datetime.date, errors: list[RowError]
) -> PlannedRow:
    planned = PlannedRow(row=row, offer=offer)
    if offer is None:
        return planned
    if not _same_operator(offer, row.operator):
        errors.append(
            RowError(
                row.number,
                OPERATOR,
                _(
                    "Tilbuddet drives i portalen af %(current)s, ikke %(new)s. Et skift af "
                    "driftsherre registreres som en ændring på tilbuddets side, ikke ved import."
                )
                % {"current": offer.operator, "new": row.operator},
            )
        )
        return planned

    def change(name: str, label: str, old: Any, new: Any, shown_old: str, shown_new: str) -> None:
        if old != new:
            planned.fields[name] = new
            planned.changes.append(FieldChange(label, shown_old, shown_new))

    change("name", NAME, offer.name, row.name, offer.name, row.name)
    change(
        "location",
        LOCATION,
        offer.location_id,
        row.location.pk,
        str(offer.location),
        str(row.location),
    )
    if "location" in planned.fields:
        planned.fields["location"] = row.location
    for name, label, value in (
        ("address", ADDRESS, row.address),
        ("postal_code", POSTAL_CODE, row.postal_code),
        ("city", CITY, row.city),
    ):
        if value is not None:
            old = getattr(offer, name)
            change(name, label, old, value, _text(old), _text(value))
    change(
        "area",
        AREA,
        offer.area,
        row.area,
        str(Area(offer.area).label),
        str(Area(row.area).label),
    )
    change(
        "offer_type",
        OFFER_TYPE,
        offer.offer_type,
        row.offer_type,
        str(OfferType(offer.offer_type).label),
        str(OfferType(row.offer_type).label),
    )
    if row.is_covered is not None:
        change(
            "is_covered",
            COVERED,
            offer.is_covered,
            row.is_covered,
            _("ja") if offer.is_covered else _("nej"),
            _("ja") if row.is_covered else _("nej"),
        )
    current_bases = list(offer.legal_bases.all())
    if {b.pk for b in current_bases} != {b.pk for b in row.legal_bases}:
        planned.legal_bases = row.legal_bases
        planned.changes.append(
            FieldChange(LEGAL_BASES, _labels(current_bases), _labels(row.legal_bases))
        )
    if row.target_groups is not None:
        current_groups = list(offer.target_groups.all())
        if {g.pk for g in current_groups} != {g.pk for g in row.target_groups}:
            planned.target_groups = row.target_groups
            planned.changes.append(
                FieldChange(TARGET_GROUPS, _labels(current_groups), _labels(row.target_groups))
            )
    if row.places is not None:
        current = _current_places(offer, today)
        if current != row.places:
            taken = any(
                c.kind == CapacityKind.ORDINARY
                and c.legal_basis_id is None
                and c.valid_from == today
                for c in offer.capacities.all()
            )
            if taken:
                errors.append(
                    RowError(
                        row.number,
                        PLACES,
                        _(
                            "Der er allerede registreret pladser for tilbuddet fra %(day)s. "
                            "Importér ændringen en anden dag, eller registrér den som en "
                            "ændring på tilbuddets side."
                        )
                        % {"day": date_format(today, "j. F Y")},
                    )
                )
            planned.new_places = row.places
            planned.changes.append(
                FieldChange(
                    PLACES,
                    "–" if current is None else str(current),
                    _("%(places)d fra %(day)s")
                    % {"places": row.places, "day": date_format(today, "j. F Y")},
                )
            )
    return planned


def _existing_offers(ids: Sequence[str]) -> dict[str, Offer]:
    offers = (
        Offer.objects.filter(tilbudsportalen_id__in=ids)
        .select_related("operator_municipality", "operator_region", "location")
        .prefetch_related("legal_bases", "target_groups", "capacities")
    )
    return {offer.tilbudsportalen_id: offer for offer in offers}


def build_plan(
    data: bytes,
    *,
    today: datetime.date,
    progress: Callable[[int, int], None] | None = None,
) -> ImportPlan:
    """Read and validate the whole file and plan every row against the database as it is. A
    plan with errors must not be applied. `progress(done, total)` is told as rows are checked."""
    plan = ImportPlan(import_date=today)
    try:
        plan.file_format, table = read_offer_file(data)
    except ImportFileError as exc:
        plan.errors.extend(exc.errors)
        return plan
    if not table.rows:
        plan.errors.append(RowError(None, None, _("Filen har ingen rækker under overskriften.")))
        return plan
    present = {name for row in table.rows for name in row.values}
    validator = OfferRowValidator(present)
    valid: list[OfferRow] = []
    total = len(table.rows)
    for index, row in enumerate(table.rows, start=1):
        check = RowChecker(row)
        value = validator.validate(row, check)
        plan.errors.extend(check.errors)
        if value is not None and not check.errors:
            valid.append(value)
        if progress is not None and (index % PROGRESS_EVERY == 0 or index == total):
            progress(index, total)
    if plan.errors:
        return plan
    existing = _existing_offers([row.tilbudsportalen_id for row in valid])
    for offer_row in valid:
        offer = existing.get(offer_row.tilbudsportalen_id)
        plan.rows.append(_plan_row(offer_row, offer, today=today, errors=plan.errors))
    return plan


# --- writing -------------------------------------------------------------------------------------


def _row_errors(number: int, exc: ValidationError) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(number, None, message) for message in exc.messages]
    errors: list[RowError] = []
    for name, messages in exc.message_dict.items():
        column = None if name == NON_FIELD_ERRORS else FIELD_COLUMNS.get(name)
        errors.extend(RowError(number, column, message) for message in messages)
    return errors


def _write(planned: PlannedRow, *, by: Any, today: datetime.date) -> str:
    """Write one planned row; returns "created", "changed" or "unchanged"."""
    row = planned.row
    if planned.offer is None:
        operator = row.operator
        offer_create(
            by=by,
            operator_municipality=operator if isinstance(operator, Municipality) else None,
            operator_region=operator if isinstance(operator, Region) else None,
            legal_bases=row.legal_bases,
            target_groups=row.target_groups or (),
            places=row.places,
            places_from=today,
            name=row.name,
            tilbudsportalen_id=row.tilbudsportalen_id,
            location=row.location,
            address=row.address or "",
            postal_code=row.postal_code or "",
            city=row.city or "",
            area=row.area,
            offer_type=row.offer_type,
            is_covered=True if row.is_covered is None else row.is_covered,
        )
        return "created"
    if not planned.changes:
        return "unchanged"
    offer = planned.offer
    if planned.fields or planned.legal_bases is not None or planned.target_groups is not None:
        offer = offer_update(
            offer=offer,
            by=by,
            legal_bases=planned.legal_bases,
            target_groups=planned.target_groups,
            **planned.fields,
        )
    if planned.new_places is not None:
        capacity = Capacity(
            offer=offer,
            kind=CapacityKind.ORDINARY,
            places=planned.new_places,
            valid_from=today,
            created_by=by,
        )
        capacity.full_clean(exclude=["event"])
        capacity.save()
    return "changed"


def apply_plan(plan: ImportPlan, *, by: Any) -> dict[str, int]:
    """Write a valid plan in one transaction, or nothing (then the errors are in the plan)."""
    if not can_manage_offers(by):
        raise PermissionDenied(_("Kun sekretariatet kan importere tilbud."))
    if not plan.ok or plan.import_date is None:
        raise ValueError("only a valid plan can be applied")
    counts = {"created": 0, "changed": 0, "unchanged": 0}

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            for planned in plan.rows:
                try:
                    with transaction.atomic():
                        counts[_write(planned, by=by, today=plan.import_date)] += 1
                except ValidationError as exc:
                    plan.errors.extend(_row_errors(planned.row.number, exc))
            if plan.errors:
                raise Rollback
    except Rollback:
        return {}
    return counts


# --- the services --------------------------------------------------------------------------------


def _error_json(errors: Iterable[RowError]) -> list[dict[str, Any]]:
    return [{"row": e.row, "column": e.column, "message": e.message} for e in errors]


def job_errors(job: ImportJob) -> list[RowError]:
    return [RowError(e.get("row"), e.get("column"), e.get("message", "")) for e in job.errors]


def offer_import_preview(
    *, upload: UploadedFile, by: Any, today: datetime.date | None = None
) -> tuple[ImportJob | None, ImportPlan]:
    """Check and plan an uploaded file (secretariat). A valid file is kept in a new ImportJob
    awaiting confirmation; nothing else is written. With errors, no job is made."""
    if not can_manage_offers(by):
        raise PermissionDenied(_("Kun sekretariatet kan importere tilbud."))
    today = today or timezone.localdate()
    try:
        data = read_upload(upload)
    except ImportFileError as exc:
        return None, ImportPlan(errors=list(exc.errors))
    plan = build_plan(data, today=today)
    if not plan.ok:
        return None, plan
    job = ImportJob(
        created_by=by,
        file_name=(getattr(upload, "name", "") or "")[:255],
        file_format=plan.file_format,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        total=len(plan.rows),
        preview=plan.as_preview(),
    )
    job.full_clean()
    job.save()
    return job, plan


@transaction.atomic
def offer_import_start(*, job: ImportJob, by: Any) -> ImportJob:
    """Confirm a previewed import (secretariat): it is queued and applied in the background."""
    if not can_manage_offers(by):
        raise PermissionDenied(_("Kun sekretariatet kan importere tilbud."))
    queued = ImportJob.objects.filter(pk=job.pk, state=ImportState.PREVIEW).update(
        state=ImportState.QUEUED, applied_by=by, processed=0
    )
    if not queued:
        raise ValidationError(_("Importen er allerede sat i gang."))
    from offers.tasks import apply_import  # the task module imports this one

    transaction.on_commit(lambda: apply_import.delay(job.pk))
    return ImportJob.objects.get(pk=job.pk)


def _progress(job_id: int) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(total=total, processed=min(done, total))

    return report


def _finish(job_id: int, state: str, **values: Any) -> None:
    ImportJob.objects.filter(pk=job_id).update(state=state, finished_at=timezone.now(), **values)


def offer_import_apply(*, job_id: int, now: datetime.datetime | None = None) -> ImportJob | None:
    """Apply a queued import (the task): claim it, read the kept file again, validate and plan
    it against the database as it is now, and write it all in one transaction, or nothing.
    Idempotent: a job that is not queued (or not abandoned by a dead worker) is left alone, and
    applying the same file twice changes nothing the second time."""
    now = now or timezone.now()
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(
            Q(state=ImportState.QUEUED)
            | Q(state=ImportState.RUNNING, started_at__lt=now - STALE_AFTER)
        )
        .update(state=ImportState.RUNNING, started_at=now, processed=0)
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("applied_by").get(pk=job_id)
    try:
        data = bytes(job.content)
        if hashlib.sha256(data).hexdigest() != job.sha256:
            _finish(
                job_id,
                ImportState.FAILED,
                errors=_error_json([RowError(None, None, _("Den gemte fil er beskadiget."))]),
            )
            return ImportJob.objects.get(pk=job_id)
        today = timezone.localdate(now)
        plan = build_plan(data, today=today, progress=_progress(job_id))
        if plan.ok:
            counts = apply_plan(plan, by=job.applied_by)
        if not plan.ok:
            _finish(job_id, ImportState.FAILED, errors=_error_json(plan.errors), import_date=today)
        else:
            _finish(
                job_id,
                ImportState.DONE,
                result=counts,
                errors=[],
                import_date=today,
                total=len(plan.rows),
                processed=len(plan.rows),
            )
    except PermissionDenied as exc:
        _finish(job_id, ImportState.FAILED, errors=_error_json([RowError(None, None, str(exc))]))
    except Exception:
        logger.exception("offers: import job %d failed", job_id)
        _finish(
            job_id,
            ImportState.FAILED,
            errors=_error_json(
                [RowError(None, None, _("Importen stoppede uventet. Intet er gemt."))]
            ),
        )
    return ImportJob.objects.get(pk=job_id)
