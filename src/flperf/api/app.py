"""The FastAPI application: spec/api.md under `/api`, OpenAPI docs at `/api/docs`.

`create_app(settings)` opens the services (migrating the database) and owns their lifecycle:
they start with the application and close with it (runs cancelled, hosts stopped). The web UI
mounts its pages through `flperf.web.mount(app, services)` when that package is installed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from flperf import __version__
from flperf.api import (
    routes_benchmarks,
    routes_cache,
    routes_metrics,
    routes_models,
    routes_sweeps,
    routes_system,
)
from flperf.api.errors import install_error_handlers
from flperf.api.limits import LOCAL_ORIGINS, BodySizeLimit
from flperf.api.methods import HeadAsGet
from flperf.service import Services, Settings, open_services

API_PREFIX = "/api"


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The application for `settings` (default: from the environment).

    Pass `services` to share ones already opened; the application still starts and closes them.
    """
    settings = settings or Settings.from_env()
    services = services or open_services(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        services.start()
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="FLPerformance",
        version=__version__,
        description="Benchmark local LLMs served by Foundry Local or any OpenAI-compatible server.",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.settings = settings
    install_error_handlers(app)
    for module in (routes_models, routes_benchmarks, routes_system, routes_metrics, routes_cache):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(routes_sweeps.router, prefix=API_PREFIX)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={f"{API_PREFIX}/benchmarks/runs/import": settings.max_document_bytes},
    )
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=LOCAL_ORIGINS,
        allow_origins=list(settings.cors_origins),
        allow_methods=["*"],
        allow_headers=["*"],
    )
    if importlib.util.find_spec("flperf.web") is not None:
        from flperf.web import mount

        mount(app, services)
    return app
