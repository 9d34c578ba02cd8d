"""The errors livertx raises, each naming what a person must fix.

    LivertxError
    ├── InvalidInput        one or more fields rejected (field, message) pairs
    ├── PackError           a knowledge pack failed validation (file, row, reason)
    └── FhirError           a FHIR bundle could not be read or mapped
"""

from __future__ import annotations

from dataclasses import dataclass


class LivertxError(Exception):
    """Base of every error livertx raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidInput(LivertxError):
    """Rejected input; `errors` lists every bad field with the accepted range or values."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class PackError(LivertxError):
    """A knowledge pack that does not validate."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class FhirError(LivertxError):
    """A FHIR resource or bundle that cannot be used."""
