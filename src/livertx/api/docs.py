"""The API docs (`/docs`, Swagger UI; `/redoc`, ReDoc) served from this server, not a CDN.

The Swagger UI and ReDoc files come from the `fastapi-offline` package (Swagger UI 5, which
reads OpenAPI 3.1); the page starts them with a script file of ours (`static/docs.js`), so
no inline script is needed and the docs work with no internet at all.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

ASSETS = Path(str(files("fastapi_offline") / "static"))
SERVED = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
          "swagger-ui.css": "text/css; charset=utf-8",
          "redoc.standalone.js": "text/javascript; charset=utf-8",
          "favicon.png": "image/png"}
ASSET_PATH = "/docs/assets"

router = APIRouter(include_in_schema=False)


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{ASSET_PATH}/favicon.png">
{head}
</head>
<body>
{body}
</body>
</html>
""")


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui() -> HTMLResponse:
    return _page("livertx API - Swagger UI",
                 f'<link rel="stylesheet" href="{ASSET_PATH}/swagger-ui.css">',
                 f'<main id="swagger-ui" data-openapi="/openapi.json"></main>\n'
                 f'<script src="{ASSET_PATH}/swagger-ui-bundle.js"></script>\n'
                 '<script src="/static/docs.js"></script>')


@router.get("/redoc", response_class=HTMLResponse)
async def redoc() -> HTMLResponse:
    return _page("livertx API - ReDoc", "",
                 f'<redoc spec-url="/openapi.json"></redoc>\n'
                 f'<script src="{ASSET_PATH}/redoc.standalone.js"></script>')


@router.get(ASSET_PATH + "/{name}")
async def asset(name: str) -> Response:
    """The Swagger UI and ReDoc files (a fixed list; no paths)."""
    if name not in SERVED:
        return Response("Not found", status_code=404, media_type="text/plain")
    return FileResponse(ASSETS / name, media_type=SERVED[name],
                        headers={"Cache-Control": "public, max-age=86400"})
