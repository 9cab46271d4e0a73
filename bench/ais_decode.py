"""AIS decoding throughput on one synthetic corpus: pingan's NumPy fast path against pyais, libais and gpsdecode.

Goal (suggested): the fast path plus its pyais fallback decodes the whole corpus at least 10x faster than pyais
and 3x faster than libais, single thread, CPython 3.11, all measured in one run on the same file.

Anchors (reference/maritime.md §8.1): aiscat 1,665,000 msg/s, AIS-catcher CLI 1,120,000, gpsd ``gpsdecode``
561,000, libais 0.17 345,000, pyais 3.1.0 116,000 (2 M messages of types 1-4, Apple M-series, one thread,
AIS-catcher ``python/README.md``); libais 214-247 k and pyais 3.0.0 143-230 k msg/s on PyPy over a mixed real
file where libais dropped most two-part type 5 messages (pyais ``bench/result.txt``); older pyais 32 k msg/s on
CPython 3.11. Throughput without a correctness check is meaningless, so every decoder's message count, and its
count of (two-sentence) type 5 messages, is printed next to its speed.

The corpus is ``pingan.maritime.corpus.cached_corpus`` (``--messages`` items, default 1,000,000, cached under
``.cache/ais/``). The decoders, each timed from the file's bytes in memory to decoded messages after a warm-up on
the first 10,000 lines:

- ``fastpath``: ``decode_buffer(buf, static=True)`` on the whole buffer (position reports and the static types
  4, 5, 11, 21 and 24 in NumPy, two-sentence type 5 joined), then the fallback lines through pyais
  (``IterMessages``, which assembles multi-part messages, and ``.decode()``); the count is of all messages, fast
  and fallback. Fragments pyais's stream would drop anyway are rejected as ``orphan_fragment``;
- ``pyais``: every line through ``IterMessages`` and ``.decode()``;
- ``libais``: each single-sentence line split in Python and decoded with ``ais.decode(payload, fill_bits)``; the
  fragments of multi-part messages go through ``ais.nmea_queue.NmeaQueue``, libais's own assembler (which drops
  tag-blocked fragments without a ``g:`` group);
- ``libais.stream``: libais's ``ais.stream.decode`` on the file, for its message counts only (it loses most
  two-part type 5 messages, as in pyais's ``bench/result.txt``);
- ``gpsdecode``: ``/usr/bin/gpsdecode -u -c < corpus`` in a subprocess (wall time, counting output lines; it
  prints a type 24 only when it has both halves, and skips lines with a bad checksum).

pyais and libais do not check NMEA checksums, so they also "decode" the corpus's lines with a bad checksum; the
fast path rejects them. The last line reads::

    ais_decode: N msgs/s, speedup_vs_pyais=X, speedup_vs_libais=Y
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import subprocess
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ais
import ais.nmea_queue
from pyais.stream import IterMessages

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # "The stream module is deprecated": used for its count only
    import ais.stream

from pingan.maritime.corpus import cached_corpus
from pingan.maritime.fastpath import REASONS, decode_buffer

ROOT = Path(__file__).resolve().parents[1]
GPSDECODE = "/usr/bin/gpsdecode"
WARMUP_LINES = 10_000


def log(message: str) -> None:
    """Progress, on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Result:
    """One decoder's best run: messages decoded, wall and CPU seconds, messages per type, and notes."""

    name: str
    messages: int
    wall_s: float
    cpu_s: float
    types: Counter[int] = field(default_factory=Counter)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.messages / self.wall_s

    def line(self) -> str:
        type5 = self.types.get(5, 0)
        return (
            f"{self.name}: {self.messages:,} msgs in {self.wall_s:.3f} s wall ({self.cpu_s:.3f} s CPU) = "
            f"{self.rate:,.0f} msgs/s; type 5: {type5:,}; type 24: {self.types.get(24, 0):,}{self.note}"
        )


def best_of(repeat: int, run: Callable[[], Result]) -> Result:
    """The run with the shortest wall time."""
    results = [run() for _ in range(repeat)]
    return min(results, key=lambda r: r.wall_s)


# ---------------------------------------------------------------- decoders


def run_fastpath(buf: bytes) -> Result:
    """decode_buffer (positions and statics) on the whole buffer, then pyais on the fallback lines."""
    cpu, wall = time.process_time(), time.perf_counter()
    batch = decode_buffer(buf, static=True)
    fast_wall = time.perf_counter() - wall
    types: Counter[int] = Counter()
    errors = 0
    for sentence in IterMessages(batch.lines(buf, batch.fallback)):
        try:
            types[sentence.decode().msg_type] += 1
        except Exception:
            errors += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    fallback = sum(types.values())
    types.update(batch.msg_type.tolist())
    types.update(batch.static.msg_type.tolist())
    fast = len(batch) + len(batch.static)
    rejected = Counter(REASONS[r] for r in batch.reason.tolist())
    note = (
        f"; fast path {fast:,} msgs ({len(batch):,} positions, {len(batch.static):,} static from "
        f"{batch.static.n_lines:,} lines) in {fast_wall:.3f} s = {fast / fast_wall:,.0f} msgs/s, "
        f"pyais fallback {len(batch.fallback):,} lines -> {fallback:,} msgs in {wall - fast_wall:.3f} s"
        f" ({errors} errors); rejected {dict(rejected)}; blank {len(batch.blank)}"
    )
    return Result("fastpath", fast + fallback, wall, cpu, types, note)


def run_pyais(lines: list[bytes]) -> Result:
    """pyais's stream over every line, assembling multi-part messages, and .decode() on each."""
    cpu, wall = time.process_time(), time.perf_counter()
    types: Counter[int] = Counter()
    errors = 0
    for sentence in IterMessages(lines):
        try:
            types[sentence.decode().msg_type] += 1
        except Exception:
            errors += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Result("pyais", sum(types.values()), wall, cpu, types, f"; {errors} errors")


def run_libais(lines: list[bytes]) -> Result:
    """ais.decode on single-sentence lines; libais's NmeaQueue assembles the fragments of multi-part messages."""
    logging.getLogger("libais").setLevel(logging.CRITICAL)  # it logs every tag-blocked fragment it cannot join
    cpu, wall = time.process_time(), time.perf_counter()
    types: Counter[int] = Counter()
    errors = 0
    queue = ais.nmea_queue.NmeaQueue()
    for line in lines:
        start = line.find(b"!")
        fields = line[start:].split(b",")
        if start < 0 or len(fields) < 7:
            continue
        if fields[1] != b"1":
            queue.put(line.decode("ascii", "replace"))
            message = queue.GetOrNone()
            if message is not None and "decoded" in message:
                types[message["decoded"]["id"]] += 1
            continue
        try:
            types[ais.decode(fields[5].decode("ascii"), int(fields[6][:1]))["id"]] += 1
        except (ais.DecodeError, ValueError, UnicodeDecodeError):
            errors += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Result("libais", sum(types.values()), wall, cpu, types, f"; {errors} errors")


def run_libais_stream(path: Path) -> Result:
    """libais's own stream decoder (ais.stream.decode) on the file, for its multi-part count only."""
    cpu, wall = time.process_time(), time.perf_counter()
    types: Counter[int] = Counter()
    with path.open(encoding="ascii", errors="replace") as f:
        for message in ais.stream.decode(f, errorcb=lambda *args, **kw: None):
            types[message["id"]] += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Result("libais.stream", sum(types.values()), wall, cpu, types)


def run_gpsdecode(path: Path) -> Result:
    """gpsdecode -u -c over the file in a subprocess; one output line per message."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    with path.open("rb") as stdin:
        out = subprocess.run(
            [GPSDECODE, "-u", "-c"], stdin=stdin, capture_output=True, check=False, env={**os.environ, "LC_ALL": "C"}
        )
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    types: Counter[int] = Counter()
    for line in out.stdout.splitlines():
        head = line.split(b"|", 1)[0]
        if head.isdigit():
            types[int(head)] += 1
    errors = out.stderr.count(b"\n")
    return Result("gpsdecode", sum(types.values()), wall, cpu, types, f"; {errors:,} error lines on stderr")


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000, help="corpus items (messages or junk lines)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "ais", help="where the corpus is kept")
    parser.add_argument("--repeat", type=int, default=1, help="runs per decoder; the fastest is reported")
    parser.add_argument("--skip", default="", help="comma-separated decoders to skip: libais.stream, gpsdecode")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    started = time.perf_counter()
    path = cached_corpus(args.messages, seed=args.seed, directory=args.cache)
    buf = path.read_bytes()
    # The lines as decode_buffer counts them (split on LF, a trailing CR dropped), for pyais and libais too.
    lines = [line[:-1] if line.endswith(b"\r") else line for line in buf.split(b"\n")]
    if buf.endswith(b"\n"):
        lines.pop()
    log(f"corpus {path.name}: {len(buf) / 1e6:.1f} MB, {len(lines):,} lines ({time.perf_counter() - started:.1f} s)")
    log(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    # Warm up every decoder's code paths and caches on the first lines; not timed.
    head = b"\n".join(lines[:WARMUP_LINES]) + b"\n"
    run_fastpath(head), run_pyais(lines[:WARMUP_LINES]), run_libais(lines[:WARMUP_LINES])

    results = {}
    for name, run in (
        ("fastpath", lambda: run_fastpath(buf)),
        ("pyais", lambda: run_pyais(lines)),
        ("libais", lambda: run_libais(lines)),
    ):
        results[name] = best_of(args.repeat, run)
        log(results[name].line())
    if "libais.stream" not in skip:
        results["libais.stream"] = run_libais_stream(path)
        log(results["libais.stream"].line())
    if "gpsdecode" not in skip and shutil.which(GPSDECODE):
        results["gpsdecode"] = best_of(args.repeat, lambda: run_gpsdecode(path))
        log(results["gpsdecode"].line())

    ours, pyais_result, libais_result = results["fastpath"], results["pyais"], results["libais"]
    for result in results.values():
        print(result.line(), flush=True)
    print(
        f"ais_decode: {ours.rate:.0f} msgs/s, speedup_vs_pyais={ours.rate / pyais_result.rate:.2f}, "
        f"speedup_vs_libais={ours.rate / libais_result.rate:.2f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
