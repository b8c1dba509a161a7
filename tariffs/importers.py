"""Import of a year's tariffs from the sheet the secretariats use today (CSV or XLSX).

One row is one tariff (a `TariffLine`) of an offer's sheet for the year, the offer found by its
Tilbudsportalen-id and the line by its service, unit and label (betegnelse). The import is a
preview, then a confirmed apply, as the import of offers (`offers.importers`):

1. `tariff_import_preview` checks the upload by content and size, reads it (XLSX with
   openpyxl, CSV through core.importing), validates every row and plans what would happen: which
   sheets are created, which lines are added, changed (field: old → new) or unchanged. Nothing
   is written but the `TariffImport` that keeps the file (and its SHA-256) for the next step.
2. `tariff_import_start` queues it; `tariff_import_apply` (a Celery task, in-process without a
   broker) reads the kept file again, plans it against the database as it is now and writes it
   through the services (`sheet_create`, `line_save`) in one transaction, or nothing.

Only a sheet in draft or returned (or one that does not exist yet: it is created) is written; a
row for an offer whose sheet is submitted, approved or published is an error that says why. A
column that is in the file is the truth for every row; a column that is not leaves that field of
an existing line as it is. Lines of a sheet that are not in the file are left alone. An empty
overhead is the agreement period's rule, as when a line is entered by hand. Re-importing the
same file changes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

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
from offers.importers import CSV_FORMAT, XLSX_FORMAT, file_format_of
from offers.models import ImportState, Offer
from tariffs.models import (
    Service,
    SheetState,
    TariffImport,
    TariffLine,
    TariffRules,
    TariffSheet,
    Unit,
)
from tariffs.permissions import EDITABLE_STATES, can_manage_tables
from tariffs.services import line_save, rules_for, sheet_create

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 25
STALE_AFTER = datetime.timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 360)) * 2)
MIN_YEAR, MAX_YEAR = 2000, 2100


# --- the columns ---------------------------------------------------------------------------------

TP_ID = "Tilbudsportalen-id"
YEAR = "År"
SERVICE = "Ydelse"
LABEL = "Betegnelse"
UNIT = "Enhed"
AMOUNT = "Takst"
BASE = "Grundtakst"
SERVICE_AMOUNT = "Ydelsestakst"
STAFF = "Personaleudgifter"
OPERATING = "Driftsudgifter"
INDIRECT = "Indirekte udgifter"
BUILDINGS = "Bygninger"
OVERHEAD = "Overhead %"
PLACES = "Pladser"
DAYS = "Dage"
OCCUPANCY = "Belægningsprocent"
SETTLEMENT = "Efterregulering"

COLUMNS = (
    Column(TP_ID, aliases=("tilbudsportalen id", "tilbudsportalenid", "tilbuds-id", "tp-id")),
    Column(YEAR, aliases=("aar", "takstår", "taksaar")),
    Column(SERVICE, aliases=("ydelsestype",)),
    Column(LABEL, required=False, aliases=("navn", "takstnavn", "niveau")),
    Column(UNIT, aliases=("takstenhed", "pr.")),
    Column(AMOUNT, aliases=("takst (kr.)", "takst kr.", "beløb")),
    Column(BASE, required=False, aliases=("grundtakst (kr.)",)),
    Column(SERVICE_AMOUNT, required=False, aliases=("ydelsestakst (kr.)",)),
    Column(STAFF, required=False, aliases=("personaleudgifter (kr.)", "personale")),
    Column(OPERATING, required=False, aliases=("driftsudgifter (kr.)", "drift")),
    Column(INDIRECT, required=False, aliases=("indirekte udgifter (kr.)", "indirekte")),
    Column(
        BUILDINGS,
        required=False,
        aliases=("bygninger, afskrivning og forrentning", "bygninger (kr.)", "bygningsudgifter"),
    ),
    Column(OVERHEAD, required=False, aliases=("overhead", "overhead (%)", "overheadprocent")),
    Column(PLACES, required=False, aliases=("antal pladser",)),
    Column(DAYS, required=False, aliases=("antal dage", "åbningsdage")),
    Column(OCCUPANCY, required=False, aliases=("belægning", "belægning %", "belægning (%)")),
    Column(SETTLEMENT, required=False, aliases=("efterregulering (kr.)",)),
)

# The line's field behind each column that holds a figure.
FIELD_OF: dict[str, str] = {
    AMOUNT: "amount",
    BASE: "base_amount",
    SERVICE_AMOUNT: "service_amount",
    STAFF: "staff_costs",
    OPERATING: "operating_costs",
    INDIRECT: "indirect_costs",
    BUILDINGS: "building_costs",
    OVERHEAD: "overhead_percent",
    PLACES: "places",
    DAYS: "days",
    OCCUPANCY: "occupancy_percent",
    SETTLEMENT: "settlement",
}
COLUMN_OF: dict[str, str] = {
    **{name: column for column, name in FIELD_OF.items()},
    "service": SERVICE,
    "unit": UNIT,
    "label": LABEL,
    "sheet": TP_ID,
}

COLUMN_HELP: dict[str, Any] = {
    TP_ID: gettext_lazy("Tilbuddets id i Tilbudsportalen. Bruges til at finde tilbuddet."),
    YEAR: gettext_lazy("Taksternes år. Skal være det år, du importerer."),
    SERVICE: gettext_lazy(
        "Døgnophold, Dagtilbud, Aflastning, Undervisning, Tillægsydelse eller Takstniveau."
    ),
    LABEL: gettext_lazy(
        "Fx »Niveau 2«. Skiller flere takster med samme ydelse og enhed ad. Tom: ingen."
    ),
    UNIT: gettext_lazy("pr. døgn, pr. dag, pr. time, pr. lektion, pr. måned eller pr. år."),
    AMOUNT: gettext_lazy("Taksten i kroner, fx 2.345,50."),
    BASE: gettext_lazy("Grundtakst ved en grund- og ydelsestakst. Angives med ydelsestaksten."),
    SERVICE_AMOUNT: gettext_lazy("Ydelsestakst. Grundtakst + ydelsestakst skal give taksten."),
    STAFF: gettext_lazy("Budgetterede personaleudgifter for året i kroner."),
    OPERATING: gettext_lazy("Budgetterede driftsudgifter for året i kroner."),
    INDIRECT: gettext_lazy("Indirekte udgifter for året i kroner."),
    BUILDINGS: gettext_lazy("Bygninger, afskrivning og forrentning for året i kroner."),
    OVERHEAD: gettext_lazy("Overhead i procent. Tom: aftaleperiodens regel (fx 6)."),
    PLACES: gettext_lazy("Antal pladser (et helt tal)."),
    DAYS: gettext_lazy("Antal dage om året, taksten regnes over (fx 365)."),
    OCCUPANCY: gettext_lazy("Budgetteret belægning i procent: over 0 og højst 100."),
    SETTLEMENT: gettext_lazy(
        "Efterregulering, der indregnes i årets udgifter i kroner: + for et underskud, − for "
        "et overskud. Tom: 0."
    ),
}

MAX_PLACES = 100_000
MAX_DAYS = 366


def _whole_digits(name: str) -> int:
    """How many digits before the decimal comma the line's field holds."""
    model_field = TariffLine._meta.get_field(name)
    if not isinstance(model_field, models.DecimalField):
        raise TypeError(f"{name} is not a DecimalField")
    return int(model_field.max_digits or 0) - int(model_field.decimal_places or 0)


# --- reading the file ----------------------------------------------------------------------------


def read_tariff_file(data: bytes) -> tuple[str, CsvTable]:
    """The file's format and its rows (not yet validated). Raises ImportFileError."""
    file_format = file_format_of(data)
    if file_format == XLSX_FORMAT:
        return file_format, read_csv(
            xlsx_as_csv(data), columns=COLUMNS, max_bytes=XLSX_MAX_UNPACKED_BYTES
        )
    return file_format, read_csv(data, columns=COLUMNS)


# --- parsing cells -------------------------------------------------------------------------------

_DANISH_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def parse_decimal(value: str) -> Decimal | None:
    """A number as a Dane writes it: "2.345,50", "2345,5", "2 345,50 kr.", "-1.000"; also
    "2345.50". Empty: None. A lone "1.500" is one thousand five hundred (Danish grouping)."""
    text = value.strip().replace("\u00a0", " ").replace("\u2212", "-")
    text = re.sub(r"(?i)\s*(kr\.?|dkk|%)$", "", text).replace(" ", "")
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".", 1)
    elif _DANISH_THOUSANDS.fullmatch(text):
        text = text.replace(".", "")
    if not _NUMBER.fullmatch(text):
        raise CellError(
            _("»%(value)s« er ikke et tal. Skriv fx 2.345,50.") % {"value": value.strip()}
        )
    try:
        return Decimal(text)
    except InvalidOperation:
        raise CellError(
            _("»%(value)s« er ikke et tal. Skriv fx 2.345,50.") % {"value": value.strip()}
        ) from None


def _decimal_parser(
    name: str, *, minimum: Decimal | None = Decimal(0), maximum: Decimal | None = None
) -> Callable[[str], Decimal | None]:
    whole_digits = _whole_digits(name)

    def parse(value: str) -> Decimal | None:
        number = parse_decimal(value)
        if number is None:
            return None
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            raise CellError(
                _("»%(value)s« har mere end to decimaler. Afrund tallet til øre.")
                % {"value": value.strip()}
            )
        if abs(number) >= Decimal(10) ** whole_digits:
            raise CellError(_("»%(value)s« er for stort.") % {"value": value.strip()})
        if minimum is not None and number < minimum:
            raise CellError(_("Tallet kan ikke være negativt."))
        if maximum is not None and number > maximum:
            raise CellError(_("Tallet må højst være %(max)s.") % {"max": number_format(maximum)})
        return number

    return parse


def _occupancy(value: str) -> Decimal | None:
    number = _decimal_parser("occupancy_percent", maximum=Decimal(100))(value)
    if number is not None and number <= 0:
        raise CellError(_("Belægningsprocenten skal være over 0 og højst 100."))
    return number


def _whole(maximum: int, message: str) -> Callable[[str], int | None]:
    def parse(value: str) -> int | None:
        number = parse_decimal(value)
        if number is None:
            return None
        if number != number.to_integral_value() or number < 1:
            raise CellError(message % {"value": value.strip()})
        if number > maximum:
            raise CellError(_("%(n)s er ikke et sandsynligt antal.") % {"n": value.strip()})
        return int(number)

    return parse


def _choices_parser(
    choices: Iterable[tuple[str, Any]], extra: dict[str, str], message: str
) -> Callable[[str], str]:
    options: dict[str, str] = {}
    labels: list[str] = []
    for value, label in choices:
        options[value] = value
        options[str(label)] = value
        labels.append(str(label))
    options.update(extra)
    return choice_parser(options, message=message.replace("%(valid)s", ", ".join(labels)))


# --- validating a row ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TariffRow:
    """One valid row: the line's key and the figures of the columns that are in the file."""

    number: int
    tilbudsportalen_id: str
    service: str
    unit: str
    label: str
    values: dict[str, Any]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.service, self.unit, normalise(self.label))


class TariffRowValidator:
    """Validates one row against the chosen year; duplicates are found across the file."""

    def __init__(self, present: set[str], year: int) -> None:
        self.present = present
        self.year = year
        self.parse_service = _choices_parser(
            Service.choices,
            {
                "døgn": Service.RESIDENTIAL,
                "døgntilbud": Service.RESIDENTIAL,
                "botilbud": Service.RESIDENTIAL,
                "dag": Service.DAY,
                "dagbeskæftigelse": Service.DAY,
                "skole": Service.EDUCATION,
                "specialundervisning": Service.EDUCATION,
                "tillæg": Service.SUPPLEMENT,
                "tillægsydelser": Service.SUPPLEMENT,
                "niveau": Service.LEVEL,
                "takstniveau": Service.LEVEL,
            },
            _("»%(value)s« er ikke en ydelse. Gyldige ydelser: %(valid)s."),
        )
        self.parse_unit = _choices_parser(
            Unit.choices,
            {
                **{
                    f"{prefix}{word}": unit
                    for word, unit in (
                        ("døgn", Unit.DAY_NIGHT),
                        ("dag", Unit.DAY),
                        ("time", Unit.HOUR),
                        ("lektion", Unit.LESSON),
                        ("måned", Unit.MONTH),
                        ("år", Unit.YEAR),
                    )
                    for prefix in ("", "pr ", "per ", "kr. pr. ", "kr. pr ", "kr pr ")
                },
                "døgntakst": Unit.DAY_NIGHT,
                "dagtakst": Unit.DAY,
                "timetakst": Unit.HOUR,
                "md.": Unit.MONTH,
                "pr. md.": Unit.MONTH,
            },
            _("»%(value)s« er ikke en enhed. Gyldige enheder: %(valid)s."),
        )
        self.parsers: dict[str, Callable[[str], Any]] = {
            AMOUNT: _decimal_parser("amount"),
            BASE: _decimal_parser("base_amount"),
            SERVICE_AMOUNT: _decimal_parser("service_amount"),
            STAFF: _decimal_parser("staff_costs"),
            OPERATING: _decimal_parser("operating_costs"),
            INDIRECT: _decimal_parser("indirect_costs"),
            BUILDINGS: _decimal_parser("building_costs"),
            OVERHEAD: _decimal_parser("overhead_percent", maximum=Decimal(100)),
            PLACES: _whole(
                MAX_PLACES, _("»%(value)s« er ikke et helt antal pladser (1 eller flere).")
            ),
            DAYS: _whole(MAX_DAYS, _("»%(value)s« er ikke et helt antal dage (1 til 366).")),
            OCCUPANCY: _occupancy,
            SETTLEMENT: _decimal_parser("settlement", minimum=None),
        }
        self.seen: dict[tuple[str, tuple[str, str, str]], int] = {}

    def _year(self, value: str) -> int:
        text = value.strip()
        if not text.isdigit() or not (MIN_YEAR <= int(text) <= MAX_YEAR):
            raise CellError(_("»%(value)s« er ikke et årstal.") % {"value": text})
        if int(text) != self.year:
            raise CellError(
                _("Rækken er for %(found)s, men du importerer takster for %(year)d.")
                % {"found": text, "year": self.year}
            )
        return int(text)

    def validate(self, row: CsvRow, check: RowChecker) -> TariffRow | None:
        tp_id = check.text(TP_ID, required=True, max_length=20)
        check.cell(YEAR, self._year, required=True)
        service = check.cell(SERVICE, self.parse_service, required=True)
        unit = check.cell(UNIT, self.parse_unit, required=True)
        label = check.text(LABEL, max_length=200) if LABEL in self.present else ""
        values: dict[str, Any] = {}
        for column, parse in self.parsers.items():
            if column not in self.present:
                continue
            required = column == AMOUNT
            values[FIELD_OF[column]] = check.cell(column, parse, required=required)
        if "settlement" in values and values["settlement"] is None:
            values["settlement"] = Decimal(0)
        base, part = values.get("base_amount"), values.get("service_amount")
        if BASE in self.present and SERVICE_AMOUNT in self.present and not check.errors:
            if (base is None) != (part is None):
                check.error(
                    SERVICE_AMOUNT if part is None else BASE,
                    _("Angiv både grundtakst og ydelsestakst, eller ingen af dem."),
                )
            elif base is not None and part is not None and base + part != values["amount"]:
                check.error(
                    AMOUNT,
                    _("Grundtakst og ydelsestakst giver %(sum)s, ikke taksten.")
                    % {"sum": number_format(base + part, 2, force_grouping=True)},
                )
        if check.errors or service is None or unit is None:
            return None
        tariff_row = TariffRow(row.number, tp_id, service, unit, label, values)
        seen_key = (tp_id, tariff_row.key)
        if seen_key in self.seen:
            check.error(
                None,
                _(
                    "Taksten (samme tilbud, ydelse, enhed og betegnelse) står også i række "
                    "%(row)d. Hver takst må kun stå én gang."
                )
                % {"row": self.seen[seen_key]},
            )
            return None
        self.seen[seen_key] = row.number
        return tariff_row


# --- the plan: what the import would do ----------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class PlannedLine:
    """What one row does: adds a line (`line` is None), changes one, or nothing. `sheet` is
    None when the import creates the offer's sheet."""

    row: TariffRow
    offer: Offer
    sheet: TariffSheet | None
    line: TariffLine | None
    values: dict[str, Any] = field(default_factory=dict)
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.line is None

    @property
    def is_changed(self) -> bool:
        return self.line is not None and bool(self.changes)


@dataclass
class TariffImportPlan:
    year: int
    file_format: str = CSV_FORMAT
    rows: list[PlannedLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def new_sheets(self) -> list[Offer]:
        offers: dict[int, Offer] = {}
        for planned in self.rows:
            if planned.sheet is None:
                offers.setdefault(planned.offer.pk, planned.offer)
        return list(offers.values())

    @property
    def added(self) -> list[PlannedLine]:
        return [row for row in self.rows if row.is_new]

    @property
    def changed(self) -> list[PlannedLine]:
        return [row for row in self.rows if row.is_changed]

    @property
    def unchanged(self) -> list[PlannedLine]:
        return [row for row in self.rows if not row.is_new and not row.changes]

    def as_preview(self) -> dict[str, Any]:
        """The plan as JSON for the TariffImport (the preview page reads it back)."""

        def head(planned: PlannedLine) -> dict[str, Any]:
            row = planned.row
            return {
                "row": row.number,
                "tilbudsportalen_id": row.tilbudsportalen_id,
                "offer": planned.offer.name,
                "offer_id": planned.offer.pk,
                "line": _line_name(row.service, row.label),
                "unit": str(Unit(row.unit).label),
            }

        return {
            "year": self.year,
            "rows": len(self.rows),
            "sheets": [
                {"offer": offer.name, "offer_id": offer.pk, "operator": str(offer.operator)}
                for offer in self.new_sheets
            ],
            "added": [
                {**head(p), "amount": _shown(p.row.values.get("amount"))} for p in self.added
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


def _line_name(service: str, label: str) -> str:
    return f"{Service(service).label} {label}".strip()


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, Decimal):
        return number_format(value, 2, force_grouping=True)
    return str(value)


def _region_key(offer: Offer) -> int | None:
    if offer.operator_region_id is not None:
        return offer.operator_region_id
    if offer.operator_municipality is not None:
        return offer.operator_municipality.region_id
    return offer.location.region_id


class _Rules:
    """The tariff rules of each region's agreement period for the year, looked up once."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.by_region: dict[int | None, TariffRules] = {}

    def overhead(self, offer: Offer) -> Decimal:
        key = _region_key(offer)
        if key not in self.by_region:
            self.by_region[key] = rules_for(offer, self.year)
        return self.by_region[key].overhead_percent


def _state_error(row: TariffRow, offer: Offer, sheet: TariffSheet, year: int) -> RowError:
    names = {"offer": offer.name, "year": year}
    if sheet.state == SheetState.SUBMITTED:
        message = _(
            "Takstbladet for %(offer)s %(year)d er indsendt og kan ikke ændres ved import. "
            "Takstgruppen kan returnere det, så det kan rettes."
        )
    elif sheet.state == SheetState.APPROVED:
        message = _(
            "Takstbladet for %(offer)s %(year)d er godkendt og kan ikke ændres ved import. "
            "Takstgruppen kan returnere det, så det kan rettes."
        )
    else:
        message = _(
            "Takstbladet for %(offer)s %(year)d er offentliggjort og kan ikke ændres ved import. "
            "Start en rettelse på takstbladet, og importér filen igen."
        )
    return RowError(row.number, None, message % names)


def _plan_row(
    row: TariffRow,
    offer: Offer,
    sheet: TariffSheet | None,
    rules: _Rules,
    errors: list[RowError],
) -> PlannedLine | None:
    values = dict(row.values)
    if values.get("overhead_percent", Decimal(0)) is None:
        values["overhead_percent"] = rules.overhead(offer)
    if sheet is None:
        return PlannedLine(
            row=row,
            offer=offer,
            sheet=None,
            line=None,
            values={"service": row.service, "unit": row.unit, "label": row.label, **values},
        )
    matches = [
        line
        for line in sheet.lines.all()
        if (line.service, line.unit, normalise(line.label)) == row.key
    ]
    if len(matches) > 1:
        errors.append(
            RowError(
                row.number,
                None,
                _(
                    "Takstbladet for %(offer)s har flere takster med ydelsen, enheden og "
                    "betegnelsen »%(line)s«. Giv dem forskellige betegnelser på takstbladet først."
                )
                % {"offer": offer.name, "line": _line_name(row.service, row.label)},
            )
        )
        return None
    if not matches:
        return PlannedLine(
            row=row,
            offer=offer,
            sheet=sheet,
            line=None,
            values={"service": row.service, "unit": row.unit, "label": row.label, **values},
        )
    line = matches[0]
    planned = PlannedLine(row=row, offer=offer, sheet=sheet, line=line)
    for name, new in values.items():
        old = getattr(line, name)
        if old != new:
            planned.values[name] = new
            planned.changes.append(FieldChange(COLUMN_OF[name], _shown(old), _shown(new)))
    return planned


def build_plan(
    data: bytes, *, year: int, progress: Callable[[int, int], None] | None = None
) -> TariffImportPlan:
    """Read and validate the whole file and plan every row against the database as it is. A
    plan with errors must not be applied. `progress(done, total)` is told as rows are checked.
    A fixed number of queries plus one per region (the tariff rules), whatever the file's
    length."""
    plan = TariffImportPlan(year=year)
    try:
        plan.file_format, table = read_tariff_file(data)
    except ImportFileError as exc:
        plan.errors.extend(exc.errors)
        return plan
    if not table.rows:
        plan.errors.append(RowError(None, None, _("Filen har ingen rækker under overskriften.")))
        return plan
    present = {name for row in table.rows for name in row.values}
    if (BASE in present) != (SERVICE_AMOUNT in present):
        missing = SERVICE_AMOUNT if BASE in present else BASE
        plan.errors.append(
            RowError(
                1,
                missing,
                _("Kolonnen mangler: grundtakst og ydelsestakst angives sammen."),
            )
        )
        return plan
    validator = TariffRowValidator(present, year)
    valid: list[TariffRow] = []
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

    offers = {
        offer.tilbudsportalen_id: offer
        for offer in Offer.objects.filter(
            tilbudsportalen_id__in={row.tilbudsportalen_id for row in valid}
        ).select_related("operator_municipality", "operator_region", "location")
    }
    sheets: dict[int, list[TariffSheet]] = {}
    for sheet in (
        TariffSheet.objects.filter(offer__in=offers.values(), year=year)
        .exclude(state=SheetState.SUPERSEDED)
        .prefetch_related("lines")
    ):
        sheets.setdefault(sheet.offer_id, []).append(sheet)
    rules = _Rules(year)
    for tariff_row in valid:
        offer = offers.get(tariff_row.tilbudsportalen_id)
        if offer is None:
            plan.errors.append(
                RowError(
                    tariff_row.number,
                    TP_ID,
                    _("Der er intet tilbud med Tilbudsportalen-id »%(id)s« i portalen.")
                    % {"id": tariff_row.tilbudsportalen_id},
                )
            )
            continue
        found = sheets.get(offer.pk, [])
        working = next((s for s in found if s.state != SheetState.PUBLISHED), None)
        target = working or next(iter(found), None)
        if target is not None and target.state not in EDITABLE_STATES:
            plan.errors.append(_state_error(tariff_row, offer, target, year))
            continue
        planned = _plan_row(tariff_row, offer, target, rules, plan.errors)
        if planned is not None:
            plan.rows.append(planned)
    return plan


# --- writing -------------------------------------------------------------------------------------


@contextmanager
def history_by(user: Any) -> Iterator[None]:
    """Record `user` as the author of the history rows written inside (a task has no request
    for django-simple-history's middleware to read the user from)."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


def _row_errors(number: int, exc: ValidationError) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(number, None, message) for message in exc.messages]
    errors: list[RowError] = []
    for name, messages in exc.message_dict.items():
        column = None if name == NON_FIELD_ERRORS else COLUMN_OF.get(name)
        errors.extend(RowError(number, column, message) for message in messages)
    return errors


class _Rollback(Exception):
    pass


def apply_plan(plan: TariffImportPlan, *, by: Any) -> dict[str, int]:
    """Write a valid plan through the services in one transaction, or nothing (then the errors
    are in the plan). Returns counts of sheets created and lines added, changed, unchanged."""
    if not can_manage_tables(by):
        raise PermissionDenied(_("Kun sekretariatet kan importere takster."))
    if not plan.ok:
        raise ValueError("only a valid plan can be applied")
    counts = {"sheets": 0, "added": 0, "changed": 0, "unchanged": len(plan.unchanged)}
    created: dict[int, TariffSheet] = {}
    try:
        with transaction.atomic(), history_by(by):
            for planned in plan.rows:
                if not planned.is_new and not planned.changes:
                    continue
                try:
                    with transaction.atomic():
                        sheet = planned.sheet or created.get(planned.offer.pk)
                        if sheet is None:
                            sheet = sheet_create(offer=planned.offer, year=plan.year, by=by)
                            created[planned.offer.pk] = sheet
                            counts["sheets"] += 1
                        line_save(sheet=sheet, by=by, values=planned.values, line=planned.line)
                        counts["added" if planned.is_new else "changed"] += 1
                except ValidationError as exc:
                    plan.errors.extend(_row_errors(planned.row.number, exc))
                except PermissionDenied as exc:
                    plan.errors.append(RowError(planned.row.number, None, str(exc)))
            if plan.errors:
                raise _Rollback
    except _Rollback:
        return {}
    return counts


# --- the services --------------------------------------------------------------------------------


def _error_json(errors: Iterable[RowError]) -> list[dict[str, Any]]:
    return [{"row": e.row, "column": e.column, "message": e.message} for e in errors]


def job_errors(job: TariffImport) -> list[RowError]:
    return [RowError(e.get("row"), e.get("column"), e.get("message", "")) for e in job.errors]


def tariff_import_preview(
    *, upload: UploadedFile, year: int, by: Any
) -> tuple[TariffImport | None, TariffImportPlan]:
    """Check and plan an uploaded file of `year`'s tariffs (secretariat). A valid file is kept
    in a new TariffImport awaiting confirmation; nothing else is written. With errors, no
    import is made."""
    if not can_manage_tables(by):
        raise PermissionDenied(_("Kun sekretariatet kan importere takster."))
    try:
        data = read_upload(upload)
    except ImportFileError as exc:
        return None, TariffImportPlan(year=year, errors=list(exc.errors))
    plan = build_plan(data, year=year)
    if not plan.ok:
        return None, plan
    job = TariffImport(
        year=year,
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
def tariff_import_start(*, job: TariffImport, by: Any) -> TariffImport:
    """Confirm a previewed import (secretariat): it is queued and applied in the background."""
    if not can_manage_tables(by):
        raise PermissionDenied(_("Kun sekretariatet kan importere takster."))
    queued = TariffImport.objects.filter(pk=job.pk, state=ImportState.PREVIEW).update(
        state=ImportState.QUEUED, applied_by=by, processed=0
    )
    if not queued:
        raise ValidationError(_("Importen er allerede sat i gang."))
    from tariffs.tasks import apply_import  # the task module imports this one

    transaction.on_commit(lambda: apply_import.delay(job.pk))
    return TariffImport.objects.get(pk=job.pk)


def _progress(job_id: int) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        TariffImport.objects.filter(pk=job_id).update(total=total, processed=min(done, total))

    return report


def _finish(job_id: int, state: str, **values: Any) -> None:
    TariffImport.objects.filter(pk=job_id).update(state=state, finished_at=timezone.now(), **values)


def tariff_import_apply(
    *, job_id: int, now: datetime.datetime | None = None
) -> TariffImport | None:
    """Apply a queued import (the task): claim it, read the kept file again, plan it against
    the database as it is now, and write it all in one transaction, or nothing. Idempotent: a
    job that is not queued (or not abandoned by a dead worker) is left alone, and applying the
    same file twice changes nothing the second time."""
    now = now or timezone.now()
    claimed = (
        TariffImport.objects.filter(pk=job_id)
        .filter(
            Q(state=ImportState.QUEUED)
            | Q(state=ImportState.RUNNING, started_at__lt=now - STALE_AFTER)
        )
        .update(state=ImportState.RUNNING, started_at=now, processed=0)
    )
    if not claimed:
        return None
    job = TariffImport.objects.select_related("applied_by").get(pk=job_id)
    try:
        data = bytes(job.content)
        if hashlib.sha256(data).hexdigest() != job.sha256:
            _finish(
                job_id,
                ImportState.FAILED,
                errors=_error_json([RowError(None, None, _("Den gemte fil er beskadiget."))]),
            )
            return TariffImport.objects.get(pk=job_id)
        plan = build_plan(data, year=job.year, progress=_progress(job_id))
        counts = apply_plan(plan, by=job.applied_by) if plan.ok else {}
        if not plan.ok:
            _finish(job_id, ImportState.FAILED, errors=_error_json(plan.errors))
        else:
            _finish(
                job_id,
                ImportState.DONE,
                result=counts,
                errors=[],
                total=len(plan.rows),
                processed=len(plan.rows),
            )
    except PermissionDenied as exc:
        _finish(job_id, ImportState.FAILED, errors=_error_json([RowError(None, None, str(exc))]))
    except Exception:
        logger.exception("tariffs: import %d failed", job_id)
        _finish(
            job_id,
            ImportState.FAILED,
            errors=_error_json(
                [RowError(None, None, _("Importen stoppede uventet. Intet er gemt."))]
            ),
        )
    return TariffImport.objects.get(pk=job_id)


def example_file() -> str:
    """A two-line example of the file, for the import page."""
    header = ";".join(column.name for column in COLUMNS)
    return (
        f"{header}\n"
        "12345;2027;Døgnophold;;pr. døgn;2.345,50;;;9.000.000;1.500.000;800.000;600.000;6;"
        "14;365;90;0\n"
    )


def columns_with_help() -> Sequence[tuple[Column, Any]]:
    return [(column, COLUMN_HELP.get(column.name, "")) for column in COLUMNS]
