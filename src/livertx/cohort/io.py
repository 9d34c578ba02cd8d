"""Reading a cohort file into the vocabulary, and writing results atomically.

A source is checked before anything runs: the file exists and is Parquet or CSV, each
vocabulary column has a usable type, no column takes a name the output writes, and every
mapped column exists. Problems raise `CohortError` naming the file and column (and, for a
CSV value that cannot be read, its line). Output is written to a temporary file in the
output's folder, given the usual permissions and renamed into place, so a failed or
interrupted run never leaves a partial file behind (`remove_partials` for a signal).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from livertx.cohort.errors import CohortError
from livertx.cohort.mapping import ColumnMap, Mapping
from livertx.units import ALBUMIN_UNITS, BILIRUBIN_UNITS, CONVERTED_DECIMALS, CREATININE_UNITS
from livertx.vocabulary import FIELD_BY_NAME

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
LIST_SEPARATOR = "|"  # lists (missing, candidates) in CSV output
SI_FACTORS = {"bilirubin": BILIRUBIN_UNITS["umol/l"], "albumin": ALBUMIN_UNITS["g/l"],
              "creatinine": CREATININE_UNITS["umol/l"]}

_NUMERIC = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)
_ACCEPTS: dict[str, Callable[[pl.DataType], bool]] = {
    "int": lambda t: t in _NUMERIC or t == pl.Null,
    "float": lambda t: t in _NUMERIC or t in (pl.Float32, pl.Float64, pl.Null),
    "bool": lambda t: t in (pl.Boolean, pl.Null),
    "enum": lambda t: t in (pl.String, pl.Categorical, pl.Null) or isinstance(t, pl.Enum),
}
_TYPE_WORDS = {"int": "whole numbers", "float": "numbers", "bool": "true/false values",
               "enum": "text"}
_CSV_TYPES: dict[str, pl.DataType] = {"int": pl.Int64(), "float": pl.Float64(),
                                      "bool": pl.Boolean(), "enum": pl.String()}


def file_format(path: Path, role: str) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CohortError(f"{role} {path}: unknown file type {path.suffix or '(none)'!r}; "
                          "use .parquet or .csv")
    return fmt


@dataclass(frozen=True)
class Source:
    """A checked input file, with how to read it into the vocabulary."""

    path: Path
    format: str
    columns: tuple[str, ...]  # the columns the output keeps, in order
    raw_columns: tuple[str, ...]  # the file's columns (after a mapping's `names`)
    mapping: Mapping | None
    units_si: bool
    # CSV columns read as text only because some cells are blank or padded with spaces
    # (every other value is of the field's type): trimmed and typed while reading.
    padded: tuple[str, ...] = ()

    @property
    def needs_preparing(self) -> bool:
        """True when values must be renamed, recoded, trimmed or converted before any engine."""
        return self.mapping is not None or self.units_si or bool(self.padded)

    def vocabulary_columns(self) -> list[str]:
        return [c for c in self.columns if c in FIELD_BY_NAME]


SNIFF_BYTES = 64 * 1024


def _check_text(path: Path) -> None:
    """A CSV must be text: a NUL byte means a binary file (which Polars reads as 0 rows)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise CohortError(f"input {path}: cannot be read: {exc.strerror or exc}") from None
    if b"\x00" in head:
        raise CohortError(f"input {path}: is a binary file, not a CSV text file")


def open_source(path: str | Path, *, mapping: Mapping | None = None, units_si: bool = False,
                reserved: AbstractSet[str] = frozenset()) -> Source:
    """Check an input file (schema only; values are checked while reading)."""
    path = Path(path)
    fmt = file_format(path, "input")
    if not path.is_file():
        raise CohortError(f"input {path}: no such file")
    if fmt == "csv":
        _check_text(path)
    schema = _raw_schema(path, fmt, mapping)
    raw = tuple(schema)
    columns = list(schema)
    if mapping is not None:
        for column in mapping.columns:
            _source_name(column, columns, path)
        columns += [c.target for c in mapping.columns if c.target not in columns]
    clash = sorted(set(columns) & reserved)
    if clash:
        raise CohortError(f"input {path}: column(s) {', '.join(clash)} are written by the cohort "
                          "run; rename them in the input or with --map")
    mapped = {c.target for c in mapping.columns} if mapping else set()
    padded: list[str] = []
    for name, dtype in schema.items():
        spec = FIELD_BY_NAME.get(name)
        if spec is None or name in mapped or (units_si and name in SI_FACTORS):
            continue
        if not _ACCEPTS[spec.type](dtype):
            line = first_bad_line(path, name, spec.type, mapping) if fmt == "csv" else None
            if fmt == "csv" and line is None:
                # Every value is of the type once trimmed; blank cells are unknown values.
                padded.append(name)
                continue
            where = f" (first at line {line})" if line else ""
            raise CohortError(f"input {path}: column {name} holds {dtype}{where}; expected "
                              f"{_TYPE_WORDS[spec.type]} ({spec.accepted})")
    if units_si:
        for name in SI_FACTORS:
            if name in schema and not _ACCEPTS["float"](schema[name]):
                raise CohortError(f"input {path}: column {name} holds {schema[name]}; expected "
                                  "numbers")
    return Source(path, fmt, tuple(columns), raw, mapping, units_si, tuple(padded))


def _raw_schema(path: Path, fmt: str, mapping: Mapping | None) -> dict[str, pl.DataType]:
    try:
        if fmt == "parquet":
            schema = dict(pl.read_parquet_schema(path))
        else:
            schema = dict(_scan_csv(path, mapping, {}).collect_schema())
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise CohortError(f"input {path}: cannot be read as {fmt.upper()}: "
                          f"{_first_line(exc)}") from None
    if not schema:
        raise CohortError(f"input {path}: has no columns")
    if mapping is not None and mapping.names is not None:
        if len(mapping.names) != len(schema):
            raise CohortError(f"mapping {mapping.path}: `names` lists {len(mapping.names)} names "
                              f"but {path} has {len(schema)} columns")
        schema = dict(zip(mapping.names, schema.values()))
    return schema


def first_bad_line(path: Path, column: str, kind: str, mapping: Mapping | None) -> int | None:
    """The file line (1 = the header) of the first value of `column` that is not of `kind`."""
    try:
        frame = _scan_csv(path, mapping, {}).collect_schema()
        text = _scan_csv(path, mapping, {n: pl.String() for n in frame.names()})
        value = pl.col(column).str.strip_chars()
        if kind == "bool":
            bad = ~value.str.to_lowercase().is_in(["true", "false"])
        else:
            bad = value.cast(_CSV_TYPES[kind], strict=False).is_null()
        found = (text.with_row_index("livertx_row").filter(value.is_not_null() & (value != "") & bad)
                 .select("livertx_row").head(1).collect())
    except (pl.exceptions.PolarsError, OSError):
        return None
    return int(found["livertx_row"][0]) + 2 if found.height else None


def with_line(source: Source, exc: CohortError) -> CohortError:
    """The error, naming the CSV line of the first unreadable value when it is about one."""
    if source.format != "csv" or "could not parse" not in str(exc) or source.mapping is not None:
        return exc
    for name in source.vocabulary_columns():
        line = first_bad_line(source.path, name, FIELD_BY_NAME[name].type, None)
        if line:
            return CohortError(f"{exc} (column {name}, line {line})")
    return exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _source_name(column: ColumnMap, columns: list[str], path: Path) -> str:
    if column.position is not None:
        if column.position >= len(columns):
            raise CohortError(f"mapping: columns.{column.target}.position {column.position} is "
                              f"past the last column of {path} ({len(columns) - 1})")
        return columns[column.position]
    if column.source not in columns:
        raise CohortError(f"mapping: columns.{column.target}.from {column.source!r} is not a "
                          f"column of {path}")
    return column.source


def _scan_csv(path: Path, mapping: Mapping | None,
              overrides: dict[str, pl.DataType]) -> pl.LazyFrame:
    nulls = list(mapping.missing) if mapping else []
    return pl.scan_csv(path, null_values=nulls or None, schema_overrides=overrides or None,
                       infer_schema_length=10_000)


def scan(source: Source) -> pl.LazyFrame:
    """The source as a lazy table: kept columns, vocabulary columns in usable types."""
    raw = list(source.raw_columns)
    if source.format == "parquet":
        frame = pl.scan_parquet(source.path)
    else:
        original = list(_scan_csv(source.path, source.mapping, {}).collect_schema())
        wanted: dict[str, pl.DataType] = {}
        if source.mapping is None:
            wanted = {c: _CSV_TYPES[FIELD_BY_NAME[c].type] for c in raw if c in FIELD_BY_NAME}
            if source.units_si:
                wanted.update({c: pl.Float64() for c in SI_FACTORS if c in raw})
        else:
            wanted = {_source_name(m, raw, source.path): pl.String()
                      for m in source.mapping.columns}
        wanted.update({c: pl.String() for c in source.padded})
        types = {o: wanted[n] for o, n in zip(original, raw) if n in wanted}
        frame = _scan_csv(source.path, source.mapping, types)
    if source.mapping is not None and source.mapping.names is not None:
        frame = frame.rename(dict(zip(frame.collect_schema().names(), raw)))
    if source.padded:
        frame = frame.with_columns([_trimmed(c) for c in source.padded])
    if source.mapping is not None:
        frame = frame.with_columns(
            [_mapped(m, _source_name(m, raw, source.path), source.mapping)
             for m in source.mapping.columns])
    if source.units_si:
        frame = frame.with_columns(
            [_converted(pl.col(c).cast(pl.Float64), factor).alias(c)
             for c, factor in SI_FACTORS.items() if c in source.columns])
    return frame.select(source.columns)


def _trimmed(name: str) -> pl.Expr:
    """A CSV text column of a field, trimmed, a blank cell unknown, read as the field's type."""
    kind = FIELD_BY_NAME[name].type
    value = pl.col(name).str.strip_chars()
    value = pl.when(value != "").then(value)
    if kind == "bool":
        lowered = value.str.to_lowercase()
        return pl.when(lowered == "true").then(True).when(lowered == "false").then(False).alias(name)
    return value.cast(_CSV_TYPES[kind]).alias(name)


def _mapped(column: ColumnMap, source_name: str, mapping: Mapping) -> pl.Expr:
    spec = FIELD_BY_NAME[column.target]
    dtype = {"int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean, "enum": pl.String}[spec.type]
    value = pl.col(source_name)
    if column.values is not None:
        value = value.cast(pl.String).str.strip_chars().replace_strict(
            column.values, return_dtype=dtype)
    elif spec.type != "bool":
        value = value.cast(dtype)
    factor = mapping.unit_factor(column)
    if factor != 1.0:
        value = _converted(value.cast(pl.Float64), factor)
    return value.alias(column.target)


def _converted(value: pl.Expr, factor: float) -> pl.Expr:
    """`value * factor` rounded exactly as `livertx.units.to_canonical` rounds (Python's
    correctly rounded `round`), computed once per distinct value."""

    def exact(series: pl.Series) -> pl.Series:
        distinct = series.drop_nulls().unique()
        rounded = [round(v * factor, CONVERTED_DECIMALS) for v in distinct.to_list()]
        return series.replace_strict(distinct, rounded, default=None, return_dtype=pl.Float64)

    return value.map_batches(exact, return_dtype=pl.Float64)


def check_mapped_values(source: Source) -> None:
    """Every value a mapping recodes is listed (checked on the distinct values only)."""
    if source.mapping is None:
        return
    frame = scan_raw(source)
    for column in source.mapping.columns:
        if column.values is None:
            continue
        name = _source_name(column, list(source.raw_columns), source.path)
        try:
            seen = (frame.select(pl.col(name).cast(pl.String).str.strip_chars().unique())
                    .collect().to_series().drop_nulls().to_list())
        except pl.exceptions.PolarsError as exc:
            raise CohortError(f"input {source.path}: {_first_line(exc)}") from None
        unlisted = sorted(set(seen) - set(column.values))
        if unlisted:
            raise CohortError(f"mapping {source.mapping.path}: columns.{column.target} does not "
                              f"say what to do with value(s) {', '.join(map(repr, unlisted))} of "
                              f"column {name!r}; list them under `values` (null for unknown)")


def scan_raw(source: Source) -> pl.LazyFrame:
    """The source columns as read (header names replaced), before any mapping."""
    if source.format == "parquet":
        frame = pl.scan_parquet(source.path)
    else:
        frame = _scan_csv(source.path, source.mapping, {})
        names = frame.collect_schema().names()
        frame = _scan_csv(source.path, source.mapping, {n: pl.String() for n in names})
    if source.mapping is not None and source.mapping.names is not None:
        frame = frame.rename(dict(zip(frame.collect_schema().names(), source.mapping.names)))
    return frame


_PARTIALS: set[Path] = set()
_PARTIALS_LOCK = threading.Lock()


@contextlib.contextmanager
def partial_file(path: Path) -> Iterator[Path]:
    """Registers a file being written, so a signal can remove it (`remove_partials`)."""
    with _PARTIALS_LOCK:
        _PARTIALS.add(path)
    try:
        yield path
    finally:
        with _PARTIALS_LOCK:
            _PARTIALS.discard(path)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def remove_partials() -> None:
    """Delete every partly written file (from a signal handler, before exiting)."""
    for path in list(_PARTIALS):
        with contextlib.suppress(OSError):
            path.unlink()


def _usual_mode(path: Path) -> int:
    """An existing output's mode, else what a new file gets under the umask (not 0600)."""
    with contextlib.suppress(OSError):
        return path.stat().st_mode & 0o7777
    with _PARTIALS_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def check_output(path: Path, *inputs: Path) -> None:
    """An output must be a writable file path in an existing folder, and none of the inputs."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CohortError(f"output {path}: is a folder; give a file name")
    if not folder.is_dir():
        raise CohortError(f"output {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CohortError(f"output {path}: cannot write in folder {folder} (permission denied)")
    for other in inputs:
        same = path.resolve() == other.resolve()
        with contextlib.suppress(OSError):
            same = same or os.path.samefile(path, other)
        if same:
            raise CohortError(f"output {path}: is the same file as {other}; writing it would "
                              "replace the input. Choose another output name")


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """A temporary path in the output's folder, renamed to `path` only on success."""
    path = Path(path)
    check_output(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise CohortError(f"output {path}: cannot write in {folder}: {exc.strerror}") from None
    os.close(handle)
    with partial_file(Path(temporary)) as temp:
        yield temp
        try:
            os.chmod(temp, _usual_mode(path))
            os.replace(temp, path)
        except OSError as exc:
            raise CohortError(f"output {path}: cannot be written: {exc.strerror}") from None


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file by replacing it: a symlink at `path` is replaced, never followed."""
    with atomic_output(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def for_csv(frame: pl.LazyFrame) -> pl.LazyFrame:
    """List columns as text (CSV has no lists): items joined by `|`."""
    schema = frame.collect_schema()
    return frame.with_columns(
        [pl.col(n).list.join(LIST_SEPARATOR) for n, t in schema.items()
         if isinstance(t, pl.List)])


__all__ = ["LIST_SEPARATOR", "Source", "atomic_output", "check_mapped_values", "check_output",
           "file_format", "for_csv", "open_source", "partial_file", "remove_partials", "scan",
           "scan_raw", "with_line", "write_text_atomic"]
