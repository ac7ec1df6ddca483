"""Region design on the demo network (904 zones, 32 FCs) and, with --national, the 40,000-zone
bench network: K = 8 with capacity (10% headroom) and contiguity, against the hand-made regions.

    .venv/bin/python bench/design.py [--national] [--regions 8] [--headroom 0.1]

Times `rollout.domain.design.regions.region_design` in-process (budget: demo under 5 s,
national under 60 s and 2 GB peak RSS, read as the process's peak right after the design, so
the bundle's loading counts and the simulations do not), then simulates the hand-made
regions and the proposal on the same generated day of orders (`nearest_in_region` routing for
the proposal, the version's own routing for the hand-made one) and prints in-region share,
trucks, fill and average km of both, the gap, and the regional facilities left in no region.
Writes bench/out/design.md and bench/out/design.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bundles import NATIONAL, ensure_bundle  # noqa: E402
from rollout.demo import demo_bundles  # noqa: E402
from rollout.domain.bundle import Bundle, read_bundle_path  # noqa: E402
from rollout.domain.demand import generate_orders  # noqa: E402
from rollout.domain.design.files import proposal_files  # noqa: E402
from rollout.domain.design.frame import DesignRequest  # noqa: E402
from rollout.domain.design.regions import region_design  # noqa: E402
from rollout.domain.simulate import simulate  # noqa: E402
from rollout.domain.validate import validate_files  # noqa: E402

OUT = ROOT / "bench" / "out"
MAX_BYTES = 64 * 1024 * 1024  # the national bundle's network.yaml is about 4 MB
KPIS = ("in_region_pct", "trucks", "fill_pct", "avg_km", "active_lanes", "cross_region_packages")


def _bundle(files: dict[str, bytes]) -> Bundle:
    report = validate_files(files, max_bytes=MAX_BYTES)
    assert report.bundle is not None and report.valid, "the bench bundle must be valid"
    return report.bundle


def _case(name: str, files: dict[str, bytes], request: DesignRequest,
          budget: float) -> dict[str, object]:
    bundle = _bundle(files)
    started = time.perf_counter()
    design = region_design(bundle=bundle, request=request)
    seconds = time.perf_counter() - started
    # The process's peak so far: loading the bundle plus the design (not yet the simulations).
    design_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    orders = generate_orders(bundle)
    before = simulate(bundle, orders).total
    proposal = validate_files(proposal_files(files=files, network=bundle.network,
                                             design=design), max_bytes=MAX_BYTES)
    assert proposal.bundle is not None
    after = simulate(proposal.bundle, orders).total
    return {
        "network": name, "zones": len(bundle.network.zones),
        "fcs": sum(f.type == "fc" for f in bundle.network.facilities),
        "regions": request.regions, "seconds": round(seconds, 3), "budget_s": budget,
        "within_budget": seconds < budget, "violations": design.violations,
        "moved_zones": len(design.moved_zones), "regional_facilities_in_no_region":
        len(design.shared),
        "hand_made": {k: before[k] for k in KPIS}, "proposal": {k: after[k] for k in KPIS},
        "pmedian_gap": design.stats.get("pmedian_gap"), "gap": design.gap,
        "peak_rss_mb_after_design": round(design_rss_mb),
        "proposal_check_errors": proposal.errors, "proposal_check_warnings": proposal.warnings,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--national", action="store_true",
                        help="also the 40,000-zone bench network (generated once, ~1 min)")
    parser.add_argument("--regions", type=int, default=8)
    parser.add_argument("--headroom", type=float, default=0.1)
    args = parser.parse_args(argv)
    request = DesignRequest(regions=args.regions, headroom=args.headroom, contiguous=True,
                            time_limit=5.0)
    demo = next(d for d in demo_bundles() if d.name == "all-eight")
    rows = [_case("demo", dict(demo.files), request, 5.0)]
    if args.national:
        directory, _, _ = ensure_bundle("national", NATIONAL)
        rows.append(_case("national", read_bundle_path(directory), request, 60.0))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    lines = [f"# Region design, K = {args.regions}, headroom {args.headroom:g}, contiguous",
             "", f"load average {load:.2f}; peak RSS of the whole run {peak_mb:.0f} MB", "",
             "| network | zones | FCs | seconds (budget) | peak RSS MB after design | gap | "
             "violations | moved | in no region | check errors / warnings | "
             + " | ".join(f"{k} hand-made / proposal" for k in KPIS) + " |",
             "|" + "---|" * (10 + len(KPIS))]
    for row in rows:
        hand, prop = row["hand_made"], row["proposal"]
        violations = row["violations"]
        assert isinstance(hand, dict) and isinstance(prop, dict) and isinstance(violations, list)
        gap = row["gap"]
        lines.append(f"| {row['network']} | {row['zones']} | {row['fcs']} | {row['seconds']} "
                     f"({row['budget_s']}) | {row['peak_rss_mb_after_design']} | "
                     f"{'-' if not isinstance(gap, float) else f'{gap:.2%}'} | "
                     f"{len(violations)} | {row['moved_zones']} | "
                     f"{row['regional_facilities_in_no_region']} | "
                     f"{row['proposal_check_errors']} / {row['proposal_check_warnings']} | "
                     + " | ".join(f"{hand[k]:.4g} / {prop[k]:.4g}" for k in KPIS) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "design.md").write_text(text)
    (OUT / "design.json").write_text(json.dumps({"rows": rows, "peak_rss_mb": round(peak_mb),
                                                 "load": load}, indent=2) + "\n")
    return 0 if all(row["within_budget"] and not row["proposal_check_errors"] for row in rows) \
        else 1


if __name__ == "__main__":
    sys.exit(main())
