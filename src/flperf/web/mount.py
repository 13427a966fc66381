"""`mount`: attach the UI's pages, static assets and Plotly bundle to the API's FastAPI app."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from flperf.web.assets import STATIC_DIR, PlotlyMissingError, plotly_js_path
from flperf.web.pages import page_router

if TYPE_CHECKING:
    from flperf.service import Services

log = logging.getLogger(__name__)

PLOTLY_ROUTE = "/vendor/plotly.min.js"


class RevalidatedStaticFiles(StaticFiles):
    """Static files a browser must revalidate (ETag) before reuse, so an upgrade of flperf never
    runs with yesterday's scripts (ES modules import each other without a version in the URL)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount(app: FastAPI, services: Services) -> None:
    """Serve the UI from `app`: pages at `/`, `/models`, `/benchmarks`, `/sweeps`, `/results`,
    `/compare`.

    The pages read their data through the REST API that `app` already serves, so `services` is
    not consulted here; the hook takes it so the UI may render from it without a new contract.
    """
    del services
    try:
        plotly = plotly_js_path()
    except PlotlyMissingError as exc:  # pages still work; their charts say what is missing
        log.warning("charts disabled: %s", exc)
    else:

        async def plotly_js() -> FileResponse:
            return FileResponse(
                plotly,
                media_type="text/javascript",
                headers={"Cache-Control": "public, max-age=86400"},
            )

        app.add_api_route(PLOTLY_ROUTE, plotly_js, methods=["GET"], include_in_schema=False)
    app.include_router(page_router())
    app.mount("/static", RevalidatedStaticFiles(directory=STATIC_DIR), name="static")
