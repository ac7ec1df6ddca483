"""The REST API under /api/v1/ (DESIGN section 7): a thin layer over the same services the
commands and the UI use. OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs (served from
the app's own static files)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI

from rollout.api import audit, designs, kpis, live, rollouts, versions
from rollout.api.auth import BearerToken, BrowserSession
from rollout.api.errors import register


class RolloutAPI(NinjaAPI):
    """The API, whose OpenAPI document also lists the answers any operation may give before
    it runs: 400 (a NUL character in the URL), 401 (no valid credentials), 429 for writes."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        error = {"content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/ErrorOut"}}}}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                responses.setdefault("400", {"description": "Bad request", **error})
                if not path.endswith("/healthz"):
                    responses.setdefault("401", {"description": "Unauthorized", **error})
                if method in ("post", "put", "patch", "delete"):
                    responses.setdefault("429", {"description": "Too many writes", **error})
                    responses.setdefault("422", {"description": "Invalid input", **error})
        return schema


api = RolloutAPI(
    title="Region rollout manager",
    version="1",
    description="Versions, simulations, rollouts, rollbacks and the live routing of a "
                "regionalised logistics network. Authenticate with `Authorization: Bearer "
                "<token>` (manage.py create_token) or a logged-in browser session.",
    auth=[BearerToken(), BrowserSession()],
    urls_namespace="api",
)
register(api)


@api.get("/healthz", auth=None, tags=["health"])
def healthz(request: HttpRequest) -> dict[str, str]:
    """Liveness, without a token (also at /healthz outside the API)."""
    return {"status": "ok"}


for module in (versions, rollouts, live, kpis, audit, designs):
    api.add_router("", module.router)
