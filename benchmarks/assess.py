"""Benchmark: the decision engine for one patient, for a table of patients, and from the shell.

Prints what this run measured next to the targets, with the ratio measured/target
(below 1 is better for times, above 1 is better for throughput).
Not a test: it asserts nothing. Run: .venv/bin/python benchmarks/assess.py [patients]

- one in-process assessment of a typical patient through the public call `livertx.assess`
  (patient JSON in, the typed `Assessment` out), after warm-up; and the engine alone
  (`livertx.engine.assess` on a parsed patient, the contract as a dict) for reference
- the same for a patient whose category is open (candidates and per-candidate fits)
- the same two with the bclc-2022 pack, and its widest usual open case: only the tumours
  known (the candidate search of `livertx.engine.search`; ~10^6 combinations to enumerate).
  The search's answer is kept by the facts it reads, so a repeated open case is not
  searched again: each open case is also measured as seen for the first time (the kept
  answers dropped before every call)
- `livertx.engine.frames` over 1,000,000 generated patients (patients per second), and the
  same without the `missing` list, to show what that list costs
- the cold `livertx assess examples/early.json --format json` (new process each time; the
  disk cache of `livertx.diskcache` warm, as after the first run, and the package's bytecode
  compiled, as after an install), wall time and the CPU
  time the process used (the CPU time hardly moves with the machine's load)

The load average is printed before and after: on a shared machine, compare runs made in
the same minute.
"""

from __future__ import annotations

import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

import livertx
from livertx.engine import assess, evaluate
from livertx.engine.search import forget_answers
from livertx.generate import generate_patients
from livertx.knowledge import load_pack
from livertx.knowledge.pack import load_guideline
from livertx.patient import parse_patient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
COHORT_SIZE = 1_000_000
SEED = 20171003
ONE_RUNS, WARM_UP, CLI_RUNS = 200, 20, 5
TARGET_ONE_MS = 0.3  # issue 10: a typical assessment, in-process
TARGET_OPEN_MS = 2.0  # an open category (candidates and each candidate's fits)
TARGET_PATIENTS_PER_S = 1_000_000
TARGET_CLI_S = 0.3


def _line(label: str, measured: str, target: str, ratio: float) -> None:
    print(f"  {label:<44} {measured:>16}   target {target:<14} ratio {ratio:6.2f}")


def median_ms(call: Callable[[], object]) -> float:
    for _ in range(WARM_UP):
        call()
    times = []
    for _ in range(ONE_RUNS):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cohort_rate(frame: pl.DataFrame, pack: object, *, with_missing: bool = True
                ) -> tuple[float, float]:
    n = frame.height
    evaluate(frame.head(10_000).lazy(), pack, with_missing=with_missing).collect()  # warm-up
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        out = evaluate(frame.lazy(), pack, with_missing=with_missing).collect()
        runs.append(time.perf_counter() - start)
    assert out.height == n
    best = min(runs)
    return n / best, best


def cli_seconds() -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of a cold `livertx assess`."""
    command = [str(Path(sys.executable).with_name("livertx")), "assess",
               str(EXAMPLES / "early.json"), "--format", "json"]
    # As installed: pip compiles a package's bytecode when it installs it, and `make install`
    # does the same for this checkout (an editable install, where a shell that sets
    # PYTHONDONTWRITEBYTECODE would otherwise compile every changed module on every start)
    compileall.compile_dir(str(Path(livertx.__file__).parent), quiet=1)
    subprocess.run(command, capture_output=True, check=False)  # the disk cache written
    times, cpu = [], []
    for _ in range(CLI_RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            print(f"  (livertx assess exited {done.returncode}: {done.stderr.strip()[:200]})")
    return statistics.median(times), statistics.median(cpu)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else COHORT_SIZE
    pack = load_pack()
    print(f"livertx benchmark: decision engine (pack {pack.id} {pack.info.version}, "
          f"polars {pl.__version__}, {pl.thread_pool_size()} threads); load average {load()}")
    typical_json = json.loads((EXAMPLES / "early.json").read_text(encoding="utf-8"))
    open_json = json.loads((EXAMPLES / "unknown-fitness.json").read_text(encoding="utf-8"))
    typical, open_case = parse_patient(typical_json), parse_patient(open_json)
    assert livertx.assess(open_json).category.id is None

    cold, cold_cpu = cli_seconds()
    one = median_ms(lambda: livertx.assess(typical_json))
    engine_one = median_ms(lambda: assess(typical, pack))
    opened = median_ms(lambda: livertx.assess(open_json))
    engine_opened = median_ms(lambda: assess(open_case, pack))
    bclc = load_guideline("bclc-2022")
    tumours_only = parse_patient({"tumor_count": 2, "largest_tumor_cm": 2.5})
    assert assess(open_case, bclc)["category"]["id"] is None
    assert assess(tumours_only, bclc)["category"]["id"] is None
    bclc_one = median_ms(lambda: assess(typical, bclc))
    bclc_open = median_ms(lambda: assess(open_case, bclc))
    bclc_tumours = median_ms(lambda: assess(tumours_only, bclc))
    opened_new = median_ms(lambda: (forget_answers(pack), livertx.assess(open_json)))
    bclc_open_new = median_ms(lambda: (forget_answers(bclc), assess(open_case, bclc)))
    bclc_tumours_new = median_ms(lambda: (forget_answers(bclc), assess(tumours_only, bclc)))
    frame = generate_patients(n, seed=SEED)
    rate, seconds = cohort_rate(frame, pack)
    bare_rate, bare_seconds = cohort_rate(frame, pack, with_missing=False)

    print(f"measured in this run (median of {ONE_RUNS} after {WARM_UP} warm-up; cohort best of 3;"
          f" shell median of {CLI_RUNS}):")
    _line("livertx.assess, typical patient (early.json)", f"{one:.3f} ms",
          f"<= {TARGET_ONE_MS:g} ms", one / TARGET_ONE_MS)
    _line("  engine alone (parsed patient, dict out)", f"{engine_one:.3f} ms", "(for reference)",
          engine_one / TARGET_ONE_MS)
    _line("livertx.assess, open category (unknown-fitness)", f"{opened:.2f} ms",
          f"<= {TARGET_OPEN_MS:g} ms", opened / TARGET_OPEN_MS)
    _line("  engine alone", f"{engine_opened:.2f} ms", "(for reference)",
          engine_opened / TARGET_OPEN_MS)
    _line("  seen for the first time (searched afresh)", f"{opened_new:.2f} ms",
          f"<= {TARGET_OPEN_MS:g} ms", opened_new / TARGET_OPEN_MS)
    _line("bclc-2022: typical patient (engine)", f"{bclc_one:.2f} ms",
          f"<= {TARGET_ONE_MS:g} ms", bclc_one / TARGET_ONE_MS)
    _line("bclc-2022: open stage (engine)", f"{bclc_open:.2f} ms",
          f"<= {TARGET_OPEN_MS:g} ms", bclc_open / TARGET_OPEN_MS)
    _line("bclc-2022: only the tumours known (engine)", f"{bclc_tumours:.2f} ms",
          f"<= {TARGET_OPEN_MS:g} ms", bclc_tumours / TARGET_OPEN_MS)
    _line("  open stage, seen for the first time", f"{bclc_open_new:.2f} ms",
          f"<= {TARGET_OPEN_MS:g} ms", bclc_open_new / TARGET_OPEN_MS)
    _line("  only the tumours known, first time", f"{bclc_tumours_new:.2f} ms",
          f"<= {TARGET_OPEN_MS:g} ms", bclc_tumours_new / TARGET_OPEN_MS)
    _line(f"evaluate, {n:,} patients ({seconds:.2f} s)", f"{rate:,.0f} /s",
          f">= {TARGET_PATIENTS_PER_S:,} /s", rate / TARGET_PATIENTS_PER_S)
    _line(f"  same without `missing` ({bare_seconds:.2f} s)", f"{bare_rate:,.0f} /s",
          "(for reference)", bare_rate / TARGET_PATIENTS_PER_S)
    _line("cold `livertx assess early.json --format json`", f"{cold:.2f} s",
          f"<= {TARGET_CLI_S:g} s", cold / TARGET_CLI_S)
    _line("  its CPU time (user + system)", f"{cold_cpu:.2f} s", "(for reference)",
          cold_cpu / TARGET_CLI_S)
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
