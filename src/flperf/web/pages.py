"""Page routes: each renders one screen's layout; its script loads the data from `/api`."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from flperf import __version__
from flperf.bench.run_config import config_bounds
from flperf.web.assets import TEMPLATES_DIR


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str


NAV: tuple[NavItem, ...] = (
    NavItem("dashboard", "Dashboard", "/"),
    NavItem("models", "Models", "/models"),
    NavItem("benchmarks", "Benchmarks", "/benchmarks"),
    NavItem("sweeps", "Sweeps", "/sweeps"),
    NavItem("results", "Results", "/results"),
    NavItem("compare", "Compare", "/compare"),
)


def input_limits(setting: str) -> Markup:
    """` min=".." max=".."` of a number input, from the run settings' one set of bounds."""
    bound = config_bounds()[setting]
    low = bound.minimum if bound.minimum is not None else bound.exclusive_minimum
    attrs = "".join(
        f' {name}="{value}"'
        for name, value in (("min", low), ("max", bound.maximum))
        if value is not None
    )
    return Markup(attrs)  # numbers only: nothing to escape


def templates() -> Jinja2Templates:
    """Jinja2 templates with autoescaping on for every file (user text is never trusted)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(nav=NAV, version=__version__, limits=input_limits)
    return Jinja2Templates(env=env)


def page_router() -> APIRouter:
    """The pages. `json` lists the API routes a page shows (its JSON twins)."""
    router = APIRouter(include_in_schema=False)
    pages = templates()

    def render(request: Request, name: str, page: str, title: str, json: list[str]) -> HTMLResponse:
        context = {"page": page, "title": title, "json_twins": json}
        return pages.TemplateResponse(request, name, context)

    @router.get("/", response_class=HTMLResponse)
    def dashboard(request: Request) -> HTMLResponse:
        return render(
            request,
            "dashboard.html",
            "dashboard",
            "Dashboard",
            ["/api/system/stats", "/api/system/health", "/api/models", "/api/benchmarks/runs"],
        )

    @router.get("/models", response_class=HTMLResponse)
    def models(request: Request) -> HTMLResponse:
        return render(
            request,
            "models.html",
            "models",
            "Models",
            ["/api/models", "/api/models/available", "/api/cache/location", "/api/cache/models"],
        )

    @router.get("/benchmarks", response_class=HTMLResponse)
    def benchmarks(request: Request) -> HTMLResponse:
        return render(
            request,
            "benchmarks.html",
            "benchmarks",
            "Benchmarks",
            ["/api/benchmarks/suites", "/api/benchmarks/runs"],
        )

    @router.get("/sweeps", response_class=HTMLResponse)
    def sweeps(request: Request, sweep: str | None = None) -> HTMLResponse:
        twins = [f"/api/benchmarks/sweeps/{quote(sweep, safe='')}"] if sweep else []
        return render(
            request, "sweeps.html", "sweeps", "Sweeps", [*twins, "/api/benchmarks/sweeps"]
        )

    @router.get("/results", response_class=HTMLResponse)
    def results(request: Request, run: str | None = None) -> HTMLResponse:
        twins = [f"/api/benchmarks/runs/{quote(run, safe='')}"] if run else []
        return render(
            request,
            "results.html",
            "results",
            "Results",
            [*twins, "/api/benchmarks/runs", "/api/metrics"],
        )

    @router.get("/compare", response_class=HTMLResponse)
    def compare(request: Request, runs: str | None = None) -> HTMLResponse:
        twins = [f"/api/benchmarks/compare?runs={quote(runs, safe=',')}"] if runs else []
        return render(
            request,
            "compare.html",
            "compare",
            "Compare",
            [*twins, "/api/benchmarks/runs", "/api/metrics"],
        )

    return router
