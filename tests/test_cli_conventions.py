"""The CLI follows the usual conventions (issue 12), checked through the real command: the
installed `livertx` entry point in a subprocess (as a person types it), and typer's runner
on the real app for the rest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from livertx import __version__
from livertx.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
LIVERTX = Path(sys.executable).with_name("livertx")
runner = CliRunner()


def livertx(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, as a shell runs it."""
    return subprocess.run([str(LIVERTX), *args], check=False, capture_output=True, text=True,
                          timeout=120)


def test_version_prints_the_package_version() -> None:
    done = livertx("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"livertx {__version__}"


@pytest.mark.parametrize("command", [[], ["assess"], ["calc", "child-pugh"], ["pack", "check"],
                                     ["glossary"], ["cohort"], ["explain"]])
def test_dash_h_is_help_like_dash_dash_help(command: list[str]) -> None:
    short = runner.invoke(app, [*command, "-h"])
    long = runner.invoke(app, [*command, "--help"])
    assert short.exit_code == 0 and long.exit_code == 0
    assert short.stdout == long.stdout
    assert "-h, --help" in short.stdout


def test_on_off_flags_show_as_flags_without_a_type() -> None:
    text = livertx("assess", "-h").stdout
    assert "<bool>" not in text and "BOOLEAN" not in text
    fhir = next(line for line in text.splitlines() if "The input is a FHIR" in line)
    assert fhir.split()[0] == "--fhir" and "The input is a FHIR R4 Bundle." in fhir
    assert "<bool>" not in livertx("-h").stdout


def test_assess_takes_several_files_one_report_each() -> None:
    files = [str(EXAMPLES / "early.json"), str(EXAMPLES / "advanced.json")]
    done = livertx("assess", *files, "--format", "markdown")
    assert done.returncode == 0, done.stderr
    reports = done.stdout.split("\n---\n")
    assert len(reports) == 2
    assert "early.json" in reports[0] and "Cancer that may be removed with surgery" in reports[0]
    assert "advanced.json" in reports[1] and "Advanced cancer" in reports[1]
    text = livertx("assess", *files)  # the terminal view: a ruled heading per file
    assert text.returncode == 0
    assert "early.json (1 of 2)" in text.stdout and "advanced.json (2 of 2)" in text.stdout


def test_assess_several_files_as_json_is_an_array_in_the_given_order() -> None:
    done = livertx("assess", str(EXAMPLES / "advanced.json"), str(EXAMPLES / "early.json"),
                   "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert isinstance(data, list) and len(data) == 2
    assert [d["category"]["id"] for d in data] == ["advanced", "potentially_resectable"]
    single = json.loads(livertx("assess", str(EXAMPLES / "early.json"), "-f", "json").stdout)
    assert single["category"]["id"] == "potentially_resectable"  # one file: one object
    cards = json.loads(livertx("assess", str(EXAMPLES / "early.json"),
                               str(EXAMPLES / "early.json"), "-f", "cds").stdout)
    assert len(cards) == 2 and all(c["cards"] for c in cards)


def test_a_bad_file_among_several_is_named_and_nothing_is_printed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"tumor_count": -1}), encoding="utf-8")
    done = livertx("assess", str(EXAMPLES / "early.json"), str(bad), "-f", "json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{bad}: tumor_count" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("word", ["Nexavar", "nexavar", "SORAFENIB", "Sorafenib (Nexavar)"])
def test_explain_accepts_brand_names_and_any_case(word: str) -> None:
    done = runner.invoke(app, ["explain", word, "-f", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["id"] == "sorafenib"


@pytest.mark.parametrize(("word", "option"), [("tace", "embolization"), ("TARE", "embolization"),
                                              ("rfa", "ablation"), ("sbrt", "radiation"),
                                              ("Stivarga", "regorafenib"), ("opdivo", "nivolumab"),
                                              ("partial-hepatectomy", "partial_hepatectomy")])
def test_explain_accepts_technique_ids_and_other_brands(word: str, option: str) -> None:
    done = runner.invoke(app, ["explain", word, "-f", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["id"] == option


def test_brand_names_come_from_the_pack() -> None:
    from livertx.knowledge import load_pack

    pack = load_pack()
    assert pack.option("sorafenib").brands == ["Nexavar"]
    assert pack.find_option("nexavar") is pack.option("sorafenib")


def test_explain_an_unknown_word_suggests_the_nearest_and_exits_2() -> None:
    done = livertx("explain", "sorafinib")
    assert done.returncode == 2
    assert "did you mean sorafenib" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["calc", "child-pugh", "--bilirubin", "1", "--albumin", "3.5",
                                   "--inr", "1", "--ascites", "none", "--encephalopathy", "none",
                                   "-f", "markdown"],
                                  ["explain", "sorafenib", "-f", "cds"],
                                  ["glossary", "-f", "markdown"]])
def test_a_format_a_command_does_not_honour_is_rejected(args: list[str]) -> None:
    done = livertx(*args)
    assert done.returncode == 2
    assert "--format" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_calc_json_still_works() -> None:
    done = livertx("calc", "child-pugh", "--bilirubin", "1", "--albumin", "3.5", "--inr", "1",
                   "--ascites", "none", "--encephalopathy", "none", "-f", "json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["class"] == "A"


def test_pack_check_prints_the_readability_figure() -> None:
    done = runner.invoke(app, ["pack", "check"])
    assert done.exit_code == 0, done.output
    assert "Flesch-Kincaid grade" in done.stdout and "readability_note" in done.stdout


def test_make_says_what_each_install_step_does() -> None:
    """`make -n` lists the recipe lines of a first install: each step announces itself."""
    done = subprocess.run(["make", "-n", "-B", "install", "test"], check=False, capture_output=True,
                          text=True, cwd=EXAMPLES.parent, timeout=60)
    assert done.returncode == 0, done.stderr
    steps = [line for line in done.stdout.splitlines() if line.startswith("echo \"==> ")]
    assert len(steps) >= 6
    assert any("virtual environment" in s for s in steps)
    assert any("installing livertx" in s for s in steps)
    assert any("pytest" in s for s in steps)
