"""Server-side render time of every operator UI page, and the dashboard's weight.

    .venv/bin/python bench/pages.py [--runs 20] [--keep DIR]

Builds a throwaway SQLite database with the demo data (`manage.py demo`: 904 zones, 8 regions,
three versions, the national one live), then a rollout of the all-eight version in two phases,
approved, started and with its first phase activated, so the dashboard shows a mid-rollout mix
and the rollout pages have a timeline. Each page is fetched once to warm caches, then `--runs`
times through Django's test client in this process (middleware, view, template: what the server
spends, without the network). Budget: every page under 200 ms (p95 reported against it);
"first" is the warm-up fetch, which fills the per-process caches (parsed bundles, highlighted
listings, the composite state) in the order the pages are listed.
The dashboard's weight is its HTML plus every stylesheet and script it links; budget 1 MB.
With `--large-zones N` a valid N-zone version (bench/generate_bundle.py, 8 regions) is also
stored through the version service (the upload limits raised to let it in), never rolled
out: pages about the live network should cost
what the live network costs, whatever else is stored (issue 12 measured 100,000 zones).
Writes bench/out/pages.json (bench/out/pages-large.json with `--large-zones`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
BUDGET_MS = 200.0
WEIGHT_BUDGET = 1_000_000


def _setup(database: Path) -> None:
    sys.path.insert(0, str(REPO))
    from bench.common import django_setup

    # (the memory broker: nothing leaves this process)
    django_setup(DATABASE_URL=f"sqlite:///{database}", CELERY_BROKER_URL="memory://")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with Path(os.devnull).open("w") as quiet:
        call_command("demo", stdout=quiet)


def _scenario() -> dict[str, Any]:
    """Users, and a running rollout of the all-eight demo version with phase 1 live."""
    from django.contrib.auth.models import User

    from rollout.models import Version
    from rollout.selectors import version_bundle
    from rollout.services.engine import rollout_advance
    from rollout.services.roles import Role, role_grant
    from rollout.services.rollouts import (
        PhasePlan,
        rollout_approve,
        rollout_create,
        rollout_start,
    )

    admin = User.objects.create_superuser("bench-admin", password="x")
    planner, approver = User.objects.create_user("planner"), User.objects.create_user("approver")
    role_grant(user=planner, role=Role.EDITOR)
    role_grant(user=approver, role=Role.APPROVER)
    versions = list(Version.objects.order_by("created_at", "id"))
    newest = versions[-1]
    bundle = version_bundle(version=newest)
    assert bundle is not None
    codes = [region.code for region in bundle.regions.regions]
    phases = [PhasePlan(regions=codes[:2], bake_minutes=60, start_after=None),
              PhasePlan(regions=codes[2:], bake_minutes=60, start_after=None)]
    rollout = rollout_create(version=newest, phases=phases, gates=[], on_gate_failure="rollback",
                             actor=planner)
    rollout_approve(rollout_id=rollout.id, actor=approver)
    rollout_start(rollout_id=rollout.id, actor=admin)
    rollout_advance(rollout_id=rollout.id)  # activates phase 1, then bakes
    return {"admin": admin, "versions": [v.id for v in versions], "rollout": rollout.id,
            "region": codes[0]}


def _store_large_version(zones: int, work: Path) -> dict[str, Any]:
    """A valid `zones`-zone version stored as an upload would be, and never rolled out."""
    from bench.generate_bundle import generate_bundle
    from rollout.services.versions import version_create

    folder = work / f"large-{zones}"
    counts = generate_bundle(folder, zones=zones, facilities=max(1_300, zones // 30),
                             lanes=max(11_000, zones // 4))
    files = {path.name: path.read_bytes() for path in sorted(folder.glob("*.yaml"))}
    started = time.perf_counter()
    result = version_create(files=files, message=f"bench: a valid {zones}-zone version")
    seconds = time.perf_counter() - started
    print(f"stored a {counts['bytes'] / 1e6:.1f} MB, {counts['zones']}-zone version "
          f"{result.version.id} (valid={result.version.valid}) in {seconds:.1f} s")
    return {"zones": counts["zones"], "facilities": counts["facilities"],
            "bytes": counts["bytes"], "version": result.version.id,
            "valid": result.version.valid, "store_s": seconds}


def _pages(data: dict[str, Any]) -> list[tuple[str, str]]:
    from django.urls import NoReverseMatch, reverse

    first, newest = data["versions"][0], data["versions"][-1]
    wanted: list[tuple[str, str, dict[str, Any], str]] = [
        ("dashboard", "web:dashboard", {}, ""),
        ("dashboard live JSON", "web:dashboard_live", {}, ""),
        ("versions list", "web:version_list", {}, ""),
        ("version page (newest)", "web:version_detail", {"ref": newest}, ""),
        ("diff first -> newest", "web:version_diff", {"a": first, "b": newest}, ""),
        ("simulation (cached)", "web:simulate", {}, f"?version={newest}&baseline={first}"),
        ("rollouts list", "web:rollout_list", {}, ""),
        ("rollout planner", "web:rollout_plan", {}, f"?version={newest}"),
        ("rollout page", "web:rollout_detail", {"rollout_id": data["rollout"]}, ""),
        ("rollout status JSON", "web:rollout_status", {"rollout_id": data["rollout"]}, ""),
        ("region page", "web:region", {"code": data["region"]}, ""),
        ("audit log", "web:audit", {}, ""),
        ("API tokens", "web:tokens", {}, ""),
        ("upload form", "web:version_upload", {}, ""),
    ]
    pages = []
    for label, name, kwargs, query in wanted:
        try:
            pages.append((label, reverse(name, kwargs=kwargs) + query))
        except NoReverseMatch:
            print(f"  (no page {name}: skipped)")
    return pages


def _time_pages(client: Any, pages: list[tuple[str, str]], runs: int) -> list[dict[str, Any]]:
    rows = []
    for label, url in pages:
        started = time.perf_counter()
        warm = client.get(url)  # caches (bundles, highlighting, simulations) filled here
        first_ms = (time.perf_counter() - started) * 1000
        if warm.status_code != 200:
            print(f"  {label}: {url} answered {warm.status_code}: skipped")
            continue
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        rows.append({"page": label, "url": url, "first_ms": first_ms,
                     "median_ms": statistics.median(times),
                     "p95_ms": p95, "max_ms": times[-1], "bytes": len(response.content),
                     "status": "ok" if p95 < BUDGET_MS else "OVER"})
    return rows


def _weight(client: Any) -> dict[str, Any]:
    """The dashboard's HTML and every same-origin stylesheet and script it links."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    response = client.get("/")
    if response.status_code != 200:
        return {"html_bytes": 0, "assets": {}, "total_bytes": 0,
                "status": f"no dashboard ({response.status_code})"}
    html = response.content.decode()
    assets: dict[str, int] = {}
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    for url in re.findall(r'(?:href|src)="([^"]+\.(?:css|js|json|svg))"', html):
        path = finders.find(url.removeprefix(prefix)) if url.startswith(prefix) else None
        assets[url] = Path(path).stat().st_size if path else 0
    total = len(html.encode()) + sum(assets.values())
    return {"html_bytes": len(html.encode()), "assets": assets, "total_bytes": total,
            "status": "ok" if total < WEIGHT_BUDGET else "OVER"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed fetches per page")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the database in DIR")
    parser.add_argument("--large-zones", type=int, default=0, metavar="N",
                        help="also store a valid N-zone version (never rolled out)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="rrm-pages-"))
    work.mkdir(parents=True, exist_ok=True)
    database = work / "pages.sqlite3"
    database.unlink(missing_ok=True)
    if args.large_zones:  # over the default upload limits: raise them for this database only
        os.environ["RRM_MAX_ZONES"] = str(args.large_zones)
        os.environ["RRM_MAX_FACILITIES"] = str(max(5_000, args.large_zones // 30))
    started = time.perf_counter()
    _setup(database)
    data = _scenario()
    large = _store_large_version(args.large_zones, work) if args.large_zones else None
    print(f"demo data and a running rollout ready in {time.perf_counter() - started:.1f} s")
    from django.test import Client

    client = Client()
    client.force_login(data["admin"])
    rows = _time_pages(client, _pages(data), args.runs)
    weight = _weight(client)
    print(f"\n{'page':28} {'first':>9} {'median':>9} {'p95':>9} {'max':>9} {'size':>9}  "
          "budget p95 < 200 ms")
    for row in rows:
        print(f"{row['page']:28} {row['first_ms']:7.1f}ms {row['median_ms']:7.1f}ms "
              f"{row['p95_ms']:7.1f}ms "
              f"{row['max_ms']:7.1f}ms {row['bytes'] / 1024:7.1f}kB  {row['status']}")
    print(f"\ndashboard weight: HTML {weight['html_bytes'] / 1024:.0f} kB + "
          f"{len(weight['assets'])} assets = {weight['total_bytes'] / 1024:.0f} kB "
          f"(budget 1 MB): {weight['status']}")
    OUT.mkdir(parents=True, exist_ok=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    memory: dict[str, Any] = {"peak_rss_mb": round(peak_mb)}
    try:
        from rollout.caches import cache_info
    except ImportError:  # a checkout from before the byte-bounded caches (comparing)
        print(f"process: peak RSS {memory['peak_rss_mb']} MB")
    else:
        held = cache_info()
        memory.update(cache_mb=round(held.bytes / 2**20, 1), cache_entries=held.entries,
                      cache_budget_mb=held.budget // 2**20)
        print(f"process: peak RSS {memory['peak_rss_mb']} MB; caches hold "
              f"{memory['cache_mb']} MiB in {held.entries} entries (budget "
              f"{memory['cache_budget_mb']} MiB)")
    name = "pages-large.json" if large else "pages.json"
    (OUT / name).write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()[0]},
        "runs": args.runs, "large_version": large, "pages": rows, "dashboard_weight": weight,
        "memory": memory,
    }, indent=2) + "\n")
    over = [row for row in rows if row["status"] == "OVER"] or weight["status"] == "OVER"
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
