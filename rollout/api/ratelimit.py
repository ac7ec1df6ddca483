"""Per-token rate limits on write endpoints: a fixed one-minute window in the cache.

RRM_WRITE_RATE_PER_MINUTE (default 60). With the default local-memory cache the count is per
process; set CACHE_URL (e.g. redis://) so every process shares it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from rollout.api.auth import caller
from rollout.domain.errors import ErrorKind, RolloutError


class RateLimited(RolloutError):
    """Too many writes in this minute; `retry_after` seconds until the next (the API answers
    429 with a Retry-After header)."""

    kind = ErrorKind.RATE_LIMITED

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many write requests; retry in {retry_after} s")
        self.retry_after = retry_after


def check_write_rate(request: HttpRequest) -> None:
    limit = int(getattr(settings, "RRM_WRITE_RATE_PER_MINUTE", 60))
    if limit <= 0:
        return
    who = caller(request)
    key_owner = f"t{who.token_id}" if who.token_id is not None else f"u{who.user.id}"
    now = time.time()
    window = int(now // 60)
    key = f"rrm:rate:{key_owner}:{window}"
    if cache.add(key, 1, timeout=61):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=61)
            count = 1
    if count > limit:
        raise RateLimited(retry_after=max(1, int(60 - now % 60)))
