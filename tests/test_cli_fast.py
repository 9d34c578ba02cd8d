"""`livertx assess` without Typer (livertx.cli.fast): the same answers, a shorter start.

The fast path must print exactly what the Typer command prints (it runs the same body),
leave every other command line to Typer, and keep the promised imports out of a cold
`livertx assess --format json`: no Typer, no Polars, no sqlglot, and no PyYAML once the
disk cache holds the pack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from livertx.cli import app
from livertx.cli.assess_run import Format
from livertx.cli.fast import _FORMATS, fast_assess, plain_assess

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EARLY, OPEN = str(EXAMPLES / "early.json"), str(EXAMPLES / "unknown-fitness.json")
BUNDLE = str(Path(__file__).parent / "fhir" / "early-si-units.json")
runner = CliRunner()


def _fast(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        assert fast_assess(argv), argv
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [
    ["assess", EARLY, "--format", "json"],
    ["assess", EARLY, "-f", "markdown", "--guideline", "bclc-2022"],
    ["assess", "--format=json", EARLY, OPEN],
    ["assess", EARLY, OPEN, "-f", "markdown"],
    ["assess", EARLY, "--format", "html"],
    ["assess", BUNDLE, "--fhir", "-f", "json"],
], ids=["json", "bclc-markdown", "two-json", "two-markdown", "html", "fhir"])
def test_fast_path_prints_what_the_typer_command_prints(argv: list[str],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    typer_result = runner.invoke(app, argv)
    code, out, _ = _fast(argv, capsys)
    assert (code, out) == (typer_result.exit_code, typer_result.stdout)
    assert code == 0 and out.strip()


@pytest.mark.parametrize("argv, message", [
    (["assess", str(EXAMPLES / "no-such-file.json"), "-f", "json"], "cannot read"),
    (["assess", EARLY, "-f", "json", "--guideline", "acs-1999"], "acs-1999"),
    (["assess", "-", "-", "-f", "json"], "only once"),
    (["assess", EARLY, OPEN, "-f", "html"], "one page"),
])
def test_fast_path_fails_as_the_typer_command_does(argv: list[str], message: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    typer_result = runner.invoke(app, argv)
    code, out, err = _fast(argv, capsys)
    assert code == typer_result.exit_code == 2
    assert out == "" and message in err and message in typer_result.stderr


@pytest.mark.parametrize("argv", [
    [], ["options"], ["assess"], ["assess", "--help"], ["assess", EARLY, "-h"],
    ["assess", EARLY, "--format", "yaml"], ["assess", EARLY, "-fjson"],
    ["assess", EARLY, "-f", "json", "-f", "text"], ["assess", EARLY, "--format"],
    ["assess", EARLY, "--fhir", "--fhir"], ["assess", EARLY, "--verbose"],
    ["assess", "--", EARLY], ["assess", EARLY, "--guideline", "--fhir"],
])
def test_anything_but_a_plain_assess_line_is_left_to_typer(argv: list[str]) -> None:
    assert plain_assess(argv) is None


def test_plain_assess_reads_files_and_options() -> None:
    assert plain_assess(["assess", "a.json", "-", "--fhir", "--pack=p", "-f", "cds",
                         "--guideline", "bclc-2022"]) == {
        "sources": ["a.json", "-"], "fhir": True, "pack_path": "p", "format": "cds",
        "guideline": "bclc-2022"}


def test_fast_path_offers_the_formats_of_the_command() -> None:
    assert set(_FORMATS) == {f.value for f in Format}


def _cold(cache: Path, *argv: str) -> tuple[dict[str, bool], str]:
    """`livertx …` in a new process: which heavy modules it imported, and its output."""
    probe = ("import json, sys\nfrom livertx.cli import main\nsys.argv = ['livertx', *sys.argv[1:]]\n"
             "try:\n    main()\nfinally:\n"
             "    names = ('typer', 'polars', 'sqlglot', 'yaml')\n"
             "    print(json.dumps({n: n in sys.modules for n in names}), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True,
                          env={**os.environ, "LIVERTX_CACHE_DIR": str(cache)}, check=True,
                          timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


def test_a_cold_assess_imports_no_typer_polars_sqlglot_and_once_cached_no_yaml(
        tmp_path: Path) -> None:
    first, out = _cold(tmp_path, "assess", EARLY, "--format", "json")
    assert first["typer"] is False and first["polars"] is False
    second, again = _cold(tmp_path, "assess", EARLY, "--format", "json")
    assert second == {"typer": False, "polars": False, "sqlglot": False, "yaml": False}
    assert json.loads(again)["category"] == json.loads(out)["category"]
    other, _ = _cold(tmp_path, "options")  # any other command: the Typer app
    assert other["typer"] is True
