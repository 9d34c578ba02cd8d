"""The disk cache of parsed packs (livertx.diskcache): fresh, private, never an error.

A cache file is executable in effect (pickle), so it must be read only when this user
alone could have written it; a stale key must never answer; damage means a rebuild.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from livertx import diskcache
from livertx.engine.assess import assess
from livertx.knowledge.pack import PACKS_DIR, load_pack

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("LIVERTX_CACHE_DIR", str(folder))
    return folder


def _counting(value: object) -> tuple[list[int], object]:
    calls: list[int] = []

    def build() -> object:
        calls.append(1)
        return value
    return calls, build


def test_a_second_call_reads_the_file_and_a_changed_input_builds_again(
        cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "data.yaml"
    source.write_text("a: 1")
    calls, build = _counting({"a": [1, 2]})
    assert diskcache.cached("thing", [source], build) == {"a": [1, 2]}
    assert diskcache.cached("thing", [source], build) == {"a": [1, 2]}
    assert len(calls) == 1
    source.write_text("a: 2")
    diskcache.cached("thing", [source], build)
    assert len(calls) == 2
    assert len(list(cache.glob("thing-*.pickle"))) == 1  # the older version is removed
    assert (os.stat(cache).st_mode & 0o777, os.stat(next(cache.glob("thing-*"))).st_mode
            & 0o777) == (0o700, 0o600)


@pytest.mark.parametrize("damage", ["group-writable file", "world-writable folder",
                                    "truncated", "symlink"])
def test_a_file_others_could_write_or_a_damaged_one_is_not_read(
        cache: Path, tmp_path: Path, damage: str) -> None:
    source = tmp_path / "data.yaml"
    source.write_text("a: 1")
    calls, build = _counting("value")
    diskcache.cached("thing", [source], build)
    (stored,) = cache.glob("thing-*.pickle")
    if damage == "group-writable file":
        stored.chmod(0o620)
    elif damage == "world-writable folder":
        cache.chmod(0o777)
    elif damage == "truncated":
        stored.write_bytes(stored.read_bytes()[:5])
    else:
        elsewhere = tmp_path / "elsewhere.pickle"
        stored.rename(elsewhere)
        stored.symlink_to(elsewhere)
    assert diskcache.cached("thing", [source], build) == "value"
    assert len(calls) == 2


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVERTX_CACHE_DIR", "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    calls, build = _counting(1)
    diskcache.cached("thing", [], build)
    diskcache.cached("thing", [], build)
    assert len(calls) == 2 and not any(tmp_path.iterdir())


def test_an_unwritable_folder_means_no_cache_not_an_error(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("LIVERTX_CACHE_DIR", str(blocker / "cache"))
    assert diskcache.cached("thing", [], lambda: 7) == 7


def test_the_pack_from_the_cache_assesses_as_the_pack_from_its_files(cache: Path) -> None:
    from livertx.knowledge import pack as pack_module

    fresh = load_pack(PACKS_DIR / "acs-2017")
    warm = pack_module._embedded("acs-2017", lambda: load_pack(PACKS_DIR / "acs-2017"))
    again = pack_module._embedded("acs-2017", lambda: pytest.fail("built again"))
    assert again is not warm and again.info == fresh.info and again.tables == fresh.tables
    assert again._cache.keys() == {"missing_paths"}  # plain data only; closures rebuilt
    for example in sorted(EXAMPLES.glob("*.json")):
        patient = json.loads(example.read_text(encoding="utf-8"))
        assert assess(patient, again) == assess(patient, fresh), example.name


def test_cli_output_is_the_same_with_a_warm_cache_and_without_one(tmp_path: Path) -> None:
    def run(cache: str) -> str:
        return subprocess.run([str(Path(sys.executable).with_name("livertx")), "assess",
                               str(EXAMPLES / "unknown-fitness.json"), "--format", "json"],
                              capture_output=True, text=True, check=True, timeout=120,
                              env={**os.environ, "LIVERTX_CACHE_DIR": cache}).stdout
    warm = str(tmp_path / "cache")
    run(warm)
    assert run(warm) == run("off")
    assert {p.name.split("-")[0] for p in Path(warm).glob("*.pickle")} >= {"pack", "scores",
                                                                           "plans"}
