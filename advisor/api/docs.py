"""The OpenAPI docs page, served offline: Swagger UI's script, style and icon come from an installed package
(fastapi-offline, which ships Swagger UI 5, the first major version that renders the OpenAPI 3.1 FastAPI
writes), never from a CDN."""
from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"


def swagger_assets():
    """The folder holding swagger-ui-bundle.js and swagger-ui.css, or None when fastapi-offline is missing."""
    try:
        folder = resources.files("fastapi_offline") / "static"
    except ModuleNotFoundError:
        return None
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def add_offline_docs(app: FastAPI) -> None:
    """GET /docs with its assets under /docs-assets; without the assets package, /docs says how to get it."""
    folder = swagger_assets()
    if folder is not None:
        app.mount(ASSETS_URL, StaticFiles(directory=str(folder)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        if folder is None:
            return JSONResponse({"error": "the docs page needs the fastapi-offline package (pip install "
                                          "fastapi-offline); the schema is at /openapi.json", "detail": None},
                                status_code=404)
        # validatorUrl null: Swagger UI would otherwise send the schema to validator.swagger.io.
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} docs",
                                   swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
                                   swagger_ui_parameters={"validatorUrl": None})
