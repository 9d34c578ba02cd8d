"""Benchmark: the CDS Hooks service under concurrent EHR calls, on a real uvicorn server.

Starts `livertx serve --workers N` on 127.0.0.1 (a subprocess; each worker listens on its own
SO_REUSEPORT socket, so connections are spread across workers), then drives POST /cds-services/<service> with realistic prefetch (Patient,
Conditions, labs, mCODE staging, tumour size, medicines) for a fixed time per run.
Prints requests/s, median and p99 latency and errors against the targets (>= 500 req/s,
p99 <= 50 ms, zero errors) with measured/target ratios, and the server's CPU per call (a
figure that holds whatever else the machine is doing). Asserts nothing.

With `wrk` (Debian package `wrk`, a load generator written in C) installed, four runs:
- distinct, capacity: every call another chart of the same patient (tumour size,
  bilirubin and INR vary; no chart comes twice in a benchmark), `clients` connections each sending its next call as soon as the last is
  answered: the most the server answers. In such a closed loop the mean latency is
  connections / throughput (32 connections at 500 req/s: 64 ms), so its p99 says how
  long calls queue, not whether the target is met;
- distinct, at the target rate: 64 connections (clinicians), each pausing a random time
  after every answer and before its first call (exponential, mean 116 ms: clinicians act
  independently): 64 / (0.116 s + the answer's time) calls/s offered, about 516 when an
  answer takes 8 ms (at most 552), so the run has to keep up with a little more than the
  target, not exactly it (a 120 ms mean, as before, offered 500 only when the mean answer
  took 8 ms or less): the p99 of the target;
- the same with every pause exactly 116 ms: wrk sends each connection's first call after
  its first pause, so the first round's 64 calls arrive in the same millisecond (two cores
  at about 2.5 ms of CPU a call take some 80 ms to answer the last of them), and the next
  rounds come bunched until the answers' spread evens them out. In a 10-second run that
  first burst is a good part of the slowest 1% of calls; over 30 seconds it weighs a third
  as much. This run shows what clinicians in step cost;
- new patient every call: the patient id varies too, so no resource was seen before and
  every one is validated (about 15 per call): what a first look at a chart costs;
- repeat: the same chart opened again and again: the answer comes from the caches.
The load generator shares the machine's cores with the server (its CPU is printed too).
Without wrk a Python client drives the distinct and repeat runs (it saturates first).

Run: .venv/bin/python benchmarks/cds.py [seconds, default 30] [clients] [workers] [service]
(service: livertx-hcc-options, the default, or livertx-hcc-bclc)
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from proc import cpu_seconds, listeners

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0  # shorter: the first round weighs more
CLIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 32
WORKERS = int(sys.argv[3]) if len(sys.argv) > 3 else (os.cpu_count() or 1)
TARGET_RPS, TARGET_P99_MS = 500.0, 50.0
SERVICE = sys.argv[4] if len(sys.argv) > 4 else "livertx-hcc-options"
PATH = f"/cds-services/{SERVICE}"
PACED_CONNECTIONS, PACED_PAUSE_MS = 64, 116  # 64 / (0.116 s + latency): ~516 calls/s
LOINC, SCT, AJCC, UCUM = ("http://loinc.org", "http://snomed.info/sct",
                          "http://cancerstaging.org", "http://unitsofmeasure.org")


def _search(*resources: dict[str, Any]) -> dict[str, Any] | None:
    if not resources:
        return None
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]}


def _obs(oid: str, system: str, code: str, **value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-06-01T09:30:00Z",
            "code": {"coding": [{"system": system, "code": code}]}, **value}


def _lab(oid: str, code: str, value: float, unit: str) -> dict[str, Any]:
    return _obs(oid, LOINC, code, valueQuantity={"value": value, "unit": unit, "system": UCUM,
                                                 "code": unit})


def _cond(cid: str, code: str, severity: str | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "Condition", "id": cid,
                         "subject": {"reference": "Patient/p1"},
                         "clinicalStatus": {"coding": [{"code": "active", "system":
                                            "http://terminology.hl7.org/CodeSystem/condition-clinical"}]},
                         "code": {"coding": [{"system": SCT, "code": code}]}}
    if severity:
        r["severity"] = {"coding": [{"system": SCT, "code": severity}]}
    return r


def prefetch(rng: random.Random | None) -> dict[str, Any]:
    """A chart like an EHR sends it; with `rng`, labs, size and spread vary per call."""
    r = rng or random.Random(7)
    bili, alb, inr = round(r.uniform(0.5, 4.0), 2), round(r.uniform(2.4, 4.5), 1), round(r.uniform(0.9, 2.6), 2)
    size, n1, m1 = round(r.uniform(1.0, 12.0), 1), r.random() < 0.2, r.random() < 0.3
    staging = [_obs("cn", SCT, "399534004", valueCodeableConcept={"coding": [{"system": AJCC, "code": f"cN{int(n1)}"}]}),
               _obs("cm", SCT, "399387003", valueCodeableConcept={"coding": [{"system": AJCC, "code": f"cM{int(m1)}"}]})]
    return {
        "patient": {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1955-03-04"},
        "conditions": _search(_cond("hcc", "109841003"), _cond("cirrhosis", "19943007"),
                              _cond("ascites", "389026000", "255604002"),
                              _cond("htn", "38341003")),
        "bilirubin": _search(_lab("bili", "14631-6", round(bili * 17.1, 1), "umol/L")),
        "albumin": _search(_lab("alb", "1751-7", round(alb * 10), "g/L")),
        "inr": _search(_lab("inr", "6301-6", inr, "{INR}")),
        "ecog": _search(_obs("ecog", LOINC, "89247-1", valueInteger=r.randint(0, 2))),
        "staging": _search(*staging),
        "afp": _search(_lab("afp", "1834-1", round(r.uniform(2, 900)), "ng/mL")),
        "creatinine": _search(_lab("creat", "2160-0", round(r.uniform(0.6, 2.0), 2), "mg/dL")),
        "sodium": _search(_lab("na", "2951-2", r.randint(128, 142), "mmol/L")),
        "tumorSize": _search(_lab("size", "21889-1", size, "cm")),
        "liverFindings": None,
        "medicationStatements": _empty(),
        "medicationRequests": _empty(),
    }


def _empty() -> dict[str, Any]:
    """A search that found nothing (the EHR sends the Bundle; `null` would say the same)."""
    return {"resourceType": "Bundle", "type": "searchset", "total": 0}


def body(rng: random.Random | None) -> dict[str, Any]:
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/dr-1", "patientId": "p1"}, "prefetch": prefetch(rng)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen[bytes]:
    cmd = [str(Path(sys.executable).with_name("livertx")), "serve", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(WORKERS)]
    proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


async def drive(base: str, distinct: bool, discovery: bool = False) -> tuple[int, list[float], int]:
    """CLIENTS concurrent callers for SECONDS: (requests, latencies in ms, errors).

    `discovery`: GET /cds-services instead, the ceiling of this server and load generator.
    """
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + SECONDS
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def caller(seed: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        rng = random.Random(seed) if distinct else None
        payloads = [body(rng) for _ in range(1 if not distinct else 400)]
        i = 0
        while time.perf_counter() < stop:
            payload = payloads[i % len(payloads)]
            i += 1
            t0 = time.perf_counter()
            try:
                if discovery:
                    ok = (await client.get("/cds-services")).status_code == 200
                else:
                    response = await client.post(PATH, json=payload)
                    ok = response.status_code == 200 and len(response.json()["cards"]) >= 2
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += not ok

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        await asyncio.gather(*(caller(seed, client) for seed in range(CLIENTS)))
    return len(latencies), latencies, errors


def report(name: str, requests: int, latencies: list[float], errors: int) -> None:
    rps = requests / SECONDS
    median = statistics.median(latencies)
    p99 = statistics.quantiles(latencies, n=100)[98]
    print(f"\n{name}: {requests} requests in {SECONDS:g} s, {CLIENTS} concurrent clients, "
          f"{WORKERS} server worker(s), {SERVICE}")
    print(f"  throughput  {rps:8.1f} req/s   target >= {TARGET_RPS:g}   ratio {rps / TARGET_RPS:.2f}")
    print(f"  median      {median:8.1f} ms")
    print(f"  p99         {p99:8.1f} ms      target <= {TARGET_P99_MS:g}    ratio "
          f"{p99 / TARGET_P99_MS:.2f} (lower is better)")
    print(f"  errors      {errors:8d}         target 0")


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "r"); local template = f:read("*a"); f:close()
wrk.body = template
local counter = 0
local threads = 0
function setup(thread)
  thread:set("offset", {start} + threads * 2500000)
  threads = threads + 1
end
{request}
"""
# Call n of a run (each wrk thread and each run counts from its own offset, so no chart
# comes twice): tumour size, bilirubin and INR from n, 5 million combinations.
WRK_VARY = """
request = function()
  counter = counter + 1
  local n = (offset or 0) + counter
  local size = string.format("%.1f", 0.5 + (n % 295) / 10)
  local bili = string.format("%.1f", 5 + (math.floor(n / 295) % 100) / 10)
  local inr = string.format("%.2f", 0.9 + (math.floor(n / 29500) % 170) / 100)
  local b = string.gsub(template, '"value": [%d%.]+, "unit": "cm"',
                        '"value": ' .. size .. ', "unit": "cm"', 1)
  b = string.gsub(b, '"value": [%d%.]+, "unit": "umol/L"', '"value": ' .. bili .. ', "unit": "umol/L"', 1)
  b = string.gsub(b, '"value": [%d%.]+, "unit": "{{INR}}"', '"value": ' .. inr .. ', "unit": "{{INR}}"', 1)
  {new_patient}
  return wrk.format(nil, nil, nil, b)
end
"""
# The patient's id, its references and context.patientId all end in `p1"`.
WRK_NEW_PATIENT = """b = string.gsub(b, 'p1"', 'p' .. n .. '"')"""
WRK_PAUSE = """
delay = function() return {pause} end
"""
# A pause drawn from an exponential distribution of mean `pause` ms, per wrk thread seeded
# by its offset (two threads with one seed would pause in step).
WRK_RANDOM_PAUSE = """
function init(args) math.randomseed(offset or 1) end
delay = function() return math.floor(-{pause} * math.log(1 - math.random())) end
"""


@dataclass(frozen=True)
class Run:
    name: str
    vary: bool = True          # another chart every call
    new_patient: bool = False  # ... of another patient: no resource seen before
    connections: int = 0       # 0: CLIENTS
    pause_ms: int = 0          # each connection's pause after an answer
    random_pause: bool = True  # ... drawn afresh each time (mean pause_ms), or always pause_ms


def wrk_script(run: Run, folder: Path, start: int) -> Path:
    request = WRK_VARY.format(new_patient=WRK_NEW_PATIENT if run.new_patient else "")
    if not run.vary:
        request = ""
    if run.pause_ms:
        request += (WRK_RANDOM_PAUSE if run.random_pause else WRK_PAUSE).format(pause=run.pause_ms)
    script = folder / "run.lua"
    script.write_text(WRK_SCRIPT.format(body=folder / "body.json", request=request, start=start))
    return script


def drive_wrk(base: str, run: Run, folder: Path, start: int = 0
              ) -> tuple[int, dict[str, float], int, float]:
    """(requests, {'median', 'p99'} in ms, errors, wrk's CPU seconds) measured by wrk;
    `start`: where this run's calls count from (runs never repeat each other's charts)."""
    (folder / "body.json").write_text(json.dumps(body(random.Random(1))))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", "-t2", f"-c{run.connections or CLIENTS}", f"-d{SECONDS:g}s",
                          "-s", str(wrk_script(run, folder, start)), "--latency", base + PATH],
                         capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    generator = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|Socket errors:.*?)"
                                            r"\D*(\d+)", out))
    quantiles = {q: _ms(re.search(rf"{q}%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
                 for q in ("50", "99")}
    return requests, {"median": quantiles["50"], "p99": quantiles["99"]}, errors, generator


def _ms(text: str) -> float:
    value, unit = float(re.match(r"[\d.]+", text).group()), re.sub(r"[\d.]", "", text)  # type: ignore[union-attr]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def report_quantiles(run: Run, requests: int, q: dict[str, float], errors: int) -> None:
    rps = requests / SECONDS
    pause = (f", each pausing {'a random time, mean' if run.random_pause else 'exactly'} "
             f"{run.pause_ms} ms after an answer" if run.pause_ms else "")
    print(f"\n{run.name}: {requests} requests in {SECONDS:g} s, {run.connections or CLIENTS} "
          f"connections (wrk){pause}, {WORKERS} server worker(s), {SERVICE}")
    print(f"  throughput  {rps:8.1f} req/s   target >= {TARGET_RPS:g}   ratio {rps / TARGET_RPS:.2f}")
    print(f"  median      {q['median']:8.1f} ms")
    print(f"  p99         {q['p99']:8.1f} ms      target <= {TARGET_P99_MS:g}    ratio "
          f"{q['p99'] / TARGET_P99_MS:.2f} (lower is better)")
    print(f"  errors      {errors:8d}         target 0")


def report_cpu(spent: float, requests: int) -> None:
    """What the server itself spent: comparable across runs whatever the machine's load."""
    print(f"  server CPU  {spent * 1000 / max(requests, 1):8.2f} ms per request (all workers; "
          f"{spent:.1f} s of {SECONDS * WORKERS:g} s available): ~{requests / max(spent, 1e-9):.0f} "
          "req/s per core")


WRK_RUNS = (
    Run("distinct charts, capacity (cold: no cache)"),
    Run("distinct charts at the target rate (cold)", connections=PACED_CONNECTIONS,
        pause_ms=PACED_PAUSE_MS),
    Run("distinct charts, clinicians in step (a burst of 64 calls each round)",
        connections=PACED_CONNECTIONS, pause_ms=PACED_PAUSE_MS, random_pause=False),
    Run("a new patient every call (no resource seen before)", new_patient=True),
    Run("same chart repeated (warm: caches)", vary=False),
)


def main() -> None:
    port = free_port()
    server = start_server(port)
    base = f"http://127.0.0.1:{port}"
    generator = "wrk" if shutil.which("wrk") else "httpx"
    try:
        asyncio.run(drive_once(base))
        runs = (("distinct patients (cold: no cache)", True),
                ("same chart repeated (warm: LRU)", False))
        if generator == "wrk":
            with tempfile.TemporaryDirectory() as folder:
                for i, run in enumerate(WRK_RUNS):
                    before = cpu_seconds(server.pid)
                    requests, quantiles, errors, spent = drive_wrk(base, run, Path(folder),
                                                                   start=i * 500_000)
                    report_quantiles(run, requests, quantiles, errors)
                    report_cpu(cpu_seconds(server.pid) - before, requests)
                    print(f"  wrk's CPU   {spent:8.1f} s (on the same cores)")
        else:
            for name, distinct in runs:
                before = cpu_seconds(server.pid)
                requests, latencies, errors = asyncio.run(drive(base, distinct))
                report(name, requests, latencies, errors)
                report_cpu(cpu_seconds(server.pid) - before, requests)
            report("baseline: GET /cds-services (ceiling of server + load generator here)",
                   *asyncio.run(drive(base, False, discovery=True)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {load:.1f} at the end; the load "
          f"generator ({generator}) runs on the same machine.")


async def drive_once(base: str) -> None:
    """Warm-up of every worker: the first calls compile the pack's expressions. Waits until
    each worker listens, then calls over 8 new connections per worker (spread by the kernel)."""
    port = int(base.rsplit(":", 1)[1])
    deadline = time.time() + 60
    while listeners(port) < WORKERS and time.time() < deadline:
        await asyncio.sleep(0.2)

    async def one_connection() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for _ in range(3):
                (await client.post(PATH, json=body(random.Random(1)))).raise_for_status()

    await asyncio.gather(*(one_connection() for _ in range(8 * WORKERS)))


if __name__ == "__main__":
    main()
