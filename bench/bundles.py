"""Generated bundles under bench/data/, reused while the generator and its parameters match."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench.generate_bundle import DEFAULTS, generate_bundle, generator_fingerprint

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
OUT = REPO / "bench" / "out"
NATIONAL = DEFAULTS
QUICK = {"zones": 4_000, "facilities": 260, "lanes": 2_000, "regions": 8, "seed": 1}


def ensure_bundle(name: str, params: dict[str, int]) -> tuple[Path, dict[str, int], bool]:
    """The bundle directory, its counts, and whether a cached copy was reused."""
    bundle_dir, manifest = DATA / name, DATA / f"{name}.json"
    wanted = {"generator": generator_fingerprint(), "params": params}
    if manifest.exists():
        cached = json.loads(manifest.read_text())
        sizes_match = all(
            (bundle_dir / key.removeprefix("bytes:")).is_file()
            and (bundle_dir / key.removeprefix("bytes:")).stat().st_size == value
            for key, value in cached.get("counts", {}).items()
            if key.startswith("bytes:")
        )
        if {k: cached.get(k) for k in wanted} == wanted and sizes_match:
            return bundle_dir, cached["counts"], True
    shutil.rmtree(bundle_dir, ignore_errors=True)
    counts = generate_bundle(bundle_dir, **params)
    DATA.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({**wanted, "counts": counts}, indent=2) + "\n")
    return bundle_dir, counts, False
