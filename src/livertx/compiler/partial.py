"""Python backend over partly chosen rows: a value may be `ANY` (not chosen yet).

The candidate search (`livertx.engine.search`) tries the unknown facts one at a time and
wants to know, before choosing the rest, whether the answer is already settled. Here each
operator gives `ANY` when the values not chosen yet could still change its result, and
otherwise the very value the plain backend (`livertx.compiler.python`) gives for every way
of choosing them (`ANY` may stand for NULL too). With no `ANY` in the row the two backends
agree exactly.

`ANY` is not NULL: a fact nobody gave stays NULL (None) and keeps SQL's meaning (NULL in a
comparison is NULL, COALESCE skips it, CASE does not take an unknown branch). Treating a
not-yet-chosen value as NULL would be wrong wherever NULL is not passed through (COALESCE,
IS NULL, CASE ... ELSE, LEAST/GREATEST), so those give `ANY` when they meet it.

The search evaluates the category table hundreds of times per open case, so the plan is
compiled to the text of one Python function (straight-line code, no call per node) and
that text is compiled once by Python itself.
"""

from __future__ import annotations

import marshal
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from livertx.compiler import nodes as n


class _Any:
    """The marker of a value not chosen yet (one instance, `ANY`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()

Row = Mapping[str, Any]
Compiled = Callable[[Row], Any]
_OPERATORS = {"=": "==", "<>": "!="}


def compile_partial(node: n.Node) -> Compiled:
    """One expression, as a function of a row."""
    code = _Code()
    code.read(node)
    result = code.value(node, 1)
    compiled: Compiled = code.function([f"    return {result}"])
    return compiled


def compile_partial_steps(steps: Sequence[tuple[str, n.Node]], *, plain: bool = False
                          ) -> Callable[[dict[str, Any]], None]:
    """Outputs computed in order into the row (each may read the ones before it)."""
    compiled: Callable[[dict[str, Any]], None] = generate_steps(steps, plain=plain).load()
    return compiled


@dataclass(frozen=True)
class Generated:
    """A generated function kept as data (its compiled code, marshalled, and the constants
    it names), so that a disk cache can keep it: compiling a whole pack's steps takes
    tens of milliseconds, loading it well under one."""

    code: bytes
    constants: dict[str, Any]

    def load(self) -> Any:
        namespace = {**_HELPERS, **self.constants}
        exec(marshal.loads(self.code), namespace)  # noqa: S102 (code this module generated)
        return namespace["compiled"]


def generate_steps(steps: Sequence[tuple[str, n.Node]], *, plain: bool = False) -> Generated:
    """`compile_partial_steps`, not loaded yet.

    `plain`: for complete rows (no value is ANY): the tests for ANY are left out, and the
    values are exactly those of the plain backend (`livertx.compiler.python`), as one
    straight-line function (`livertx.engine.rows` computes a whole pack this way)."""
    code = _Code(plain=plain)
    for name, node in steps:
        code.read(node)
        code.columns[name] = value = code.value(node, 1)
        code.lines.append(f"    row[{name!r}] = {value}")
    return code.generated(["    return None"])


Leaf = Callable[[n.Node], tuple[tuple[int, ...], int]]
Residuals = Callable[[Row, Sequence[Any]], tuple[tuple[Any, ...], tuple[Any, ...], int, int]]


def compile_partial_residuals(conditions: Sequence[n.Node], leaf: Leaf) -> Residuals:
    """Several conditions on a partial row, and what each still waits for.

    The function takes the partial row and `chosen` (a sequence: the value chosen for each
    searched fact, ANY while it is open) and gives (values, residuals, reads, split):

    - each condition's value, as `compile_partial` gives it;
    - its residual: the value when settled; otherwise, through the AND, OR and NOT parts
      that are not settled, the settled parts' values and, for each unsettled part below
      them (a comparison, a column, a CASE...), the chosen values of the facts `leaf`
      names for it. Two partial rows with the same residual (and the same open facts) have
      the same value for every way of choosing the rest: a search can reuse its answer;
    - `reads`: the `leaf` bits of every unsettled part (the open facts that still matter);
    - `split`: the first open fact (an index into `chosen`) of the first unsettled part,
      in the order `leaf` names them, or -1.
    """
    code = _Code()
    code.read(n.And(tuple(conditions)) if conditions else n.Literal(True))
    values = [code.value(c, 1) for c in conditions]
    code.lines += ["    reads = 0", "    split = -1"]
    residuals = [code.residual(c, leaf) for c in conditions]
    tail = [f"    return {_tuple(values)}, {_tuple(residuals)}, reads, split"]
    compiled: Residuals = code.function(tail, arguments="row, chosen")
    return compiled


def _tuple(items: Iterable[str]) -> str:
    """The code of a tuple of these values (one item keeps its comma)."""
    return "(" + "".join(f"{item}, " for item in items) + ")"


def _least(values: tuple[Any, ...]) -> Any:
    known = [v for v in values if v is not None]
    return ANY if any(v is ANY for v in known) else min(known) if known else None


def _greatest(values: tuple[Any, ...]) -> Any:
    known = [v for v in values if v is not None]
    return ANY if any(v is ANY for v in known) else max(known) if known else None


def _log10(v: Any) -> Any:
    return None if v <= 0 else math.log10(v)


_HELPERS = {"ANY": ANY, "_least": _least, "_greatest": _greatest, "_log10": _log10}


class _Code:
    """The lines of one generated function; `value` writes a node's code and gives the
    name (or literal) that holds its value."""

    def __init__(self, *, plain: bool = False) -> None:
        self.plain = plain  # no value is ANY: its tests are left out
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self.count = 0
        self.columns: dict[str, str] = {}  # column -> the variable it was read into
        self.names: dict[int, tuple[n.Node, str]] = {}  # id(node) -> (node, its variable)

    def read(self, node: n.Node) -> None:
        """Read each column the node uses that is not in a variable yet, once, at the top
        (before any branch)."""
        for c in sorted(n.columns(node) - self.columns.keys()):
            self.columns[c] = self._put(1, f"row.get({c!r})")

    def generated(self, tail: list[str], arguments: str = "row") -> Generated:
        source = "\n".join([f"def compiled({arguments}):", *self.lines, *tail])
        code = compile(source, "<livertx.compiler.partial>", "exec")
        return Generated(marshal.dumps(code), dict(self.constants))

    def function(self, tail: list[str], arguments: str = "row") -> Any:
        return self.generated(tail, arguments).load()

    def _new(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def _put(self, indent: int, text: str) -> str:
        name = self._new()
        self.lines.append("    " * indent + f"{name} = {text}")
        return name

    def value(self, node: n.Node, indent: int) -> str:
        name = self._value(node, indent)
        self.names[id(node)] = (node, name)
        return name

    def residual(self, node: n.Node, leaf: Leaf, indent: int = 1) -> str:
        """The code of `node`'s residual (`compile_partial_residuals`), after its value's.
        CASE and COALESCE count as one part: their inner values are computed in branches."""
        value = self.names[id(node)][1]
        if isinstance(node, n.Literal):
            return value
        out = self._new()
        pad = "    " * indent
        self.lines += [f"{pad}if {value} is ANY:"]
        if isinstance(node, (n.And, n.Or, n.Not)):
            parts = [self.residual(x, leaf, indent + 1) for x in n.children(node)]
            self.lines.append(f"{pad}    {out} = {_tuple(parts)}")
        else:
            facts, bits = leaf(node)
            first = " else ".join(f"{i} if chosen[{i}] is ANY" for i in facts)
            self.lines += [f"{pad}    reads |= {bits}",
                           f"{pad}    if split < 0:",
                           f"{pad}        split = {first + ' else -1' if facts else '-1'}",
                           f"{pad}    {out} = {_tuple(f'chosen[{i}]' for i in facts)}"]
        self.lines += [f"{pad}else:", f"{pad}    {out} = {value}"]
        return out

    def _value(self, node: n.Node, indent: int) -> str:
        if isinstance(node, n.Literal):  # numbers and text by name: `is` never meets a literal
            value = node.value
            return repr(value) if value is None or isinstance(value, bool) else self._constant(value)
        if isinstance(node, n.Column):
            return self.columns[node.name]
        if isinstance(node, (n.And, n.Or)):
            parts = [self.value(x, indent) for x in node.items]
            decisive = "True" if isinstance(node, n.Or) else "False"
            def some(test: str) -> str:
                return " or ".join(f"{p} is {test}" for p in parts)
            unsettled = "" if self.plain else f"ANY if {some('ANY')} else "
            return self._put(indent, f"{decisive} if {some(decisive)} else {unsettled}"
                                     f"None if {some('None')} else not {decisive}")
        if isinstance(node, n.Not):
            return self._over(node.item, indent,
                              lambda x: f"{x} if {self._open(x)} else not {x}")
        if isinstance(node, n.Compare):
            op = _OPERATORS.get(node.op, node.op)
            return self._strict([node.left, node.right], indent, lambda a, b: f"{a} {op} {b}")
        if isinstance(node, n.Arith):
            if node.op == "/":
                return self._strict([node.left, node.right], indent,
                                    lambda a, b: f"(None if {b} == 0 else {a} / {b})")
            return self._strict([node.left, node.right], indent,
                                lambda a, b: f"{a} {node.op} {b}")
        if isinstance(node, n.In):
            known = frozenset(v for v in node.values if v is not None)
            other = "None" if len(known) < len(node.values) else "False"
            values = self._constant(known)
            return self._over(node.item, indent, lambda x: f"{x} if {self._open(x)} "
                                                           f"else True if {x} in {values} else {other}")
        if isinstance(node, n.IsNull):
            if self.plain:
                return self._over(node.item, indent, lambda x: f"{x} is None")
            return self._over(node.item, indent, lambda x: f"ANY if {x} is ANY else {x} is None")
        if isinstance(node, n.Case):
            return self._case(node, indent)
        if isinstance(node, n.Coalesce):
            return self._coalesce(node, indent)
        return self._function(node, indent)

    def _open(self, x: str) -> str:
        """The test that a value passes on as it is (NULL, or ANY on partial rows)."""
        return f"{x} is None" if self.plain else f"{x} is None or {x} is ANY"

    def _over(self, item: n.Node, indent: int, text: Callable[[str], str]) -> str:
        """A node of one operand: its value's name given to `text`."""
        return self._put(indent, text(self.value(item, indent)))

    def _constant(self, value: Any) -> str:
        name = f"k{len(self.constants)}"
        self.constants[name] = value
        return name

    def _strict(self, args: list[n.Node], indent: int, apply: Callable[..., str]) -> str:
        """NULL in, NULL out (whatever the values not chosen yet are); else ANY in, ANY out."""
        names = [self.value(a, indent) for a in args]
        variables = [x for x, a in zip(names, args) if not isinstance(a, n.Literal)]
        if any(isinstance(a, n.Literal) and a.value is None for a in args):
            return "None"
        if not variables:
            return self._put(indent, apply(*names))
        null = " or ".join(f"{x} is None" for x in variables)
        if self.plain:
            return self._put(indent, f"None if {null} else {apply(*names)}")
        unsettled = " or ".join(f"{x} is ANY" for x in variables)
        return self._put(indent, f"None if {null} else ANY if {unsettled} else {apply(*names)}")

    def _case(self, node: n.Case, indent: int) -> str:
        out = self._new()
        pad = "    " * indent
        for condition, value in node.whens:
            held = self.value(condition, indent)
            if not self.plain:
                self.lines += [f"{pad}if {held} is ANY:", f"{pad}    {out} = ANY"]
            self.lines.append(f"{pad}{'if' if self.plain else 'elif'} {held} is True:")
            self.lines.append(f"{pad}    {out} = {self.value(value, indent + 1)}")
            self.lines.append(f"{pad}else:")
            indent += 1
            pad = "    " * indent
        self.lines.append(f"{pad}{out} = {self.value(node.otherwise, indent)}")
        return out

    def _coalesce(self, node: n.Coalesce, indent: int) -> str:
        out = self._new()
        pad = "    " * indent
        self.lines.append(f"{pad}{out} = None")
        for item in node.items:  # ANY stops it too: NULL or not depending on what is chosen
            self.lines.append(f"{pad}if {out} is None:")
            self.lines.append(f"{pad}    {out} = {self.value(item, indent + 1)}")
        return out

    def _function(self, node: n.Node, indent: int) -> str:
        assert isinstance(node, n.Function)
        if node.name in ("least", "greatest"):
            names = [self.value(a, indent) for a in node.args]
            return self._put(indent, f"_{node.name}(({', '.join(names)},))")
        if node.name == "round":
            return self._strict(list(node.args), indent, lambda v, d: f"round({v}, {d})")
        call = {"log10": "_log10", "abs": "abs"}[node.name]
        return self._strict(list(node.args), indent, lambda v: f"{call}({v})")


__all__ = ["ANY", "Generated", "compile_partial", "compile_partial_residuals",
           "compile_partial_steps", "generate_steps"]
