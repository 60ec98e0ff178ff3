"""Identity-number validation speed.

Prints the per-number cost of the per-request validator (``identity.parse_number``) next to
python-stdnum's own ``validate`` measured in the same run, and the rows/s of the vectorised
bulk validator on 1,000,000 generated numbers (95 % valid, 5 % with one digit changed).

    .venv/bin/python bench/identity.py [--rows N]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import time

import numpy as np
from stdnum.cn import ric

from xueji.domain import regions
from xueji.domain.errors import IdentityError
from xueji.domain.identity import parse_number
from xueji.domain.identity_bulk import validate_many

TODAY = dt.date(2026, 11, 29)
WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)


def generate(rows: int, seed: int = 7) -> list[str]:
    """Valid numbers over real region codes and dates, 5 % with one digit changed."""
    rng = np.random.default_rng(seed)
    codes = np.array(sorted(regions.known_codes()))
    region = codes[rng.integers(0, len(codes), rows)]
    days = rng.integers(0, (TODAY - dt.date(1950, 1, 1)).days, rows)
    births = (np.datetime64("1950-01-01") + days.astype("timedelta64[D]")).astype(str)
    births = np.char.replace(births, "-", "")
    sequence = np.char.zfill(rng.integers(0, 1000, rows).astype(str), 3)
    first17 = np.char.add(np.char.add(region, births), sequence)
    digits = np.frombuffer("".join(first17).encode(), dtype=np.uint8).reshape(rows, 17) - 48
    check = (12 - (digits.astype(np.int64) @ WEIGHTS) % 11) % 11
    numbers = np.char.add(first17, np.where(check == 10, "X", check.astype(str)))
    broken = rng.random(rows) < 0.05
    out = numbers.tolist()
    for index in np.flatnonzero(broken):
        position = int(rng.integers(0, 17))
        digit = str((int(out[index][position]) + 1) % 10)
        out[index] = out[index][:position] + digit + out[index][position + 1 :]
    return out


def per_number(numbers: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    for number in numbers:
        with contextlib.suppress(IdentityError):
            parse_number(number, today=TODAY)
    ours = (time.perf_counter() - start) / len(numbers)
    start = time.perf_counter()
    for number in numbers:
        # python-stdnum also raises a bare KeyError on unknown counties
        with contextlib.suppress(Exception):
            ric.validate(number)
    stdnum = (time.perf_counter() - start) / len(numbers)
    return ours, stdnum


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    numbers = generate(args.rows)
    sample = numbers[:20_000]
    parse_number(sample[0], today=TODAY)  # warm the region table
    ours, stdnum = per_number(sample)
    print(f"per-request validator : {ours * 1e6:8.1f} µs/number ({1 / ours:,.0f}/s)")
    print(f"python-stdnum validate: {stdnum * 1e6:8.1f} µs/number ({1 / stdnum:,.0f}/s)")
    print(f"ratio stdnum / ours   : {stdnum / ours:8.1f}x")
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        frame = validate_many(numbers, today=TODAY)
        timings.append(time.perf_counter() - start)
    best = min(timings)
    valid = frame["code"].null_count()
    print(
        f"vectorised validator  : {args.rows:,} numbers in {best:.2f} s "
        f"= {args.rows / best:,.0f} rows/s (best of 3; {valid:,} valid)"
    )


if __name__ == "__main__":
    main()
