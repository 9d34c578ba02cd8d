"""Benchmark: the result page (POST /assess) for a typical patient under 20 concurrent clients.

Starts a real `livertx serve` on a free loopback port, gives each client its own cookie and
form token (as a browser would), then has the clients submit the form back to back for a
fixed time. Reports the server-side times from the page's Server-Timing header:
`app` (= `total`) is the time from receiving the form to the finished page: checking the
form, the engine (`engine`: concurrent submissions share one engine pass, so this includes
waiting for the pass) and rendering (`render`); then the time each client waited (including
the TCP queue while the server was busy) and requests per second. The target is checked
against `app`. Not a test: it asserts nothing and stops by itself.

Run: .venv/bin/python benchmarks/web.py [seconds] [clients]
"""

from __future__ import annotations

import asyncio
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
CLIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
WORKERS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
TARGET_P99_MS = 30.0  # issue 10
# A typical patient: one 3.5 cm tumour, no spread, Child-Pugh from the labs, fit for surgery.
FORM = {"tumor_count": "1", "largest_tumor_cm": "3.5", "vascular_invasion": "no",
        "lymph_node_spread": "no", "distant_spread": "no", "cirrhosis": "yes",
        "bilirubin": "1.1", "bilirubin_unit": "mg/dL", "albumin": "37", "albumin_unit": "g/L",
        "inr": "1.1", "ascites": "none", "encephalopathy": "none", "fit_for_surgery": "yes",
        "ecog": "0"}
TIMING = re.compile(r"(\w+);dur=([\d.]+)")
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).with_name("livertx")
    process = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--workers", str(WORKERS)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("livertx serve did not start")


async def client(base: str, stop_at: float, server: dict[str, list[float]],
                 waited: list[float], failures: list[int]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        form_page = await http.get("/assess")
        token = TOKEN.search(form_page.text)
        if token is None:
            raise SystemExit("no form token on /assess")
        data = {**FORM, "csrf_token": token.group(1)}
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            response = await http.post("/assess", data=data)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                failures.append(response.status_code)
                continue
            waited.append(elapsed)
            for name, value in TIMING.findall(response.headers.get("server-timing", "")):
                server.setdefault(name, []).append(float(value))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def drive(base: str) -> tuple[dict[str, list[float]], list[float], list[int], float]:
    server: dict[str, list[float]] = {}
    waited: list[float] = []
    failures: list[int] = []
    async with httpx.AsyncClient(base_url=base) as warm:  # first renders compile templates
        page = await warm.get("/assess")
        token = TOKEN.search(page.text)
        for _ in range(5):
            await warm.post("/assess", data={**FORM, "csrf_token": token.group(1) if token else ""})
    started = time.perf_counter()
    stop_at = started + SECONDS
    await asyncio.gather(*(client(base, stop_at, server, waited, failures)
                           for _ in range(CLIENTS)))
    return server, waited, failures, time.perf_counter() - started


def main() -> None:
    port = free_port()
    process = start_server(port)
    try:
        server, waited, failures, duration = asyncio.run(drive(f"http://127.0.0.1:{port}"))
    finally:
        process.terminate()
        process.wait(timeout=10)
    app = server.get("app", [])
    if not app:
        raise SystemExit(f"no successful requests (failures: {failures[:5]})")
    p99 = percentile(app, 99)
    print(f"POST /assess (result page), typical patient, {CLIENTS} concurrent clients, "
          f"{duration:.1f} s on 127.0.0.1, {WORKERS} server process(es)")
    print(f"  requests: {len(waited)} ok, {len(failures)} failed; "
          f"{len(waited) / duration:.1f} requests/s")
    for name in ("app", "engine", "render", "queue", "total"):
        values = server.get(name, [])
        if values:
            print(f"  server {name:<6} (Server-Timing): median {statistics.median(values):6.1f} ms"
                  f"   p99 {percentile(values, 99):6.1f} ms")
    print(f"  client wait (incl. queueing): median {statistics.median(waited):6.1f} ms"
          f"   p99 {percentile(waited, 99):6.1f} ms")
    print(f"  target: server time (app) p99 <= {TARGET_P99_MS:.0f} ms; measured {p99:.1f} ms; "
          f"ratio measured/target = {p99 / TARGET_P99_MS:.2f} (below 1 meets the target)")
    total = percentile(server["total"], 99)
    print(f"  with queueing (total) p99 {total:.1f} ms: ratio {total / TARGET_P99_MS:.2f}; "
          f"capacity ~{len(waited) / duration:.0f} requests/s, so {CLIENTS} back-to-back clients "
          "wait about clients / capacity")


if __name__ == "__main__":
    main()
