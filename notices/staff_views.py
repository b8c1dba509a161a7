"""The secretariat's view of the notices: what was sent, what is pending, what failed.

Every view here is behind `secretariat_required`: anonymous visitors are sent to the login page,
everybody else gets 403 (the same gate as the organisation's staff pages).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.gates import permission_required
from core.permissions import is_secretariat
from notices import selectors, services
from notices.models import Notice

NOTICES_PER_PAGE = 50


secretariat_required = permission_required(is_secretariat)


@secretariat_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    """The notices, newest first, with their counts: two queries for the page, whatever its
    length (the counts are annotated; topic labels are asked once per distinct topic)."""
    page = Paginator(selectors.notices_with_counts(), NOTICES_PER_PAGE).get_page(
        request.GET.get("side")
    )
    label = selectors.TopicLabels()
    rows = [{"notice": notice, "label": label(notice.topic)} for notice in page.object_list]
    return render(request, "notices/staff/notice_list.html", {"page": page, "rows": rows})


@secretariat_required
@require_GET
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(selectors.notices_with_counts(), pk=pk)
    context = {
        "notice": notice,
        "label": selectors.TopicLabels()(notice.topic),
        "failed": list(selectors.failed_deliveries(notice)),
    }
    return render(request, "notices/staff/notice_detail.html", context)


@secretariat_required
@require_POST
def notice_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Send de fejlede igen": the failed deliveries go back to pending and are sent again."""
    notice = get_object_or_404(Notice.objects.only("pk"), pk=pk)
    count = services.deliveries_retry_failed(notice_id=notice.pk)
    messages.success(
        request,
        ngettext(
            "%(n)d fejlet mail sendes igen.",
            "%(n)d fejlede mails sendes igen.",
            count,
        )
        % {"n": count},
    )
    return redirect("notices:staff_notice", pk=notice.pk)
