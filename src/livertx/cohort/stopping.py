"""Ctrl-C and SIGTERM during a cohort run: stop at once, leave no partial file.

Polars and DuckDB compute in native code that does not return to Python until done, so a
Python signal handler would wait for the whole run (or never see the signal). The run
therefore goes to a worker thread; the main thread only waits, handles the signal at
once, removes every partly written file (`io.remove_partials`) and exits 130 (SIGINT) or
143 (SIGTERM), as shells report a process ended by those signals.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from livertx.cohort import io

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop(signum: int, _frame: Any) -> None:
    io.remove_partials()
    name = "interrupted" if signum == signal.SIGINT else "terminated"
    sys.stderr.write(f"\n{name}: the run stopped; no output was written\n")
    sys.stderr.flush()
    # The worker runs on while this handler writes (the write releases the GIL) and may
    # just then open its output for the first time: remove again, right before exiting.
    io.remove_partials()
    os._exit(128 + signum)


def run_stoppable(action: Callable[[], T]) -> T:
    """`action()` in a worker thread, the signals handled meanwhile (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return action()
    outcome: list[Any] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(action())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            failure.append(exc)

    previous = {s: signal.signal(s, _stop) for s in SIGNALS}
    try:
        worker = threading.Thread(target=work, name="livertx-cohort", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if failure:
        raise failure[0]
    return outcome[0]  # type: ignore[no-any-return]
