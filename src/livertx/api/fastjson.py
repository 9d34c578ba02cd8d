"""A JSON response written by orjson, for answers made on every call (the CDS cards).

orjson writes a few KiB of cards in about a microsecond where the standard library takes
tens. What orjson refuses (a lone surrogate in a string) is written by the standard library
with ASCII escapes instead, which is still valid JSON, so the answer is never a 500.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:
            return json.dumps(content, separators=(",", ":")).encode("ascii")
