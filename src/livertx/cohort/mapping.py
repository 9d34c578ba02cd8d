"""`--map mapping.yaml`: read a cohort laid out in another way into the vocabulary.

Format (every key optional except `columns`):

```yaml
missing: ["?", "NA"]         # cell values read as unknown (in addition to empty cells)
names: [gender, symptoms]    # replace the file's header row, by position (all columns)
columns:                     # vocabulary name -> where its values come from
  cirrhosis:
    from: cirrhosis          # a source column name (after `names`), or
    # position: 7            # a 0-based source column position
    values: {"1": true, "0": false}   # recode: source value (as text) -> vocabulary value;
                                      # a value not listed is an error in that row,
                                      # `null` makes it unknown
  bilirubin: {from: total_bilirubin, unit: umol/L}   # converted to mg/dL (or g/L -> g/dL)
  tumor_count: {from: nodules}                       # copied and checked as it is
```

Source columns are kept in the output under their (possibly renamed) names; each mapped
vocabulary column is added beside them. Values are compared as trimmed text, so `1`,
`1.0` and ` 1` are different source values: list each spelling the file uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from livertx.cohort.errors import CohortError
from livertx.units import AFP_UNITS, ALBUMIN_UNITS, BILIRUBIN_UNITS, CREATININE_UNITS, SODIUM_UNITS
from livertx.vocabulary import FIELD_BY_NAME

_UNITS = {"bilirubin": BILIRUBIN_UNITS, "albumin": ALBUMIN_UNITS, "creatinine": CREATININE_UNITS,
          "sodium": SODIUM_UNITS, "afp": AFP_UNITS}
_KEYS = {"from", "position", "values", "unit"}


@dataclass(frozen=True)
class ColumnMap:
    target: str
    source: str | None = None
    position: int | None = None
    values: dict[str, Any] | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Mapping:
    columns: tuple[ColumnMap, ...]
    missing: tuple[str, ...] = ()
    names: tuple[str, ...] | None = None
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def unit_factor(self, column: ColumnMap) -> float:
        if column.unit is None:
            return 1.0
        return _UNITS[column.target][column.unit.replace(" ", "").lower()]


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; every problem names the key at fault."""
    where = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CohortError(f"cannot read mapping {where}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise CohortError(f"mapping {where} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
        raise CohortError(f"mapping {where}: expected a `columns:` section "
                          "(vocabulary name -> {from: source column})")
    unknown_top = set(data) - {"columns", "missing", "names", "description", "notes"}
    if unknown_top:
        raise CohortError(f"mapping {where}: unknown key(s) {sorted(unknown_top)}; known keys "
                          "are columns, missing, names, description, notes")
    columns = tuple(_column(where, target, spec) for target, spec in data["columns"].items())
    missing = data.get("missing") or []
    names = data.get("names")
    if not isinstance(missing, list) or names is not None and not isinstance(names, list):
        raise CohortError(f"mapping {where}: `missing` and `names` must be lists")
    return Mapping(columns, tuple(str(m) for m in missing),
                   tuple(str(n) for n in names) if names is not None else None, where)


def _column(where: str, target: str, spec: Any) -> ColumnMap:
    if target not in FIELD_BY_NAME:
        raise CohortError(f"mapping {where}: columns.{target} is not a vocabulary field; "
                          f"known fields are: {', '.join(FIELD_BY_NAME)}")
    if isinstance(spec, str):
        spec = {"from": spec}
    if not isinstance(spec, dict) or set(spec) - _KEYS:
        raise CohortError(f"mapping {where}: columns.{target} must be a source name or a mapping "
                          f"with keys {sorted(_KEYS)}")
    if ("from" in spec) == ("position" in spec):
        raise CohortError(f"mapping {where}: columns.{target} needs exactly one of `from` "
                          "(source column name) or `position` (0-based column number)")
    position = spec.get("position")
    if position is not None and (not isinstance(position, int) or position < 0):
        raise CohortError(f"mapping {where}: columns.{target}.position must be a whole number "
                          "from 0")
    values = spec.get("values")
    if values is not None and not isinstance(values, dict):
        raise CohortError(f"mapping {where}: columns.{target}.values must map source values to "
                          "vocabulary values")
    unit = spec.get("unit")
    if unit is not None:
        units = _UNITS.get(target)
        if units is None or str(unit).replace(" ", "").lower() not in units:
            accepted = ", ".join(sorted(units)) if units else "none (only bilirubin, albumin, creatinine, sodium and afp)"
            raise CohortError(f"mapping {where}: columns.{target}.unit {unit!r} is not known; "
                              f"accepted: {accepted}")
    return ColumnMap(target, spec.get("from"), position,
                     {_text(k): v for k, v in values.items()} if values else None,
                     str(unit) if unit is not None else None)


def _text(value: Any) -> str:
    """Source values are matched as text: YAML's 1 and "1" are the same key."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


__all__ = ["ColumnMap", "Mapping", "load_mapping"]
