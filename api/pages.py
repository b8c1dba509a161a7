"""Pagination (limit/offset over a stable order by pk) and CSV, shared by every list."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja.errors import HttpError

from api.representations import absolute
from offers.exports import neutralise

M = TypeVar("M", bound=Model)

CSV_RESPONSE = {
    "responses": {
        200: {
            "description": (
                "JSON (default) or, with `format=csv`, the whole filtered list as CSV "
                "(UTF-8 with BOM, `;` between fields, no pagination)."
            ),
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


def aware(value: datetime.datetime | None) -> datetime.datetime | None:
    """`modified_since` as an aware moment (Danish time when no offset is given)."""
    if value is None:
        return None
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        raise HttpError(422, "modified_since is out of range") from None


def page[M: Model](
    request: HttpRequest,
    rows: QuerySet[M],
    *,
    limit: int,
    offset: int,
    show: Callable[[list[M]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page of `rows` (ordered by pk, so pages neither overlap nor skip) with the total
    and links to the next and previous page."""
    count = rows.count()
    chosen = list(rows.order_by("pk")[offset : offset + limit])

    def link(to: int) -> str:
        query = request.GET.copy()
        query["limit"] = str(limit)
        query["offset"] = str(to)
        return f"{absolute(request.path)}?{query.urlencode()}"

    return {
        "count": count,
        "next": link(offset + limit) if offset + limit < count else None,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "results": show(chosen),
    }


def csv_response(
    filename: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> HttpResponse:
    """CSV for Danish Excel, as offers/exports.py writes it; text that a spreadsheet would run
    as a formula is neutralised."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    return neutralise(str(value))
