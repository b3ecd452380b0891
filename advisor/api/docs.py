"""The OpenAPI docs page, served offline: Swagger UI's script and style come from an installed package, never a CDN."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles


def add_offline_docs(app: FastAPI) -> None:
    """GET /docs with assets under /docs-assets; without the assets package, /docs says how to get it."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        swagger_ui_path = None
    if swagger_ui_path is not None:
        app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        if swagger_ui_path is None:
            from fastapi.responses import JSONResponse

            return JSONResponse({"error": "the docs page needs the swagger-ui-bundle package; the schema is at "
                                          "/openapi.json", "detail": None}, status_code=404)
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} docs",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")
