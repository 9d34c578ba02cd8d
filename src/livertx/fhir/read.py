"""Reading a FHIR R4 Bundle with `fhir.resources` (R4B models) into typed resources.

R4 payloads (mCODE, US Core) parse as R4B for the elements livertx reads. Every failure
becomes a `BundleError` naming where the bundle is wrong, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from livertx.errors import FhirError

ACCEPTED_TYPES = ("collection", "searchset", "transaction")
EPOCH = datetime(1, 1, 1, tzinfo=UTC)  # the time of an undated value: older than any dated one
MAX_ERRORS_SHOWN = 5


class BundleError(FhirError):
    """A bundle livertx cannot use; `where` names the bundle part or resource at fault."""

    def __init__(self, where: str, message: str):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Entry:
    """One resource of the bundle and how to refer to it in messages."""

    ref: str
    resource: Any  # a fhir.resources R4B model
    full_url: str | None = None
    key: str | None = None  # a digest of the resource's JSON, when the caller has one
    # the resource type (asked for many times while mapping): read once, here, when the
    # caller has not read it already (a cached_property took a lock on every first read)
    type: str = ""

    def __post_init__(self) -> None:
        if not self.type:
            object.__setattr__(self, "type", str(self.resource.get_resource_type()))


def parse_bundle(data: Any) -> Any:
    """The R4B Bundle model of a JSON object, or BundleError."""
    from fhir.resources.R4B.bundle import Bundle

    if not isinstance(data, dict):
        raise BundleError("bundle", "expected a JSON object (a FHIR Bundle resource)")
    if data.get("resourceType") != "Bundle":
        raise BundleError("bundle", f"resourceType is {data.get('resourceType')!r}; expected 'Bundle'")
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        raise BundleError("bundle", "not a valid FHIR R4 Bundle: " + _summary(exc)) from None
    except KeyError as exc:  # fhir.resources looks resource types up by name
        raise BundleError("bundle", f"unknown FHIR resource type {exc.args[0]!s}") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is the bundle's fault, not a 500
        raise BundleError("bundle", f"not a valid FHIR R4 Bundle ({type(exc).__name__}: {exc})") from None
    if bundle.type not in ACCEPTED_TYPES:
        raise BundleError("bundle.type", f"{bundle.type!r} is not accepted; expected one of "
                          + ", ".join(ACCEPTED_TYPES))
    return bundle


def resource_model(data: Any) -> Any:
    """One resource (a JSON object) as its R4B model, or BundleError naming it."""
    from fhir.resources.R4B import get_fhir_model_class

    if not isinstance(data, dict):
        raise BundleError("resource", "expected a JSON object (a FHIR resource)")
    kind = data.get("resourceType")
    name = f"{kind}/{data.get('id')}" if data.get("id") else f"a {kind} resource"
    try:
        model = get_fhir_model_class(str(kind))
    except (KeyError, ValueError, AttributeError):
        raise BundleError(name, f"unknown FHIR resource type {kind!r}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BundleError(name, "not a valid FHIR R4 resource: " + _summary(exc)) from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is the record's fault, not a 500
        raise BundleError(name, f"not a valid FHIR R4 resource ({type(exc).__name__}: "
                                f"{exc})") from None


def model_entries(models: list[Any], keys: list[str] | None = None) -> list[Entry]:
    """Entries of loose resources (a CDS prefetch) already validated by `resource_model`;
    Bundles among them are flattened. `keys`: each resource's digest (it lets the mapping
    reuse what it read from the same resource before)."""
    out: list[Entry] = []
    for i, resource in enumerate(models):
        out += resource_entries(resource, i, keys[i] if keys else None)
    return out


def resource_entries(resource: Any, i: int, key: str | None = None) -> list[Entry]:
    """The entries of the `i`-th loose resource (`model_entries` of one): a Bundle's
    resources, or the resource itself. Only a Bundle's or an id-less resource's names
    depend on `i` (see `index_free`)."""
    kind = resource.get_resource_type()
    if kind == "Bundle":
        return entries(resource, f"resource[{i}].entry")
    rid = getattr(resource, "id", None)
    return [Entry(f"{kind}/{rid}" if rid else f"resource[{i}] {kind}", resource, key=key,
                  type=str(kind))]


def index_free(resource: Any) -> bool:
    """Whether `resource_entries` names this resource the same at any position."""
    return resource.get_resource_type() != "Bundle" and bool(getattr(resource, "id", None))


def _summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:MAX_ERRORS_SHOWN]:
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        message = str(err.get("msg", "invalid")).splitlines()[0].strip()
        parts.append(f"{loc or 'bundle'}: {message}")
    more = len(exc.errors()) - MAX_ERRORS_SHOWN
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def entries(bundle: Any, prefix: str = "entry") -> list[Entry]:
    """Every resource in the bundle, nested Bundles (searchsets in a collection) flattened."""
    out: list[Entry] = []
    for i, entry in enumerate(bundle.entry or []):
        resource = entry.resource
        if resource is None:
            continue
        if resource.get_resource_type() == "Bundle":
            out += entries(resource, f"{prefix}[{i}].resource.entry")
            continue
        rid = getattr(resource, "id", None)
        name = (f"{resource.get_resource_type()}/{rid}" if rid
                else entry.fullUrl or f"{prefix}[{i}] {resource.get_resource_type()}")
        out.append(Entry(str(name), resource, entry.fullUrl))
    return out


def instant(value: Any) -> datetime | None:
    """A FHIR date/dateTime/instant (possibly partial, '2024-05') as an aware datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value)
    try:
        parts = [int(p) for p in text[:10].split("-")]
        parts += [1] * (3 - len(parts))
        return datetime(parts[0], parts[1], parts[2], tzinfo=UTC)
    except (ValueError, IndexError):
        return None


@dataclass(frozen=True)
class When:
    """A resource's effective time: comparable, and as the resource wrote it."""

    at: datetime | None
    text: str | None

    @classmethod
    def of(cls, raw: Any) -> When:
        return cls(instant(raw), text_of(raw))


def text_of(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def codings(concept: Any) -> list[tuple[str, str]]:
    """(system, code) pairs of a CodeableConcept."""
    if concept is None:
        return []
    return [(c.system or "", c.code or "") for c in (concept.coding or []) if c.code]


def first_code(concept: Any, system: str | tuple[str, ...], codes: tuple[str, ...] | dict[str, Any],
               *, prefix: bool = False) -> tuple[str, str] | None:
    """The first coding of `concept` in `system` whose code is listed (ICD-10 by prefix)."""
    systems = (system,) if isinstance(system, str) else system
    for sys_, code in codings(concept):
        if sys_ not in systems:
            continue
        bare = code.replace(".", "").upper()
        for wanted in codes:
            if code == wanted or (prefix and bare.startswith(wanted.replace(".", "").upper())):
                return sys_, code
    return None
