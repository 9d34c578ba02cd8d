"""The typed contract (`livertx.assess`), from the same builder as the JSON.

Validating the twelve or so option entries into pydantic models took about half of a
typed assessment. An entry depends only on its key (`livertx.engine.assess.OptionEntry`),
so its model is validated once per entry and missing facts and then shared between
results; pydantic does not validate a model instance again when it is given one. Shared
means read-only: the option models are frozen (`livertx.contract`) and their lists and
dicts are `livertx.readonly`'s, so a caller who changes one result cannot change another.
The rest of the result (category, derived values, patient, ...) is validated per call.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from livertx.contract import Assessment, OptionFit
from livertx.engine.assess import OptionEntry, explained
from livertx.engine.rows import evaluate_row
from livertx.knowledge.pack import Pack
from livertx.patient import Patient, parse_patient
from livertx.readonly import ReadOnlyDict, ReadOnlyList

MODELS_PER_ENTRY = 16  # by missing facts (only an unknown fit has any)


def assess_typed(patient: Patient | dict[str, Any], pack: Pack) -> Assessment:
    """`livertx.engine.assess.assess`, as the typed `Assessment` (the same content)."""
    if not isinstance(patient, Patient):
        patient = parse_patient(patient)
    out, options = explained(evaluate_row(patient.facts(), pack), pack, patient)
    out["options"] = [_model(entry, missing) for entry, missing in options]
    return Assessment.model_validate(out)


def _model(entry: OptionEntry, missing: list[str]) -> OptionFit:
    """The entry's shared, read-only model (validated the first time it is asked for)."""
    key = tuple(missing)
    model: OptionFit | None = entry.typed.get(key)
    if model is None:
        model = _read_only(OptionFit.model_validate(entry.as_dict(missing)))
        if len(entry.typed) < MODELS_PER_ENTRY:
            entry.typed[key] = model
    return model


def _read_only(value: Any) -> Any:
    """The value with its lists and dicts made read-only, inside models too (a frozen
    model's fields are set once here, before the model is shared)."""
    if isinstance(value, BaseModel):
        for name, field in value.__dict__.items():
            value.__dict__[name] = _read_only(field)
        return value
    if isinstance(value, list):
        return ReadOnlyList(_read_only(x) for x in value)
    if isinstance(value, dict):
        return ReadOnlyDict({k: _read_only(x) for k, x in value.items()})
    return value


__all__ = ["assess_typed"]
