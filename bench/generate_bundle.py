"""Generate a deterministic, valid, national-scale bundle directory for the benchmarks.

    python bench/generate_bundle.py OUT_DIR [--zones N] [--facilities N] [--lanes N]
                                            [--regions N] [--seed N]

The same parameters always give byte-identical files (seeded numpy PCG64), so timings of two
runs or two machines compare like with like. The bundle is valid per DESIGN section 3: see
bench/gen/lanes.py for why every FC reaches every station.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench.*` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.gen.lanes import make_lanes
from bench.gen.network import make_network
from bench.gen.routes import make_routes
from bench.gen.writer import demand_yaml, network_yaml, regions_yaml, routing_yaml, write_files

SLA_HOURS = 96
DEFAULTS = {"zones": 40_000, "facilities": 1_300, "lanes": 11_000, "regions": 8, "seed": 1}


def generate_bundle(
    out_dir: Path,
    *,
    zones: int = 40_000,
    facilities: int = 1_300,
    lanes: int = 11_000,
    regions: int = 8,
    seed: int = 1,
) -> dict[str, int]:
    """Write network.yaml, regions.yaml, routing.yaml and demand.yaml into `out_dir`.

    Returns counts (`zones`, `facilities`, `fc`, `sc`, `ds`, `lanes`, `regions`, `routes`,
    `demand`) and file sizes (`bytes:<file name>`, `bytes`). `lanes` may differ from the request
    when the network is too small to hold that many distinct lanes, or needs more for its backbone.
    """
    rng = np.random.default_rng(seed)
    network = make_network(rng, zones=zones, facilities=facilities, regions=regions)
    lane_list = make_lanes(rng, network, lanes)
    rules = make_routes(rng, network, lane_list)
    command = (
        f"python bench/generate_bundle.py OUT_DIR --zones {zones} --facilities "
        f"{facilities} --lanes {lanes} --regions {regions} --seed {seed}"
    )
    sizes = write_files(
        Path(out_dir),
        {
            "network.yaml": network_yaml(network, lane_list, command),
            "regions.yaml": regions_yaml(network, SLA_HOURS, command),
            "routing.yaml": routing_yaml(rules, command),
            "demand.yaml": demand_yaml(command),
        },
    )
    counts = {
        "zones": len(network.zones.ids),
        "facilities": len(network.sites),
        **{kind: sum(1 for s in network.sites if s.kind == kind) for kind in ("fc", "sc", "ds")},
        "lanes": len(lane_list),
        "regions": len(network.regions),
        "routes": len(rules),
        "demand": int(network.zones.demand.sum()),
    }
    counts.update({f"bytes:{name}": size for name, size in sizes.items()})
    counts["bytes"] = sum(sizes.values())
    return counts


def generator_fingerprint() -> str:
    """A hash of the generator's own source: cached bundles are stale when it changes."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for source in [Path(__file__).resolve(), *sorted((here / "gen").glob("*.py"))]:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    for name, default in DEFAULTS.items():
        parser.add_argument(
            f"--{name}", type=int, default=default, metavar="N", help=f"default {default:,}"
        )
    args = parser.parse_args(argv)
    counts = generate_bundle(args.out_dir, **{name: getattr(args, name) for name in DEFAULTS})
    for key, value in counts.items():
        print(f"{key:>20}  {value:>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
