"""The pages and assets the UI mounts on the API's app, checked over HTTP without a browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from flperf.api import create_app
from flperf.bench.metric_catalog import metrics
from flperf.service import Settings


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings.from_env(background=False))) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/", "/models", "/benchmarks", "/sweeps", "/results", "/compare"])
def test_each_page_is_html_with_the_navigation_and_its_script(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.count('aria-current="page"') == 1
    script = response.text.split('src="/static/js/pages/')[1].split('"')[0].split("?")[0]
    assert client.get(f"/static/js/pages/{script}").status_code == 200


def test_page_links_its_json_twin(client: TestClient) -> None:
    text = client.get("/results?run=run_abc").text
    assert (
        '<link rel="alternate" type="application/json" href="/api/benchmarks/runs/run_abc">' in text
    )
    # The tables' columns come from the metric catalogue, linked too.
    assert '<link rel="alternate" type="application/json" href="/api/metrics">' in text
    served = client.get("/api/metrics").json()["metrics"]
    assert [m["key"] for m in served] == [m.key for m in metrics()]


def test_query_text_is_escaped_in_the_page(client: TestClient) -> None:
    text = client.get("/compare", params={"runs": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in text
    assert "%3Cscript%3E" in text


def test_every_module_a_page_imports_is_served(client: TestClient) -> None:
    import re

    from flperf.web.assets import STATIC_DIR

    for module in sorted(STATIC_DIR.glob("js/**/*.js")):
        source = module.read_text(encoding="utf-8")
        for target in re.findall(r'from "(\.{1,2}/[^"]+)"', source):
            url = "/static/" + (module.parent / target).resolve().relative_to(STATIC_DIR).as_posix()
            assert client.get(url).status_code == 200, f"{module.name} imports missing {target}"


def test_plotly_bundle_comes_from_the_plotly_package(client: TestClient) -> None:
    response = client.get("/vendor/plotly.min.js")
    assert response.status_code == 200
    assert "plotly.js v" in response.text[:200]


def test_scripts_are_revalidated_so_an_upgrade_never_runs_stale_modules(client: TestClient) -> None:
    first = client.get("/static/js/api.js")
    assert first.headers["cache-control"] == "no-cache"
    again = client.get("/static/js/api.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
