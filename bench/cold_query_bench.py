"""Wall time of a cold `chatx query` process: `python bench/cold_query_bench.py`.

Indexes examples/workspace if needed, then runs `chatx query` as a fresh process 7 times and
prints the median, beside the floor of starting Python itself. Target: <= 1.5 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import line

REPO = Path(__file__).resolve().parents[1]


def wall(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return time.perf_counter() - started


def main() -> None:
    cli = str(Path(sys.executable).with_name("chatx"))
    workspace = str(REPO / "examples" / "workspace")
    subprocess.run([cli, "index", workspace], check=True, capture_output=True)
    query = [cli, "query", "how do we roll back a failed deploy?", "--workspace", workspace]
    wall(query)  # page cache warm, as on a machine in use
    runs = [wall(query) for _ in range(7)]
    floor = statistics.median(wall([sys.executable, "-c", "pass"]) for _ in range(5))
    print("# cold_query_bench: fresh `chatx query` processes against examples/workspace")
    line(
        "cold `chatx query` wall time",
        f"median {statistics.median(runs):.2f} s, max {max(runs):.2f} s",
        f"floor: python startup {floor:.2f} s",
        "target <= 1.5 s",
    )


if __name__ == "__main__":
    main()
