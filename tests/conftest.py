"""Shared test helpers. Append new fixtures below; keep existing names stable."""

from __future__ import annotations

from typing import Any

from livertx.frame import patients_frame
from livertx.patient import parse_patient
from livertx.scores import derive


def derive_one(**facts: Any) -> dict[str, Any]:
    """One patient through the public path: parse -> one-row frame -> derive -> row as a dict."""
    frame = patients_frame([parse_patient(facts)])
    return derive(frame.lazy()).collect().row(0, named=True)


# --- web: a real server and a real browser (test_web_browser.py, test_web_a11y.py) -------------

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def serving(env: dict[str, str] | None = None, workers: int = 1) -> Iterator[str]:
    """`livertx serve` on a free loopback port (with extra LIVERTX_* settings); its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli = Path(sys.executable).with_name("livertx")
    process = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--workers", str(workers)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("livertx serve did not start: "
                                       + process.stderr.read().decode(errors="replace")) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """`livertx serve` on a free loopback port, as `make run` starts it; yields its base URL."""
    with serving() as url:
        yield url


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium through Playwright (LIVERTX_CHROMIUM overrides the path). Never skips."""
    from playwright.sync_api import sync_playwright

    path = os.environ.get("LIVERTX_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        raise RuntimeError(f"Chromium not found at {path}: run `make test` (it installs it) "
                           "or set LIVERTX_CHROMIUM")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# --- Spark: one local session for the whole run (test_differential.py, test_sql_export.py) --

@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local Spark for the whole run (started once, stopped at the end)."""
    from livertx.cohort.spark import get_session

    os.environ.setdefault("LIVERTX_SPARK_MASTER", "local[2]")
    session = get_session()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


# --- web: an example file submitted through the form (test_web_result_layout.py) --------------

def example_form_pairs(patient: dict[str, object]) -> list[tuple[str, str]]:
    """An example's patient JSON as the form's fields (vocabulary names, yes/no radios, a
    value with its unit split into the number and the unit picker, one row per tumor)."""
    pairs: list[tuple[str, str]] = []
    for name, value in patient.items():
        if name == "tumors" and isinstance(value, list):
            pairs += [("tumor_size_cm", f"{t['size_cm']:g}") for t in value]
        elif isinstance(value, bool):
            pairs.append((name, "yes" if value else "no"))
        elif isinstance(value, str) and name in ("bilirubin", "albumin") and " " in value:
            number, unit = value.split(" ", 1)
            pairs += [(name, number), (f"{name}_unit", unit)]
        else:
            pairs.append((name, str(value)))
    return pairs


SUBMIT_PAIRS_JS = """(pairs) => {
  const form = document.createElement('form');
  form.method = 'post'; form.action = '/assess';
  form.appendChild(document.querySelector('input[name=csrf_token]').cloneNode());
  for (const [name, value] of pairs) {
    const input = document.createElement('input');
    input.type = 'hidden'; input.name = name; input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
}"""


def submit_example(page: Any, patient: dict[str, object]) -> None:
    """Open the form (for its cross-site token) and send the example's answers as the form
    would; waits for the result page."""
    page.goto("/assess")
    with page.expect_navigation():
        page.evaluate(SUBMIT_PAIRS_JS, example_form_pairs(patient))
    page.wait_for_selector("h1")
