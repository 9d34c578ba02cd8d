"""The score library: every derived value written once, as data (one YAML file a score).

Each file declares the score's outputs in order, each an expression in the condition
language (`livertx.compiler`), its type and its words; names starting with `_` are helpers
that are not output columns. The implications between vocabulary fields come first and
replace the fields they name. Every backend computes the same outputs from these files:
`derive_row` (Python, one patient), `derive` (Polars, frames) and the cohort's SQL.
Adding a score is adding a file here; its `order` places it (a score may read the outputs
of scores with a smaller order).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from livertx.compiler import nodes
from livertx.compiler.parse import parse
from livertx.compiler.python import compile_python

LIBRARY_DIR = Path(__file__).parent / "library"
OutputType = Literal["bool", "int8", "float", "string"]


@dataclass(frozen=True)
class Output:
    name: str
    type: OutputType
    expr: str
    words: str | None = None

    @property
    def helper(self) -> bool:
        return self.name.startswith("_")

    @functools.cached_property
    def node(self) -> nodes.Node:
        return parse(self.expr)


@dataclass(frozen=True)
class Score:
    id: str
    title: str
    reference: str
    outputs: tuple[Output, ...]
    words: str | None = None


def _read(path: Path) -> dict[str, Any]:
    import yaml  # imported on use: the library from the disk cache never needs it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: faster
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return data


def _load(data: dict[str, Any]) -> Score:
    outputs = tuple(Output(o["name"], o["type"], " ".join(o["expr"].split()), o.get("words"))
                    for o in data["outputs"])
    return Score(data["id"], data["title"], " ".join(data["reference"].split()), outputs,
                 data.get("words"))


@functools.cache
def scores() -> tuple[Score, ...]:
    """The library's files in order, each output's plan parsed (kept by `livertx.diskcache`
    while the files and the code of these classes are unchanged)."""
    from livertx.diskcache import cached

    here = Path(__file__).parent
    paths = sorted(LIBRARY_DIR.glob("*.yaml"))
    code = [here / "library.py", here.parent / "compiler" / "nodes.py",
            here.parent / "compiler" / "parse.py"]
    return cached("scores", [*paths, *code], lambda: _read_library(paths))


def _read_library(paths: list[Path]) -> tuple[Score, ...]:
    files = [_read(path) for path in paths]
    library = tuple(_load(data) for data in sorted(files, key=lambda d: (d["order"], d["id"])))
    for score in library:
        for output in score.outputs:
            _ = output.node  # parsed now, so that the cache keeps the plans
    return library


@functools.cache
def steps() -> tuple[Output, ...]:
    """Every output of every score, in evaluation order (implications first)."""
    return tuple(o for s in scores() for o in s.outputs)


@functools.cache
def implied_fields() -> tuple[str, ...]:
    return tuple(o.name for o in scores()[0].outputs)


@functools.cache
def derived_columns() -> tuple[str, ...]:
    """The derived output columns (helpers and implications left out), in order."""
    return tuple(o.name for s in scores()[1:] for o in s.outputs if not o.helper)


@functools.cache
def inputs_of() -> dict[str, frozenset[str]]:
    """The vocabulary fields each output is computed from (through helpers and other
    outputs), for "what is missing" and for candidates."""
    found: dict[str, frozenset[str]] = {}
    for output in steps():
        direct = nodes.columns(output.node)
        expanded: set[str] = set()
        for column in direct:
            if column in found and column not in implied_fields():
                expanded |= found[column]
            else:
                expanded.add(column)
        found[output.name] = frozenset(expanded)
    return found


@functools.cache
def levels() -> tuple[tuple[Output, ...], ...]:
    """Outputs grouped so that each group reads only columns of earlier groups (one
    `with_columns` or one SQL step each)."""
    out: list[list[Output]] = []
    ready: dict[str, int] = {}
    for output in steps():
        level = max((ready[c] + 1 for c in nodes.columns(output.node) if c in ready), default=0)
        if output.name in ready:  # an implication replaces its field: after its readers
            level = max(level, ready[output.name] + 1)
        while len(out) <= level:
            out.append([])
        out[level].append(output)
        ready[output.name] = level
    return tuple(tuple(group) for group in out)


@functools.cache
def thresholds() -> dict[str, frozenset[float]]:
    """Numbers each vocabulary field is compared with in the scores (for candidates)."""
    found: dict[str, set[float]] = {}
    for output in steps():
        for name, values in nodes.thresholds(output.node).items():
            found.setdefault(name, set()).update(values)
    return {k: frozenset(v) for k, v in found.items()}


@functools.cache
def _compiled() -> tuple[tuple[str, Callable[[Mapping[str, Any]], Any]], ...]:
    return tuple((o.name, compile_python(o.node)) for o in steps())


def derive_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """One patient's derived values (Python backend): the row with the implications
    applied and every output added (helpers included, under their `_` names)."""
    out = dict(row)
    for name, run in _compiled():
        out[name] = run(out)
    return out


@functools.cache
def steps_for(names: frozenset[str]) -> tuple[Output, ...]:
    """The steps that the columns `names` need, directly or through other outputs, in
    evaluation order."""
    needed = set(names)
    for output in reversed(steps()):  # an output reads only outputs before it
        if output.name in needed:
            needed |= nodes.columns(output.node)
    return tuple(output for output in steps() if output.name in needed)


@functools.cache
def _compiled_for(names: frozenset[str]) -> tuple[tuple[str, Callable[[Mapping[str, Any]], Any]], ...]:
    wanted = set(map(id, steps_for(names)))
    return tuple(step for step, output in zip(_compiled(), steps()) if id(output) in wanted)


def derive_for(row: Mapping[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """`derive_row` limited to what the columns `names` need (the category's candidates
    try many combinations and read a few derived values)."""
    out = dict(row)
    for name, run in _compiled_for(names):
        out[name] = run(out)
    return out


__all__ = ["Output", "Score", "derive_for", "derive_row", "derived_columns", "inputs_of",
           "levels", "scores", "steps", "steps_for", "thresholds"]
