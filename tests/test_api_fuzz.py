"""Fuzz the JSON API and the CDS Hooks routes from their OpenAPI document (schemathesis).

Bounded and deterministic (25 examples per operation, derandomized), in-process through
ASGI. Asserts no 500, documented status codes and content types, and responses that match
their declared schemas. The hook call is included: with no FHIR server listed (the
default) the service fetches from none, whatever `fhirServer` a generated request names.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from livertx.web.app import Settings, create_app

app = create_app(Settings())
schema = (schemathesis.openapi.from_asgi("/openapi.json", app)
          .include(path_regex=r"^/(api|cds-services)"))

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_has_no_server_errors_and_keeps_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
