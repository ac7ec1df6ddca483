"""The bare view of bench/api_load.py's baselines: `GET /api/v1/route?zone=Z` answered from a
dict in memory with the same JSON bytes the product serves. Also the URLconf of both baselines.

RRM_BENCH_ANSWERS names the JSON file of zone -> answer that bench/api_load.py writes from the
product's own `route_lookup`. The Authorization header is ignored. Only for the benchmark.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

ANSWERS: dict[str, object] = json.loads(Path(os.environ["RRM_BENCH_ANSWERS"]).read_text())


def route(request: HttpRequest) -> HttpResponse:
    answer = ANSWERS.get(request.GET.get("zone", ""))
    if answer is None:
        return JsonResponse({"detail": "zone is not live"}, status=404)
    # Serialised per request, as the product's view does.
    return HttpResponse(orjson.dumps(answer), content_type="application/json")


urlpatterns = [path("api/v1/route", route)]
