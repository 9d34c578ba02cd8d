"""The JSON Schema of a patient in the vocabulary, generated from `livertx.vocabulary.FIELDS`.

One description of each field (type, range, accepted values) feeds the API docs, so the
OpenAPI document cannot drift from what the parser accepts.
"""

from __future__ import annotations

from typing import Any

from livertx.vocabulary import FIELDS, FieldSpec

UNIT_EXAMPLES = {"bilirubin": "40 umol/L", "albumin": "30 g/L"}


def _field(spec: FieldSpec) -> dict[str, Any]:
    doc = {"title": spec.label, "description": f"{spec.help} ({spec.kind}"
           + (f", default {str(spec.default).lower()})" if spec.kind == "qualifier" else ", "
              "unknown when left out)")}
    if spec.type == "bool":
        return {**doc, "type": "boolean"}
    if spec.type == "enum":
        words = list(spec.values) + [a for a in spec.aliases if a not in spec.values]
        schema: dict[str, Any] = {**doc, "type": "string", "enum": words}
        if spec.name == "encephalopathy":
            return {**doc, "anyOf": [{"type": "string", "enum": words},
                                     {"type": "integer", "minimum": 0, "maximum": 4}]}
        return schema
    number: dict[str, Any] = {"type": "integer" if spec.type == "int" else "number",
                              "maximum": spec.maximum}
    number["exclusiveMinimum" if spec.exclusive_minimum else "minimum"] = spec.minimum
    if spec.name in UNIT_EXAMPLES:
        text = {"type": "string", "description": f"a value with its unit, e.g. "
                f"{UNIT_EXAMPLES[spec.name]!r}", "examples": [UNIT_EXAMPLES[spec.name]]}
        return {**doc, "anyOf": [number, text]}
    return {**doc, **number}


def patient_schema() -> dict[str, Any]:
    """Patient JSON: every vocabulary field optional; unknown keys rejected."""
    properties: dict[str, Any] = {
        "tumors": {"type": "array", "minItems": 1, "maxItems": 50, "title": "Tumors",
                   "description": "Each liver tumour's largest diameter; gives tumor_count and "
                                  "largest_tumor_cm",
                   "items": {"type": "object", "additionalProperties": False,
                             "required": ["size_cm"],
                             "properties": {"size_cm": {"type": "number", "exclusiveMinimum": 0,
                                                        "maximum": 30}}}},
    }
    properties.update({spec.name: _field(spec) for spec in FIELDS})
    return {"type": "object", "title": "Patient", "additionalProperties": False,
            "properties": properties,
            "example": {"tumors": [{"size_cm": 2.5}], "vascular_invasion": False,
                        "lymph_node_spread": False, "distant_spread": False, "cirrhosis": True,
                        "bilirubin": "15 umol/L", "albumin": 3.9, "inr": 1.1, "ascites": "none",
                        "encephalopathy": "none", "fit_for_surgery": True}}


def bundle_schema() -> dict[str, Any]:
    """A FHIR R4 Bundle, as far as OpenAPI can say it (the FHIR models check the rest)."""
    return {"type": "object", "title": "FHIR R4 Bundle", "required": ["resourceType", "type"],
            "properties": {"resourceType": {"type": "string", "enum": ["Bundle"]},
                           "type": {"type": "string",
                                    "enum": ["collection", "searchset", "transaction"]},
                           "entry": {"type": "array", "items": {"type": "object"}}},
            "description": "Observations and Conditions of one patient; see docs/cds-hooks.md for "
                           "the codes read."}
