"""Latency buckets of the histogram ``event_latencies``: fixed, about 1.5 % wide, computed with
exact floating-point steps only, so Python, SQLite and PostgreSQL put every latency in the same
bucket and a bucket is exactly the range ``lo <= latency_ms < hi`` an index can read.

Bucket 0 is everything under 1 ms; buckets 1–63 are 1 ms wide; from 64 ms on, each octave
[2^e, 2^(e+1)) is cut into 64 equal steps of 2^(e−6) ms (1.6 % of its start down to 0.8 % of its
end); everything from 2^32 ms (49 days) on is the last bucket. Taking 2^e from a latency in that
octave and dividing by a power of two are exact, and so is ``floor``: no logarithm, whose last
bit may differ between two C libraries, decides a bucket.

Changing these bounds changes every stored bucket: that takes a revision that recounts
``event_latencies`` (as ``recount_tallies`` does).
"""

from __future__ import annotations

import math

STEPS = 64
"""Buckets per octave, and the width of the 1 ms buckets' range."""
FIRST_OCTAVE = 6  # 2^6 = STEPS ms: where the 1 ms buckets end
TOP_OCTAVE = 32
TOP_BUCKET = STEPS * (TOP_OCTAVE - FIRST_OCTAVE + 1)
"""The last bucket: 2^32 ms and slower."""


def latency_bucket(ms: float) -> int:
    """The bucket of a latency in milliseconds."""
    if ms < 1:
        return 0
    if ms < STEPS:
        return int(ms)
    if ms >= 2.0**TOP_OCTAVE:
        return TOP_BUCKET
    octave = math.frexp(ms)[1] - 1  # ms = m · 2^(octave+1), 0.5 <= m < 1: exact
    step = 2.0 ** (octave - FIRST_OCTAVE)
    return STEPS * (octave - FIRST_OCTAVE + 1) + int((ms - 2.0**octave) / step)


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """``(lo, hi)``: the bucket holds the latencies ``lo <= ms < hi`` (infinite at the ends)."""
    if bucket == 0:
        return -math.inf, 1.0
    if bucket < STEPS:
        return float(bucket), float(bucket + 1)
    if bucket >= TOP_BUCKET:
        return 2.0**TOP_OCTAVE, math.inf
    octave, step_no = divmod(bucket, STEPS)
    octave += FIRST_OCTAVE - 1
    step = 2.0 ** (octave - FIRST_OCTAVE)
    lo = 2.0**octave + step_no * step
    return lo, lo + step


def bucket_sql(column: str, dialect: str) -> str:
    """``latency_bucket`` of ``column`` as SQL for ``dialect`` (``postgresql`` or ``sqlite``;
    SQLite's ``CAST`` truncates, which is ``floor`` for the non-negative values it gets)."""

    def floor(value: str) -> str:
        return f"floor({value})" if dialect == "postgresql" else f"CAST({value} AS INTEGER)"

    whens = [f"WHEN {column} < 1 THEN 0", f"WHEN {column} < {STEPS} THEN {floor(column)}"]
    for octave in range(FIRST_OCTAVE, TOP_OCTAVE):
        first = STEPS * (octave - FIRST_OCTAVE + 1)
        step = f"({column} - {2**octave}) / {2 ** (octave - FIRST_OCTAVE)}"
        whens.append(f"WHEN {column} < {2 ** (octave + 1)} THEN {first} + {floor(step)}")
    return f"CAST(CASE {' '.join(whens)} ELSE {TOP_BUCKET} END AS INTEGER)"
