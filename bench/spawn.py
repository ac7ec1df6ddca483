"""Run one command; write its wall time, exit status and peak RSS as JSON to a file.

    python bench/spawn.py RESULT.json COMMAND [ARG ...]

Why a separate, small process: Linux records the memory high-water mark of the process image
that `exec` replaces into the new program's peak RSS, and Python's subprocess spawns with vfork,
so a command started straight from the benchmark (hundreds of MB after the in-process runs) would
report the benchmark's peak as its own. Started from this ~10 MB process, it reports its own.
Only the standard library, so this process stays small.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    result_file, argv = Path(sys.argv[1]), sys.argv[2:]
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL)  # output: our stdout, the log
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # so Popen never waits again
    result_file.write_text(
        json.dumps(
            {"returncode": process.returncode, "wall_s": wall, "peak_rss_kib": usage.ru_maxrss}
        )  # Linux: ru_maxrss is in KiB
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
