"""The filtered offer list as CSV (for Danish Excel: UTF-8 with BOM, ';' between fields) and as
an Excel workbook (openpyxl). Both have the same columns, one row per offer.

A cell that begins with =, +, -, @, a tab or a carriage return would be read by a spreadsheet
as a formula (CSV/formula injection): in CSV it gets a leading apostrophe, in XLSX it is
written as a string cell, never a formula.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from offers import rules
from offers.selectors import FilteredOffers, OfferRow, capacity_rows

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_DATE_FORMAT = "DD-MM-YYYY"

Value = str | int | datetime.date | None


def neutralise(value: str) -> str:
    """A text cell no spreadsheet will run as a formula."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def _places_since(row: OfferRow, day: datetime.date) -> datetime.date | None:
    """The date from which the offer's present number of places has held."""
    series = rules.capacity_series(capacity_rows(row.offer), until=day)
    return series[-1][0] if series else None


def _yes_no(value: bool) -> str:
    return _("Ja") if value else _("Nej")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[OfferRow], Value]
    width: int


def columns(day: datetime.date) -> list[Column]:
    return [
        Column(_("Navn"), lambda r: r.offer.name, 40),
        Column(_("Tilbudsportalen-id"), lambda r: r.offer.tilbudsportalen_id, 18),
        Column(_("Driftsherre"), lambda r: r.operator_name, 28),
        Column(_("Beliggenhedskommune"), lambda r: r.offer.location.name, 24),
        Column(_("Adresse"), lambda r: r.offer.address, 30),
        Column(_("Postnummer"), lambda r: r.offer.postal_code, 11),
        Column(_("By"), lambda r: r.offer.city, 18),
        Column(_("Område"), lambda r: r.offer.get_area_display(), 20),
        Column(_("Tilbudstype"), lambda r: r.offer.get_offer_type_display(), 22),
        Column(
            _("Lovgrundlag"),
            lambda r: ", ".join(basis.label for basis in r.offer.legal_bases.all()),
            30,
        ),
        Column(
            _("Målgrupper"),
            lambda r: ", ".join(group.name for group in r.offer.target_groups.all()),
            36,
        ),
        Column(
            _("Pladser pr. %(date)s") % {"date": date_format(day, "j. F Y")},
            lambda r: r.places,
            14,
        ),
        Column(_("Pladser gældende fra"), lambda r: _places_since(r, day), 14),
        Column(_("Omfattet af styringsaftalen"), lambda r: _yes_no(r.offer.is_covered), 14),
        Column(_("Kategori i styringsaftalen"), lambda r: r.offer.steering_category, 30),
        Column(_("Dækning"), lambda r: r.offer.get_coverage_display(), 16),
        Column(_("Status"), lambda r: r.offer.get_status_display(), 16),
    ]


def _filename(day: datetime.date, extension: str) -> str:
    return f"tilbud-{day.isoformat()}.{extension}"


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The list differs by reader (an editor's own uncovered offers): never a shared cache.
    response["Cache-Control"] = "private, no-cache"
    return response


def _csv_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


def csv_response(filtered: FilteredOffers) -> HttpResponse:
    cols = columns(filtered.day)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the BOM tells Excel the file is UTF-8
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([neutralise(column.header) for column in cols])
    for row in filtered.rows:
        writer.writerow([_csv_value(column.value(row)) for column in cols])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return _attachment(response, _filename(filtered.day, "csv"))


def _write(sheet: Any, row: int, column: int, value: Value) -> Any:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text, even when it begins with "=": never a formula
    elif isinstance(value, datetime.date):
        cell.number_format = XLSX_DATE_FORMAT
    return cell


def xlsx_response(filtered: FilteredOffers) -> HttpResponse:
    cols = columns(filtered.day)
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    sheet = workbook.create_sheet(_("Tilbud"))
    bold = Font(bold=True)
    for index, column in enumerate(cols, start=1):
        _write(sheet, 1, index, column.header).font = bold
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for number, row in enumerate(filtered.rows, start=2):
        for index, column in enumerate(cols, start=1):
            _write(sheet, number, index, column.value(row))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(filtered.rows) + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    return _attachment(response, _filename(filtered.day, "xlsx"))
