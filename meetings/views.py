from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The meetings overview; agendas and minutes arrive with the meetings issue."""
    return render(request, "meetings/index.html")
