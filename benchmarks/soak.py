"""Soak: mixed traffic for minutes on a real server; does memory level off, do errors appear?

Starts `livertx serve` on 127.0.0.1 with CDS auth on (a trusted issuer whose key this script
makes), then drives, from concurrent clients: the pages (home, form, result via a real
form post with its CSRF token, library, search), the JSON API (distinct patients, FHIR
bundles), the CDS service with a fresh JWT per call and without one (401 expected), large
prefetch (~200 KB), and malformed or oversized bodies (422/413 expected). Every minute it
prints throughput, p50/p99 latency, unexpected answers, server errors (5xx or dropped
connections) and the server's resident memory. At the end: RSS growth over the last half
of the run (target <= 10%) and the error total (target 0). Asserts nothing.

Run: .venv/bin/python benchmarks/soak.py [seconds=600] [clients=8] [interval=60]
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cds as cds_bench  # the CDS benchmark's realistic prefetch (same folder)
import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from proc import rss_mib

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 600.0
CLIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 8
INTERVAL = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
PUBLIC = "https://livertx.soak.example"
ISSUER = "https://ehr.soak.example"
CDS = "/cds-services/livertx-hcc-options"
KEY = ec.generate_private_key(ec.SECP384R1())
MAX_BODY = 512 * 1024


@dataclass
class Window:
    latencies: list[float] = field(default_factory=list)
    unexpected: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0


def token() -> str:
    now = int(time.time())
    return jwt.encode({"iss": ISSUER, "aud": PUBLIC + CDS, "iat": now, "exp": now + 120,
                       "jti": str(uuid.uuid4())}, KEY, algorithm="ES384")


def patient(rng: random.Random) -> dict[str, Any]:
    return {"tumor_count": rng.randint(1, 6), "largest_tumor_cm": round(rng.uniform(0.5, 15), 1),
            "vascular_invasion": rng.random() < 0.3, "lymph_node_spread": rng.random() < 0.2,
            "distant_spread": rng.random() < 0.2, "cirrhosis": rng.random() < 0.7,
            "bilirubin": f"{rng.randint(5, 80)} umol/L", "albumin": round(rng.uniform(2.2, 4.6), 1),
            "inr": round(rng.uniform(0.9, 2.8), 2),
            "ascites": rng.choice(["none", "slight", "moderate"]),
            "encephalopathy": rng.choice(["none", "grade_1_2"]),
            "fit_for_surgery": rng.random() < 0.6}


def bundle(rng: random.Random) -> dict[str, Any]:
    entries = [{"resource": r} for value in cds_bench.prefetch(rng).values() if value
               for r in ([value] if value.get("resourceType") != "Bundle"
                         else [e["resource"] for e in value["entry"]])]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def large_prefetch(rng: random.Random) -> dict[str, Any]:
    body = cds_bench.body(rng)
    extra = [{"resource": {"resourceType": "Observation", "id": f"x{i}", "status": "final",
                           "subject": {"reference": "Patient/p1"},
                           "effectiveDateTime": "2024-05-01",
                           "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
                           "valueQuantity": {"value": rng.uniform(0.5, 2), "unit": "mg/dL"}}}
             for i in range(600)]
    body["prefetch"]["liverFindings"] = {"resourceType": "Bundle", "type": "searchset",
                                         "entry": extra}
    return body


async def one(client: httpx.AsyncClient, rng: random.Random) -> tuple[str, int, set[int]]:
    """One request of the mix: (label, status, acceptable statuses)."""
    kind = rng.choices(["page", "form", "api", "fhir", "cds_jwt", "cds_nojwt", "large",
                        "malformed", "too_large"], weights=[20, 8, 20, 8, 20, 5, 3, 10, 3])[0]
    if kind == "page":
        path = rng.choice(["/", "/assess", "/treatments", "/about", "/search?q=transplant",
                           "/treatments/ablation", "/api/options", "/api/pack"])
        return kind, (await client.get(path)).status_code, {200}
    if kind == "form":
        page = await client.get("/assess")
        marker = 'name="csrf_token" value="'
        csrf = page.text.split(marker, 1)[1].split('"', 1)[0]
        facts = patient(rng)
        form = {k: ("yes" if v is True else "no" if v is False else str(v).split()[0])
                for k, v in facts.items()}
        form.update(csrf_token=csrf, bilirubin_unit="umol/L")
        return kind, (await client.post("/assess", data=form)).status_code, {200}
    if kind == "api":
        return kind, (await client.post("/api/assess", json=patient(rng))).status_code, {200}
    if kind == "fhir":
        return kind, (await client.post("/api/assess/fhir", json=bundle(rng))).status_code, {200}
    if kind in ("cds_jwt", "cds_nojwt", "large"):
        body = large_prefetch(rng) if kind == "large" else cds_bench.body(rng)
        headers = {} if kind == "cds_nojwt" else {"Authorization": f"Bearer {token()}"}
        status = (await client.post(CDS, json=body, headers=headers)).status_code
        return kind, status, {401} if kind == "cds_nojwt" else {200}
    if kind == "malformed":
        content = rng.choice([b"{not json", b'{"encephalopathy": Infinity}', b'{"tumors": 5}',
                              b'{"largest_tumor_cm": "1_5"}', b"[" * 5000,
                              json.dumps({"tumors": [{"size_cm": 1}] * 60}).encode()])
        path = rng.choice(["/api/assess", CDS, "/api/assess/fhir"])
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token()}"}
        status = (await client.post(path, content=content, headers=headers)).status_code
        return kind, status, {422}
    content = b'{"padding": "' + b"x" * (MAX_BODY + 10) + b'"}'
    path = rng.choice(["/api/assess", CDS, "/assess"])
    return kind, (await client.post(path, content=content, headers={
        "Content-Type": "application/json"})).status_code, {413}


async def drive(base: str, server: subprocess.Popen[bytes]) -> None:
    stop = time.monotonic() + SECONDS
    window = Window()
    totals: Counter[str] = Counter()
    rss: list[float] = []

    async def caller(seed: int) -> None:
        rng = random.Random(seed)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    kind, status, ok = await one(client, rng)
                except (httpx.HTTPError, IndexError) as exc:
                    window.server_errors += 1
                    window.unexpected[f"{type(exc).__name__}"] += 1
                    continue
                window.latencies.append((time.perf_counter() - started) * 1000)
                if status >= 500:
                    window.server_errors += 1
                if status not in ok:
                    window.unexpected[f"{kind}:{status}"] += 1

    async def reporter() -> None:
        nonlocal window
        minute = 0
        print(f"{'at s':>5} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>8} {'5xx':>4} "
              f"{'unexpected':>10} {'RSS MiB':>8}")
        while time.monotonic() < stop:
            await asyncio.sleep(min(INTERVAL, max(0.0, stop - time.monotonic())))
            minute += 1
            done, window = window, Window()
            memory = rss_mib(server.pid)
            rss.append(memory)
            lat = done.latencies or [0.0]
            p99 = statistics.quantiles(lat, n=100)[98] if len(lat) > 1 else lat[0]
            totals["requests"] += len(done.latencies)
            totals["server_errors"] += done.server_errors
            totals["unexpected"] += sum(done.unexpected.values())
            print(f"{minute * INTERVAL:5.0f} {len(done.latencies) / INTERVAL:7.1f} "
                  f"{statistics.median(lat):7.1f} {p99:8.1f} {done.server_errors:4d} "
                  f"{sum(done.unexpected.values()):10d} {memory:8.1f}"
                  + (f"  {dict(done.unexpected)}" if done.unexpected else ""), flush=True)

    await asyncio.gather(reporter(), *(caller(seed) for seed in range(CLIENTS)))
    half = rss[(len(rss) - 1) // 2:] or rss  # from the reading at half time (300 s of 600)
    growth = (max(half) - half[0]) / half[0] * 100 if half else 0.0
    print(f"\n{totals['requests']} requests in {SECONDS:g} s ({CLIENTS} clients): "
          f"{totals['server_errors']} server errors (target 0), {totals['unexpected']} unexpected "
          f"answers; RSS {rss[0]:.0f} -> {rss[-1]:.0f} MiB, growth over the last half "
          f"{growth:.1f}% (target <= 10%)")


def main() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pem = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    env = {**os.environ, "LIVERTX_PUBLIC_URL": PUBLIC, "LIVERTX_MAX_BODY_BYTES": str(MAX_BODY),
           "LIVERTX_CDS_TRUSTED_ISSUERS": json.dumps({ISSUER: pem})}
    cli = Path(sys.executable).with_name("livertx")
    server = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(base + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        print(f"livertx serve (1 worker) on {base}, auth on; {CLIENTS} clients for {SECONDS:g} s")
        asyncio.run(drive(base, server))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
