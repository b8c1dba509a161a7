"""Attachments (bilag): what may be uploaded, decided by content, and text extraction for search.

Allowed: PDF, Word (DOCX), Excel (XLSX), PNG and JPEG, recognised by their first bytes and, for
the Office formats, by the parts inside the ZIP container. A file's name or the browser's
content type is never trusted. The size limit is the setting MEETINGS_ATTACHMENT_MAX_BYTES
(25 MB by default).

Text is extracted in a background task: PDFs with poppler's `pdftotext`, or with pypdf when
pdftotext is missing or fails — each in a subprocess with a time and memory cap; DOCX and XLSX by
reading their XML parts; images have no text. The extractor that succeeded, or why every one
failed, is recorded on the attachment.
"""

from __future__ import annotations

import hashlib
import logging
import resource
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from meetings.models import Attachment, ExtractionStatus

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
# Caps for the PDF subprocesses and for what we read out of a ZIP (against zip bombs).
DEFAULT_EXTRACTION_TIMEOUT = 60
DEFAULT_EXTRACTION_MEMORY_BYTES = 512 * 1024 * 1024
DEFAULT_EXTRACTION_MAX_PAGES = 1000
MAX_XML_PART_BYTES = 50 * 1024 * 1024
MAX_TEXT_CHARS = 2_000_000

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: str


FILE_TYPES = {
    PDF: FileType(PDF, ".pdf", "PDF"),
    PNG: FileType(PNG, ".png", "PNG"),
    JPEG: FileType(JPEG, ".jpg", "JPEG"),
    DOCX: FileType(DOCX, ".docx", "Word"),
    XLSX: FileType(XLSX, ".xlsx", "Excel"),
}


def max_attachment_bytes() -> int:
    return int(getattr(settings, "MEETINGS_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _detect_zip(handle: IO[bytes]) -> str | None:
    try:
        with zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if any(name.startswith("xl/") for name in names) and "xl/workbook.xml" in names:
        return XLSX
    return None


def detect_content_type(handle: IO[bytes]) -> str | None:
    """The allowed content type of the file by its content, or None. Leaves the file at 0."""
    handle.seek(0)
    head = handle.read(8)
    handle.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return PDF
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return PNG
        if head.startswith(b"\xff\xd8\xff"):
            return JPEG
        if head.startswith(b"PK\x03\x04"):
            return _detect_zip(handle)
        return None
    finally:
        handle.seek(0)


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the checks, with what we know of it."""

    file_type: FileType
    size: int
    sha256: str


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Check an uploaded file by size and content. Raises ValidationError (Danish, naming the
    file) for anything that is not an allowed type or is too large. Stores nothing."""
    name = upload.name or _("(uden navn)")
    limit = max_attachment_bytes()
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("Filen »%(name)s« er tom."), code="empty", params={"name": name})
    if size > limit:
        raise ValidationError(
            _("Filen »%(name)s« fylder %(size)s; der kan højst vedhæftes %(limit)s."),
            code="too_large",
            params={"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
        )
    content_type = detect_content_type(upload.file) if upload.file is not None else None
    if content_type is None:
        raise ValidationError(
            _(
                "Filen »%(name)s« kan ikke vedhæftes: kun PDF, Word (docx), Excel (xlsx), "
                "PNG og JPEG er tilladt, og filens indhold svarer ikke til nogen af dem."
            ),
            code="file_type",
            params={"name": name},
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(file_type=FILE_TYPES[content_type], size=size, sha256=digest.hexdigest())


# --- text extraction -----------------------------------------------------------------------------


class ExtractionError(Exception):
    """The text could not be extracted; the message says why (stored on the attachment)."""


def _limit_resources(memory_bytes: int, seconds: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))

    return apply


@contextmanager
def _local_path(attachment: Attachment) -> Iterator[Path]:
    """A path on disk for the stored file: the storage's own, or a temporary copy."""
    try:
        yield Path(attachment.file.path)
        return
    except NotImplementedError:
        pass  # a remote storage: copy to a temporary file
    with tempfile.NamedTemporaryFile(suffix=".bin") as tmp:
        with attachment.file.open("rb") as source:
            shutil.copyfileobj(source, tmp)
        tmp.flush()
        yield Path(tmp.name)


def _caps() -> tuple[int, int]:
    """(seconds, bytes): the time and memory a PDF extraction subprocess may use."""
    timeout = int(getattr(settings, "MEETINGS_EXTRACTION_TIMEOUT", DEFAULT_EXTRACTION_TIMEOUT))
    memory = int(
        getattr(settings, "MEETINGS_EXTRACTION_MEMORY_BYTES", DEFAULT_EXTRACTION_MEMORY_BYTES)
    )
    return timeout, memory


def _run_capped(name: str, command: list[str]) -> bytes:
    """Run an extractor subprocess under the caps; its stdout, or ExtractionError naming it."""
    timeout, memory = _caps()
    try:
        result = subprocess.run(  # noqa: S603 - fixed executable, our own file path
            command,
            capture_output=True,
            timeout=timeout,
            preexec_fn=_limit_resources(memory, timeout),
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ExtractionError(f"{name} brugte mere end {timeout} sekunder") from error
    except OSError as error:
        raise ExtractionError(f"{name} kunne ikke startes: {error}") from error
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        # A Python traceback's last line says what went wrong.
        message = (lines[-1] if lines else "")[:200]
        raise ExtractionError(f"{name} fejlede ({result.returncode}): {message}")
    return result.stdout


def pdf_text(path: Path) -> str:
    """Text of a PDF by poppler's pdftotext, capped in time and memory."""
    executable = shutil.which("pdftotext")
    if executable is None:
        raise ExtractionError("pdftotext er ikke installeret (poppler-utils)")
    output = _run_capped("pdftotext", [executable, "-q", "-enc", "UTF-8", str(path), "-"])
    return output.decode("utf-8", "replace")


# Run by a separate interpreter, so the caps hold pypdf (and a hostile PDF) in, not the worker.
# argv: the PDF's path, the most pages to read, the most characters to write.
_PYPDF_SCRIPT = """
import sys
from pypdf import PdfReader

reader = PdfReader(sys.argv[1])
pages, budget = int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout.buffer
for index in range(min(len(reader.pages), pages)):
    text = (reader.pages[index].extract_text() or "")[:budget]
    out.write(text.encode("utf-8", "replace") + b"\\n\\f")
    budget -= len(text)
    if budget <= 0:
        break
"""


def pypdf_text(path: Path) -> str:
    """Text of a PDF by pypdf, in a subprocess capped in time, memory and pages: the fallback
    when pdftotext is missing or fails."""
    pages = int(getattr(settings, "MEETINGS_EXTRACTION_MAX_PAGES", DEFAULT_EXTRACTION_MAX_PAGES))
    arguments = [str(path), str(pages), str(MAX_TEXT_CHARS)]
    output = _run_capped("pypdf", [sys.executable, "-I", "-c", _PYPDF_SCRIPT, *arguments])
    return output.decode("utf-8", "replace")


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > MAX_XML_PART_BYTES:
        raise ExtractionError(f"{name} er for stor til tekstudtræk")
    with archive.open(info) as part:
        data = part.read(MAX_XML_PART_BYTES + 1)
    if len(data) > MAX_XML_PART_BYTES:
        raise ExtractionError(f"{name} er for stor til tekstudtræk")
    return data


def _parse_xml(data: bytes) -> ElementTree.Element:
    # Office parts have no DTD; the bundled expat (>= 2.4.1) refuses entity-expansion bombs.
    if b"<!DOCTYPE" in data[:4096]:
        raise ExtractionError("XML med DTD afvises")
    try:
        return ElementTree.fromstring(data)  # noqa: S314 - DTDs refused above
    except ElementTree.ParseError as error:
        raise ExtractionError(f"ugyldig XML: {error}") from error


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def docx_text(path: Path) -> str:
    """The paragraphs of word/document.xml, one per line."""
    try:
        with zipfile.ZipFile(path) as archive:
            root = _parse_xml(_read_part(archive, "word/document.xml"))
    except (zipfile.BadZipFile, KeyError) as error:
        raise ExtractionError(f"ugyldig docx: {error}") from error
    lines = []
    for paragraph in root.iter(f"{W}p"):
        text = "".join(node.text or "" for node in paragraph.iter(f"{W}t"))
        if text.strip():
            lines.append(text)
    return "\n".join(lines)


def xlsx_text(path: Path) -> str:
    """The workbook's shared strings (the text cells), one per line."""
    try:
        with zipfile.ZipFile(path) as archive:
            if "xl/sharedStrings.xml" not in archive.namelist():
                return ""
            root = _parse_xml(_read_part(archive, "xl/sharedStrings.xml"))
    except zipfile.BadZipFile as error:
        raise ExtractionError(f"ugyldig xlsx: {error}") from error
    lines = []
    for entry in root.iter(f"{S}si"):
        text = "".join(node.text or "" for node in entry.iter(f"{S}t"))
        if text.strip():
            lines.append(text)
    return "\n".join(lines)


Extractor = Callable[[Path], str]

# Per content type, the extractors to try in turn, by the name recorded on the attachment.
EXTRACTORS: dict[str, tuple[tuple[str, Extractor], ...]] = {
    PDF: (("pdftotext", pdf_text), ("pypdf", pypdf_text)),
    DOCX: (("docx", docx_text),),
    XLSX: (("xlsx", xlsx_text),),
}


@dataclass(frozen=True)
class Extracted:
    text: str
    extractor: str  # the name of the one that gave the text ("" for none: an image)
    notes: str  # why the extractors tried before it failed, if any


def _extract(path: Path, extractors: tuple[tuple[str, Extractor], ...]) -> Extracted:
    """The text by the first extractor that succeeds; ExtractionError with every reason if none
    does."""
    reasons: list[str] = []
    for name, extractor in extractors:
        try:
            return Extracted(extractor(path), name, "; ".join(reasons))
        except ExtractionError as error:
            reasons.append(str(error))
    raise ExtractionError("; ".join(reasons))


_EXTRACTION_FIELDS = ["extracted_text", "extraction_status", "extractor", "extraction_error"]


def extract_text(attachment_id: int) -> Attachment | None:
    """Extract and store the text of an attachment for search. Idempotent: an attachment whose
    text is already extracted is left alone; one that is gone is ignored. A failure is recorded
    on the attachment (status failed, with the reasons), not raised; so is which extractor
    gave the text (after a fallback, with why the ones before it failed)."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None or attachment.extraction_status == ExtractionStatus.DONE:
        return attachment
    extractors = EXTRACTORS.get(attachment.content_type, ())
    try:
        if not extractors:
            extracted = Extracted("", "", "")  # images: no text to extract (no OCR)
        else:
            with _local_path(attachment) as path:
                extracted = _extract(path, extractors)
    except (ExtractionError, OSError) as error:
        logger.warning("Tekstudtræk fejlede for bilag %s: %s", attachment_id, error)
        attachment.extraction_status = ExtractionStatus.FAILED
        attachment.extractor = ""
        attachment.extraction_error = str(error)[:500]
        attachment.save(update_fields=_EXTRACTION_FIELDS)
        return attachment
    attachment.extracted_text = extracted.text.replace("\x00", "")[:MAX_TEXT_CHARS]
    attachment.extraction_status = ExtractionStatus.DONE
    attachment.extractor = extracted.extractor
    attachment.extraction_error = extracted.notes[:500]
    # A save (of these fields only), not an UPDATE: its post_save is what brings the text into
    # the search index.
    attachment.save(update_fields=_EXTRACTION_FIELDS)
    return attachment
