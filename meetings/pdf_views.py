"""The meeting PDFs, served from storage: the version the user may read, of the current sequence."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe

from meetings.documents import PDF_CONTENT_TYPE, document_filename, document_for
from meetings.models import DocumentKind, Meeting


@require_safe
def meeting_pdf(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """The agenda, minutes or bilagspakke as a PDF, shown in the browser. 404 for whoever may not
    see it (a draft, unpublished minutes, a body that is not theirs), as for a missing meeting."""
    if kind not in DocumentKind.values:
        raise Http404
    meeting = get_object_or_404(Meeting.objects.select_related("body"), pk=pk)
    document = document_for(request.user, meeting, kind)
    if document is None:
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        content_type=PDF_CONTENT_TYPE,
        as_attachment=False,
        filename=document_filename(meeting, kind),
    )
    # Which version a user gets depends on who they are, and a correction replaces it.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response
