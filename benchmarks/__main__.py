"""``python -m benchmarks``: run every benchmark, each printing its numbers beside its baseline."""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = (
    "bench_parse",
    "bench_sam_read",
    "bench_pcsc",
    "bench_verify",
    "bench_import",
    "bench_tap",
    "bench_risklist",
    "bench_stats",
    "bench_face",
    "bench_qr",
)


def main() -> None:
    """Run the named benchmarks (all by default) one after another."""
    for name in sys.argv[1:] or BENCHMARKS:
        print(f"\n=== benchmarks.{name}", flush=True)
        saved, sys.argv = sys.argv, [name]
        try:
            runpy.run_module(f"benchmarks.{name}", run_name="__main__")
        finally:
            sys.argv = saved


main()
