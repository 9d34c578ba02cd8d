"""Redraw docs/screenshot-result.png, the README's picture of the result page.

Usage: python scripts/readme_screenshot.py   (or `make screenshot`)

Starts `livertx serve` on a free loopback port, fills the form for the early-cancer example
in Debian's Chromium (LIVERTX_CHROMIUM overrides the path) and saves the top of the result
page at desktop width. A script, not a test: no test writes into a tracked file.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "screenshot-result.png"
DESKTOP = {"width": 1280, "height": 900}


def _serve() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli = Path(sys.executable).with_name("livertx")
    process = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=1).close()
            return process, url
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("livertx serve did not start") from None
            time.sleep(0.2)


def main() -> int:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("LIVERTX_CHROMIUM", "/usr/bin/chromium")
    process, url = _serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium,
                                                 args=["--headless", "--no-sandbox", "--disable-gpu",
                                                       "--disable-background-networking",
                                                       "--no-first-run"])
            page = browser.new_context(viewport=DESKTOP, base_url=url).new_page()
            page.goto("/assess")
            page.get_by_label("Number of liver tumors").fill("1")
            page.get_by_label("Size of the largest tumor (cm)").fill("2.5")
            for legend, choice in (("Tumor has grown into blood vessels", "No"),
                                   ("Spread to lymph nodes", "No"),
                                   ("Spread to other organs", "No"), ("Cirrhosis", "No"),
                                   ("Healthy enough for a major operation", "Yes")):
                page.get_by_role("group", name=legend, exact=True).get_by_label(
                    choice, exact=True).check()
            page.get_by_label("Child-Pugh class").select_option(label="A (the liver works well)")
            page.get_by_role("button", name="Show my options").click()
            page.wait_for_load_state("domcontentloaded")
            OUTPUT.parent.mkdir(exist_ok=True)
            page.screenshot(path=OUTPUT, full_page=True,
                            clip={"x": 0, "y": 0, "width": 1280, "height": 1600})
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
