"""The p-median solver on the OR-Library set pmed1..pmed40 (Beasley 1985), against the optima.

    .venv/bin/python bench/pmedian.py [--time-limit 10] [--only pmed38,pmed40]

Each instance is read from bench/orlib/ (vendored, gzipped), then solved in-process by
`rollout.domain.design.pmedian.pmedian_solve` with the time limit (the default of
`manage.py pmedian`). The table has the instance, n, p, the published optimum, ours, the gap
to the optimum, our proven lower bound, the solve time and the read time (file to shortest
paths). Writes bench/out/pmedian.md and bench/out/pmedian.json. Budget: every instance at the
optimum, pmed40 under 10 s. The machine's load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rollout.domain.design.orlib import orlib_read  # noqa: E402
from rollout.domain.design.pmedian import pmedian_solve  # noqa: E402
from rollout.domain.design.problem import SolveOptions  # noqa: E402

ORLIB = ROOT / "bench" / "orlib"
OUT = ROOT / "bench" / "out"
COLUMNS = ("instance", "n", "p", "optimum", "ours", "gap %", "lower bound", "proven",
           "seconds", "read s")


def _optima() -> dict[str, int]:
    lines = (ORLIB / "pmedopt.txt").read_text().splitlines()[1:]
    return {line.split()[0]: int(line.split()[1]) for line in lines if line.strip()}


def run(names: list[str], *, time_limit: float) -> list[dict[str, object]]:
    optima = _optima()
    rows: list[dict[str, object]] = []
    for name in names:
        started = time.perf_counter()
        instance = orlib_read(ORLIB / f"{name}.txt.gz")
        problem = instance.problem()
        read_seconds = time.perf_counter() - started
        solution = pmedian_solve(problem=problem, options=SolveOptions(time_limit=time_limit))
        optimum = optima[name]
        row: dict[str, object] = {
            "instance": name, "n": instance.n, "p": instance.p, "optimum": optimum,
            "ours": round(solution.objective),
            "gap %": round(100 * (solution.objective - optimum) / optimum, 3),
            "lower bound": (None if solution.lower_bound is None
                            else round(solution.lower_bound)),
            "proven": solution.optimal,
            "seconds": round(solution.seconds, 2), "read s": round(read_seconds, 2),
        }
        rows.append(row)
        print(" ".join(f"{row[column]!s:>11}" for column in COLUMNS), flush=True)
    return rows


def _markdown(rows: list[dict[str, object]], *, load: str, time_limit: float) -> str:
    at_optimum = sum(row["ours"] == row["optimum"] for row in rows)
    proven = sum(bool(row["proven"]) for row in rows)
    lines = [
        "# p-median: OR-Library pmed1..pmed40 (bench/pmedian.py)",
        "",
        f"{at_optimum} of {len(rows)} at the published optimum, {proven} proven optimal "
        f"(time limit {time_limit:g} s each). {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average at the start: {load}.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(str(row[column]) for column in COLUMNS) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--only", help="comma-separated instance names (default: all forty)")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else [f"pmed{k}" for k in range(1, 41)]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average {load}")
    print(" ".join(f"{column:>11}" for column in COLUMNS))
    rows = run(names, time_limit=args.time_limit)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pmedian.json").write_text(json.dumps(
        {"load_average": load, "time_limit": args.time_limit, "rows": rows}, indent=2) + "\n")
    (OUT / "pmedian.md").write_text(_markdown(rows, load=load, time_limit=args.time_limit))
    missed = [row["instance"] for row in rows if row["ours"] != row["optimum"]]
    slow = [row["instance"] for row in rows
            if row["instance"] == "pmed40" and float(str(row["seconds"])) >= 10]
    if missed or slow:
        print(f"OVER: not at the optimum {missed}, pmed40 not under 10 s {slow}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
