"""The open data API: read-only JSON (and CSV) under /api/v1/, schema at /api/v1/openapi.json,
documentation at /api/v1/docs. See docs/api.md."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.openapi.schema import OpenAPISchema

from api.auth import InvalidToken, RateLimited, TokenOrAnonymous
from api.views import router

DESCRIPTION = """Read-only open data from Rammeaftaleportalen, modelled on OParl 1.1 where it fits.

Anonymous clients see exactly what an anonymous visitor sees on the pages and are rate limited
per IP address (HTTP 429 with `Retry-After`). A read-only token
(`Authorization: Bearer <token>`) reads as its user. Lists are paginated with `limit`/`offset`
in a stable order (by `pk`); tabular lists also answer `format=csv`."""


class OpenDataAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        # The token is optional: without it a request reads as the public.
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and operation.get("security"):
                    operation["security"] = [{}, *operation["security"]]
        return schema


api = OpenDataAPI(
    title="Rammeaftaleportalen API",
    version="1.0",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenOrAnonymous(),
    docs=Swagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("", router)


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Too many requests; try again later."}, status=429
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(InvalidToken)
def invalid_token(request: HttpRequest, exc: InvalidToken) -> HttpResponse:
    response = api.create_response(request, {"detail": "Invalid or revoked token."}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response
