"""`make bench`: every benchmark, one table. Each figure is a ratio against the stack's own limit
measured in the same run, so it means something on any machine."""

from __future__ import annotations

import importlib
import os
import sys
import time

from bench.common import machine, print_table

BENCHMARKS = (
    "bench.intake_bench",
    "bench.documents_bench",
    "bench.mail_bench",
    "bench.memory_bench",
    "bench.sweep_bench",
    "bench.backoffice_bench",
    "bench.issuing_bench",
)


def main() -> int:
    rows = []
    started = time.monotonic()
    durations = []
    for name in BENCHMARKS:
        module = importlib.import_module(name)
        print(f"running {name} …", file=sys.stderr, flush=True)
        began = time.monotonic()
        rows.extend(module.main())
        durations.append(f"{name.removeprefix('bench.')} {time.monotonic() - began:.0f} s")
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nMachine: {machine()}; load average at the end (1/5/15 min) {load}; "
          f"total {time.monotonic() - started:.0f} s ({', '.join(durations)})\n")
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
