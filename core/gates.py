"""The gates in front of views, and small request helpers every app's views share.

Each app decides *who* in its permissions module; these only say *how* a view refuses: an
anonymous visitor is sent to the login page (and back afterwards), anyone else who fails the
check gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, QueryDict
from django.http.response import HttpResponseBase
from django.utils.datastructures import MultiValueDict

View = Callable[..., HttpResponseBase]


def login_required(view: View) -> View:
    """Anonymous visitors are sent to the login page; the view decides the rest."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def permission_required(check: Callable[[Any], bool]) -> Callable[[View], View]:
    """Login required, then `check(user)`, else 403: `secretariat_required =
    permission_required(can_manage_rounds)` is the one gate of an app's staff views."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data to bind a form to, also when it is empty (so its errors are shown)."""
    return request.POST if request.method == "POST" else None


def posted_files(request: HttpRequest) -> MultiValueDict[str, UploadedFile] | None:
    return request.FILES if request.method == "POST" else None
