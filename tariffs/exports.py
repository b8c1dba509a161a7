"""The filtered tariff overview as CSV (for Danish Excel: UTF-8 with BOM, ';' between fields,
decimal comma) and as an Excel workbook (openpyxl) with one sheet per area. Both have the same
columns, one row per tariff, the calculation basis included.

Text that a spreadsheet would run as a formula is neutralised with the offer list's helpers
(`offers.exports`): a leading apostrophe in CSV, a string cell (never a formula) in XLSX.
Numbers are written as numbers, so a negative change is not mistaken for a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from offers.exports import XLSX_CONTENT_TYPE, _attachment, _write, neutralise
from tariffs.selectors import Overview, TariffRow, rows_by_area

Value = str | int | Decimal | None

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0"
NUMBER_FORMAT = "#,##0"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[TariffRow], Value]
    width: int
    number_format: str = ""


def _computed(row: TariffRow) -> Decimal | None:
    return row.computation.tariff if row.computation is not None else None


def columns() -> list[Column]:
    return [
        Column(_("Tilbud"), lambda r: r.offer.name, 36),
        Column(_("Tilbudsportalen-id"), lambda r: r.offer.tilbudsportalen_id, 16),
        Column(_("Driftsherre"), lambda r: r.operator_name, 26),
        Column(_("Område"), lambda r: r.offer.get_area_display(), 18),
        Column(_("Ydelse"), lambda r: r.line.get_service_display(), 18),
        Column(_("Betegnelse"), lambda r: r.line.label, 24),
        Column(_("Enhed"), lambda r: r.line.get_unit_display(), 12),
        Column(_("Takst (kr.)"), lambda r: r.line.amount, 14, MONEY_FORMAT),
        Column(_("Grundtakst (kr.)"), lambda r: r.line.base_amount, 14, MONEY_FORMAT),
        Column(_("Ydelsestakst (kr.)"), lambda r: r.line.service_amount, 14, MONEY_FORMAT),
        Column(_("Takst sidste år (kr.)"), lambda r: r.change.previous, 14, MONEY_FORMAT),
        Column(
            _("Ændring i løbende priser (%)"), lambda r: r.change.current_prices, 14, PERCENT_FORMAT
        ),
        Column(
            _("Ændring i faste priser (%)"), lambda r: r.change.fixed_prices, 14, PERCENT_FORMAT
        ),
        Column(_("Personaleudgifter (kr.)"), lambda r: r.line.staff_costs, 16, MONEY_FORMAT),
        Column(_("Driftsudgifter (kr.)"), lambda r: r.line.operating_costs, 16, MONEY_FORMAT),
        Column(_("Indirekte udgifter (kr.)"), lambda r: r.line.indirect_costs, 16, MONEY_FORMAT),
        Column(
            _("Bygninger, afskrivning og forrentning (kr.)"),
            lambda r: r.line.building_costs,
            18,
            MONEY_FORMAT,
        ),
        Column(_("Overhead (%)"), lambda r: r.line.overhead_percent, 11, MONEY_FORMAT),
        Column(_("Efterregulering (kr.)"), lambda r: r.line.settlement, 16, MONEY_FORMAT),
        Column(_("Pladser"), lambda r: r.line.places, 9, NUMBER_FORMAT),
        Column(_("Dage"), lambda r: r.line.days, 7, NUMBER_FORMAT),
        Column(_("Belægningsprocent"), lambda r: r.line.occupancy_percent, 12, MONEY_FORMAT),
        Column(_("Beregnet takst (kr.)"), _computed, 14, MONEY_FORMAT),
    ]


def _filename(overview: Overview, extension: str) -> str:
    return f"takster-{overview.year or 'ingen'}.{extension}"


def _csv_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")  # Danish Excel reads a decimal comma
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


def csv_response(overview: Overview) -> HttpResponse:
    cols = columns()
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the BOM tells Excel the file is UTF-8
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([neutralise(column.header) for column in cols])
    for row in overview.rows:
        writer.writerow([_csv_value(column.value(row)) for column in cols])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return _attachment(response, _filename(overview, "csv"))


def _cell(sheet: Any, row: int, column: Column, index: int, value: Value) -> Any:
    if isinstance(value, Decimal):
        cell = sheet.cell(row=row, column=index, value=value)
        cell.number_format = column.number_format or MONEY_FORMAT
        return cell
    cell = _write(sheet, row, index, value)
    if isinstance(value, int) and column.number_format:
        cell.number_format = column.number_format
    return cell


def _fill(sheet: Any, cols: Sequence[Column], rows: Sequence[TariffRow]) -> None:
    bold = Font(bold=True)
    for index, column in enumerate(cols, start=1):
        _write(sheet, 1, index, column.header).font = bold
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for number, row in enumerate(rows, start=2):
        for index, column in enumerate(cols, start=1):
            _cell(sheet, number, column, index, column.value(row))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(rows) + 1}"


def xlsx_response(overview: Overview) -> HttpResponse:
    """One sheet per area (named after it), each with a bold, frozen header row."""
    cols = columns()
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    groups = rows_by_area(overview.rows)
    for group in groups:
        _fill(workbook.create_sheet(group.label[:31]), cols, group.rows)
    if not groups:
        _fill(workbook.create_sheet(_("Takster")), cols, [])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    return _attachment(response, _filename(overview, "xlsx"))
