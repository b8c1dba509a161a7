"""CSV import machinery that every app reuses (members, contacts, offers, tariffs, subscribers).

The rules: the file is checked by its content (not its name), read as UTF-8 with or without a
byte order mark, split on ',' or ';' (Danish Excel exports use ';'), every row is validated and
every error reported in Danish with its row number and column, and nothing is written unless the
whole file is valid. Row numbers are the spreadsheet's: the header is row 1.

An app describes its columns, validates one row into a typed value with a `RowChecker`, and
writes the values; `run_import` does the rest.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import openpyxl
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl.utils.exceptions import InvalidFileException

SEPARATORS = (",", ";")
HEADER_ROW = 1
# Bytes that never occur in a text file (NUL, DEL and C0 controls but tab, CR, LF, VT, FF).
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_SPACES = re.compile(r"\s+")


def normalise(value: str) -> str:
    """A lookup key: case, surrounding space, runs of space and æ/ø/å spelled ae/oe/aa ignored."""
    return _SPACES.sub(" ", value.strip().casefold().translate(_DANISH_LETTERS))


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: a row (None for the file as a whole), a column (None for the whole row)."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column is None:
            return _("Række %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        return _("Række %(row)d, kolonne '%(column)s': %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportResult:
    """What an import did: errors (then nothing was written) or counts of what was written."""

    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    # Human-readable Danish label -> number, e.g. {"nye personer": 3}; in the order counted.
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, label: str, n: int = 1) -> None:
        self.counts[label] = self.counts.get(label, 0) + n

    def summary(self) -> str:
        parts = [f"{label}: {n}" for label, n in self.counts.items() if n]
        rows = ngettext("%(n)d række læst", "%(n)d rækker læst", self.rows) % {"n": self.rows}
        return ", ".join([rows, *parts])


class ImportFileError(Exception):
    """The file as a whole cannot be read: too large, not text, wrong encoding, bad header."""

    def __init__(self, *errors: RowError) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = list(errors)

    @classmethod
    def whole_file(cls, message: str) -> ImportFileError:
        return cls(RowError(None, None, message))


class CellError(ValueError):
    """A cell's value is invalid; the message (Danish) says why and what would be valid."""


# --- reading the file ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column the file may have. `name` is how it is written in the header and in messages."""

    name: str
    required: bool = True
    aliases: tuple[str, ...] = ()

    def lookup_keys(self) -> set[str]:
        return {normalise(self.name), *(normalise(alias) for alias in self.aliases)}


@dataclass(frozen=True)
class CsvRow:
    number: int
    values: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "").strip()


@dataclass(frozen=True)
class CsvTable:
    separator: str
    columns: tuple[str, ...]
    rows: list[CsvRow]


def read_upload(upload: UploadedFile | IO[bytes] | bytes, *, max_bytes: int | None = None) -> bytes:
    """The file's bytes, refused if larger than the limit (settings.IMPORT_MAX_BYTES)."""
    limit = settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    if isinstance(upload, bytes):
        data = upload
    else:
        size = getattr(upload, "size", None)
        if isinstance(size, int) and size > limit:
            raise _too_large(limit)
        upload.seek(0)
        data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    return data


def _too_large(limit: int) -> ImportFileError:
    return ImportFileError.whole_file(
        _("Filen er for stor. Den må højst fylde %(size)s.") % {"size": _human_size(limit)}
    )


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return _("%(n)s MB") % {"n": f"{n / (1024 * 1024):.1f}".replace(".", ",")}
    return _("%(n)s kB") % {"n": f"{n / 1024:.0f}"}


def decode_text(data: bytes) -> str:
    """UTF-8 text (a byte order mark is dropped); anything else is refused in Danish."""
    if not data.strip():
        raise ImportFileError.whole_file(_("Filen er tom."))
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError.whole_file(
            _(
                "Filen er et regneark (fx .xlsx) og ikke en CSV-fil. Gem den i Excel med "
                "'Gem som' og filtypen 'CSV UTF-8 (kommasepareret)', og prøv igen."
            )
        )
    if data.startswith(b"%PDF"):
        raise ImportFileError.whole_file(
            _("Filen er en PDF og ikke en CSV-fil. Upload en CSV-fil i UTF-8.")
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError.whole_file(
            _(
                "Filen er gemt som UTF-16 ('Unicode-tekst'). Gem den i Excel som "
                "'CSV UTF-8 (kommasepareret)', og prøv igen."
            )
        )
    if _BINARY_BYTES.search(data[:65536]):
        raise ImportFileError.whole_file(
            _("Filen er ikke en tekstfil. Upload en CSV-fil gemt i UTF-8.")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError.whole_file(
            _(
                "Filen er ikke gemt i tegnsættet UTF-8 (første ukendte tegn i linje %(line)d). "
                "Gem den i Excel som 'CSV UTF-8 (kommasepareret)', og prøv igen."
            )
            % {"line": line}
        ) from exc


def sniff_separator(text: str) -> str:
    """',' or ';': whichever occurs more often outside quotes in the header line."""
    header = text.lstrip("\r\n").split("\n", 1)[0].strip()
    if header.casefold() in ("sep=,", "sep=;"):
        return header[-1]  # Excel's own hint line
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


def read_csv(
    upload: UploadedFile | IO[bytes] | bytes,
    *,
    columns: Sequence[Column],
    max_bytes: int | None = None,
) -> CsvTable:
    """Read and split the file; map the header onto `columns`. Rows are not validated here."""
    text = decode_text(read_upload(upload, max_bytes=max_bytes))
    separator = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error as exc:
        raise ImportFileError(
            RowError(
                len(records) + 1,
                None,
                _("Rækken kan ikke læses (%(reason)s). Tjek anførselstegn i rækken.")
                % {"reason": exc},
            )
        ) from exc
    # Excel reads a first line "sep=;" as a hint, not as a row; the row numbers skip it too.
    if records and [cell.strip().casefold() for cell in records[0]] in (["sep="], ["sep=", ""]):
        records.pop(0)
    # Blank rows above the header are ignored, but they still count in the row numbers.
    header_row = HEADER_ROW
    while records and not any(cell.strip() for cell in records[0]):
        records.pop(0)
        header_row += 1
    if not records:
        raise ImportFileError.whole_file(_("Filen er tom."))

    mapping = _map_header(records[0], columns, row=header_row)
    names = tuple(column.name for column in columns)
    rows: list[CsvRow] = []
    errors: list[RowError] = []
    for number, record in enumerate(records[1:], start=header_row + 1):
        if not any(cell.strip() for cell in record):
            continue
        extra = [cell for index, cell in enumerate(record) if index >= len(records[0])]
        if any(cell.strip() for cell in extra):
            errors.append(
                RowError(
                    number,
                    None,
                    _(
                        "Rækken har %(found)d felter, men overskriften har %(expected)d "
                        "kolonner. Tjek skilletegn og anførselstegn."
                    )
                    % {"found": len(record), "expected": len(records[0])},
                )
            )
            continue
        values = {name: record[index] for index, name in mapping.items() if index < len(record)}
        rows.append(CsvRow(number, values))
    if errors:
        raise ImportFileError(*errors)
    return CsvTable(separator=separator, columns=names, rows=rows)


def _map_header(header: list[str], columns: Sequence[Column], *, row: int) -> dict[int, str]:
    """Column index -> column name. Unknown, repeated and missing columns are errors."""
    by_key = {key: column for column in columns for key in column.lookup_keys()}
    expected = ", ".join(f"'{column.name}'" for column in columns)
    mapping: dict[int, str] = {}
    errors: list[RowError] = []
    for index, title in enumerate(header):
        if not title.strip():
            continue  # Excel leaves empty trailing columns
        column = by_key.get(normalise(title.lstrip("\ufeff")))
        if column is None:
            errors.append(
                RowError(
                    row,
                    title.strip(),
                    _("Ukendt kolonne. Kolonnerne er: %(columns)s.") % {"columns": expected},
                )
            )
        elif column.name in mapping.values():
            errors.append(RowError(row, column.name, _("Kolonnen findes mere end én gang.")))
        else:
            mapping[index] = column.name
    for column in columns:
        if column.required and column.name not in mapping.values():
            errors.append(RowError(row, column.name, _("Kolonnen mangler i filen.")))
    if errors:
        raise ImportFileError(*errors)
    return mapping


# --- validating rows -------------------------------------------------------------------------


class RowChecker:
    """Collects every error in one row, so the user sees them all at once."""

    def __init__(self, row: CsvRow) -> None:
        self.row = row
        self.errors: list[RowError] = []

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.row.number, column, message))

    def cell[V](
        self, column: str, parse: Callable[[str], V], *, required: bool = False
    ) -> V | None:
        """The parsed cell, or None after recording the parser's CellError.

        An empty required cell is an error; an empty optional one is given to `parse` as "".
        """
        if required and not self.row[column]:
            self.error(column, _("Feltet skal udfyldes."))
            return None
        try:
            return parse(self.row[column])
        except CellError as exc:
            self.error(column, str(exc))
            return None

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.row[column]
        if required and not value:
            self.error(column, _("Feltet skal udfyldes."))
        elif max_length is not None and len(value) > max_length:
            self.error(
                column,
                _("Højst %(max)d tegn (der er %(n)d).") % {"max": max_length, "n": len(value)},
            )
        return value


def parse_date(value: str) -> datetime.date:
    """YYYY-MM-DD or DD-MM-YYYY (also with '.' or '/' between day, month and year)."""
    text = value.strip()
    for pattern, order in (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"),
        (r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})", "dmy"),
    ):
        match = re.fullmatch(pattern, text)
        if match:
            parts = dict(zip(order, map(int, match.groups()), strict=True))
            try:
                return datetime.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                break
    raise CellError(
        _("'%(value)s' er ikke en gyldig dato. Skriv datoen som ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ.")
        % {"value": text}
    )


def parse_optional_date(value: str) -> datetime.date | None:
    return parse_date(value) if value.strip() else None


_YES = {"ja", "j", "x", "1", "true", "sand"}
_NO = {"nej", "n", "0", "false", "falsk"}


def parse_yes_no(value: str, *, default: bool | None = None) -> bool:
    """'ja' or 'nej' (case-insensitive); an empty cell means `default`, if there is one."""
    key = normalise(value)
    if key in _YES:
        return True
    if key in _NO:
        return False
    if not key and default is not None:
        return default
    raise CellError(_("'%(value)s' er hverken 'ja' eller 'nej'.") % {"value": value.strip()})


def choice_parser[T](options: Mapping[str, T], *, message: str) -> Callable[[str], T]:
    """A parser that looks the cell up in `options` (keys are compared with `normalise`).

    `message` is the Danish error with %(value)s, e.g. "'%(value)s' er ikke en gyldig rolle.
    Gyldige roller: formand, …".
    """
    table = {normalise(key): value for key, value in options.items()}

    def parse(value: str) -> T:
        try:
            return table[normalise(value)]
        except KeyError:
            raise CellError(message % {"value": value.strip()}) from None

    return parse


# --- running an import -----------------------------------------------------------------------


class _Rollback(Exception):
    pass


@dataclass
class ImportSpec[T]:
    """One kind of import: its columns, how to validate a row, how to write a valid row.

    `validate` gets every row (with a RowChecker) and returns a value or None; `write` gets the
    values one by one inside one transaction, and may raise ValidationError, which is reported
    at the row, its fields mapped to columns by `field_columns`.
    """

    columns: Sequence[Column]
    validate: Callable[[CsvRow, RowChecker], T | None]
    write: Callable[[T, ImportResult], None]
    field_columns: Mapping[str, str] = field(default_factory=dict)


def run_import[T](
    spec: ImportSpec[T],
    upload: UploadedFile | IO[bytes] | bytes,
    *,
    max_bytes: int | None = None,
) -> ImportResult:
    """Validate the whole file, then write all of it in one transaction, or nothing."""
    result = ImportResult()
    try:
        table = read_csv(upload, columns=spec.columns, max_bytes=max_bytes)
    except ImportFileError as exc:
        result.errors.extend(exc.errors)
        return result
    result.rows = len(table.rows)
    if not table.rows:
        result.errors.append(RowError(None, None, _("Filen har ingen rækker under overskriften.")))
        return result

    values: list[tuple[int, T]] = []
    for row in table.rows:
        checker = RowChecker(row)
        value = spec.validate(row, checker)
        if checker.errors:
            result.errors.extend(checker.errors)
        elif value is not None:
            values.append((row.number, value))
    if result.errors:
        return result

    try:
        with transaction.atomic():
            for number, value in values:
                try:
                    with transaction.atomic():
                        spec.write(value, result)
                except ValidationError as exc:
                    result.errors.extend(_row_errors(number, exc, spec.field_columns))
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.counts.clear()
    return result


def _row_errors(number: int, exc: ValidationError, columns: Mapping[str, str]) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(number, None, message) for message in exc.messages]
    errors: list[RowError] = []
    for name, messages in exc.message_dict.items():
        column = None if name == NON_FIELD_ERRORS else columns.get(name)
        errors.extend(RowError(number, column, message) for message in messages)
    return errors


# --- spreadsheets --------------------------------------------------------------------------------

# An XLSX is a ZIP: what it may unpack to, and how many rows it may have (against zip bombs).
XLSX_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
XLSX_MAX_ROWS = 20_000
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def xlsx_cell_text(value: Any) -> str:
    """A cell as the text a Danish CSV would hold: numbers with a decimal comma (so that 1.125
    is never read as one thousand one hundred and twenty-five)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        # Excel's arithmetic leaves binary noise (0.30000000000000004): six decimals are plenty.
        number = Decimal(repr(round(value, 6))) if isinstance(value, float) else value
        if number == number.to_integral_value():
            return str(int(number))
        return format(number, "f").replace(".", ",")
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _CONTROL_CHARS.sub(" ", str(value))


def xlsx_as_csv(
    data: bytes, *, max_rows: int = XLSX_MAX_ROWS, max_unpacked: int = XLSX_MAX_UNPACKED_BYTES
) -> bytes:
    """The first sheet of a workbook as CSV (';', UTF-8), row for row, so that the row numbers
    in messages are the sheet's and the header is mapped as in a CSV file."""
    unreadable = ImportFileError.whole_file(
        _(
            "Regnearket kan ikke læses. Gem det igen i Excel som »Excel-projektmappe (.xlsx)«, "
            "eller gem det som »CSV UTF-8«."
        )
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise unreadable from None
    if unpacked > max_unpacked:
        raise ImportFileError.whole_file(
            _("Regnearket er for stort. Del det op i flere filer, og importér dem hver for sig.")
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise unreadable from None
    rows: list[list[str]] = []
    try:
        if not workbook.worksheets:
            raise ImportFileError.whole_file(_("Regnearket har ingen ark."))
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        for index, values in enumerate(sheet.iter_rows(values_only=True)):
            if index > max_rows:
                raise ImportFileError.whole_file(
                    _("Regnearket har mere end %(max)d rækker. Del det op i flere filer.")
                    % {"max": max_rows}
                )
            rows.append([xlsx_cell_text(value) for value in values])
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError):
        raise unreadable from None
    finally:
        workbook.close()
    width = max((len(row) for row in rows), default=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    for row in rows:
        writer.writerow(row + [""] * (width - len(row)))
    return buffer.getvalue().encode("utf-8")
