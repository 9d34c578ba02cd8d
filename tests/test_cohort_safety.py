"""Issue 13 (cohorts): outputs that cannot hurt the inputs, usual permissions, clear one-line
errors, Ctrl-C and SIGTERM that stop the run and leave nothing half-written, DuckDB's row
order, the summary and symlinks, CSV errors with their line, binary files. The real CLI in
a subprocess, on real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

CLI = [sys.executable, "-m", "livertx", "cohort"]


def cohort(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300,
                          check=False, cwd=cwd)


def one_line_exit_2(run: subprocess.CompletedProcess[str], words: str) -> None:
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert words in run.stderr


def small(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text("tumor_count,largest_tumor_cm\n1,2.5\n2,3\n")
    return path


def large(tmp_path: Path, rows: int = 400_000) -> Path:
    path = tmp_path / "big.csv"
    pl.DataFrame({"pid": range(rows), "tumor_count": [1 + i % 5 for i in range(rows)],
                  "largest_tumor_cm": [1.0 + i % 11 for i in range(rows)],
                  "cirrhosis": [i % 3 == 0 for i in range(rows)],
                  "child_pugh_class": ["ABC"[i % 3] for i in range(rows)],
                  "distant_spread": [i % 7 == 0 for i in range(rows)]}).write_csv(path)
    return path


def test_same_input_and_output_is_refused(tmp_path: Path) -> None:
    source = small(tmp_path)
    before = source.read_bytes()
    for output in (source, tmp_path / "." / "in.csv"):
        one_line_exit_2(cohort(source, "-o", output), "same file")
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    one_line_exit_2(cohort(source, "-o", link), "same file")
    assert source.read_bytes() == before


def test_outputs_get_the_usual_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        for name in ("out.parquet", "out.csv"):
            assert cohort(small(tmp_path), "-o", tmp_path / name).returncode == 0
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
        summary = tmp_path / "s.html"
        assert cohort(small(tmp_path), "-o", tmp_path / "o.parquet", "--summary",
                      summary).returncode == 0
        assert summary.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(previous)


@pytest.mark.parametrize("output, words", [
    ("a-folder.csv", "is a folder"),
    ("/proc/livertx-out.csv", "cannot write in /proc"),
])
def test_output_folder_or_unwritable_is_one_line(tmp_path: Path, output: str, words: str) -> None:
    (tmp_path / "a-folder.csv").mkdir()
    one_line_exit_2(cohort(small(tmp_path), "-o", output, cwd=tmp_path), words)


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_stop_the_run_and_remove_partial_files(tmp_path: Path, engine: str,
                                                       sig: signal.Signals, code: int) -> None:
    source = large(tmp_path)
    output = tmp_path / "out.parquet"
    process = subprocess.Popen([*CLI, str(source), "-o", str(output), "--engine", engine,
                                "--units", "si"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".*.part")):  # the run is writing
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    assert "no output was written" in stderr and "Traceback" not in stderr
    assert not output.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]  # no .part, no temporaries


def test_duckdb_keeps_the_input_row_order(tmp_path: Path) -> None:
    source = large(tmp_path, 200_000)
    for engine in ("duckdb", "polars"):
        assert cohort(source, "-o", tmp_path / f"{engine}.parquet", "--engine",
                      engine).returncode == 0
    duck = pl.read_parquet(tmp_path / "duckdb.parquet")
    assert duck["pid"].to_list() == list(range(200_000))
    assert duck.equals(pl.read_parquet(tmp_path / "polars.parquet"))


def test_summary_never_writes_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "report.html"
    link.symlink_to(target)
    run = cohort(small(tmp_path), "-o", tmp_path / "o.parquet", "--summary", link)
    assert run.returncode == 0, run.stderr
    assert target.read_text() == "keep me"
    assert not link.is_symlink() and "<html" in link.read_text().lower()


def test_summary_cannot_be_the_input(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("tumor_count\n1\n")
    linked = tmp_path / "in.html"
    linked.symlink_to(source)
    one_line_exit_2(cohort(source, "-o", tmp_path / "o.parquet", "--summary", linked), "same file")


@pytest.mark.parametrize("bad_row", [5, 20_000])  # within and past Polars' type inference
def test_csv_error_names_its_line(tmp_path: Path, bad_row: int) -> None:
    rows = ["1,2"] * 25_000
    rows[bad_row] = "x,2"
    source = tmp_path / "in.csv"
    source.write_text("tumor_count,largest_tumor_cm\n" + "\n".join(rows) + "\n")
    run = cohort(source, "-o", tmp_path / "o.parquet")
    one_line_exit_2(run, f"line {bad_row + 2}")
    assert "tumor_count" in run.stderr


@pytest.mark.parametrize("content", [b"\x00" * 5000, b"PK\x03\x04\x00\x00binary\x00zip"])
def test_binary_file_is_rejected_not_read_as_zero_rows(tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    one_line_exit_2(cohort(source, "-o", tmp_path / "o.csv"), "binary file")
    assert not (tmp_path / "o.csv").exists()
