"""`flperf models ...`: the catalog and the configured models of a running `flperf serve`."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from flperf.bench.lifecycle import ModelLifecycle
from flperf.cli.api_client import ApiClient
from flperf.cli.errors import fail
from flperf.cli.tables import lifecycle_cells, results_console

models_app = typer.Typer(
    help="Manage models through a running `flperf serve` (FLPERF_API overrides its address).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
console = results_console()


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


@models_app.command("available")
def available() -> None:
    """Foundry Local catalog: each model with its variants (device, execution provider)."""
    body = ApiClient().call("GET", "/models/available")
    models = {m["id"]: m for m in body["models"]}
    groups = body.get("groups") or [
        {"alias": m["alias"], "variant_ids": [m["id"]]} for m in body["models"]
    ]
    table = Table(
        title=f"Available models: {len(groups)} models, {len(models)} variants",
        header_style="bold",
    )
    for name in ("alias", "variant id", "device", "execution provider", "source", "size MB"):
        table.add_column(name)
    table.add_column("on disk")
    for group in groups:
        variants = [models[i] for i in group["variant_ids"] if i in models]
        for index, m in enumerate(variants):
            size = m.get("size_mb")
            table.add_row(
                group["alias"] if index == 0 else "",
                m["id"],
                _cell(m.get("device")),
                _cell(m.get("execution_provider")),
                _cell(m.get("source")),
                "-" if size is None else f"{size:,.1f}",
                "yes" if m.get("cached") else "no",
                end_section=index == len(variants) - 1,
            )
    console.print(table)
    if body.get("message"):
        console.print(f"public catalog: {body['public_catalog']} ({body['message']})")


@models_app.command("list")
def list_models() -> None:
    """Configured models and their state."""
    models = ApiClient().call("GET", "/models")["models"]
    table = Table(title="Configured models", header_style="bold")
    for name in ("id", "alias", "model", "provider", "status", "endpoint", "last error"):
        table.add_column(name)
    for name in ("last load ms", "memory after load MiB", "last unload ms", "download ms"):
        table.add_column(name, justify="right")
    notes = []
    for m in models:
        facts = ModelLifecycle.model_validate(m["lifecycle"]) if m.get("lifecycle") else None
        table.add_row(
            m["id"],
            m["alias"],
            m["model_id"],
            _cell(m.get("provider")),
            m["status"],
            _cell(m.get("endpoint")),
            _cell(m.get("last_error")),
            *lifecycle_cells(facts),
        )
        if facts is not None:
            notes += [f"{m['alias']}: {group}: {why}" for group, why in facts.unavailable.items()]
    table.caption = "\n".join(["n/a:", *notes]) if notes else None
    console.print(table)


@models_app.command("add")
def add(
    alias: Annotated[str, typer.Argument(help="Your name for the model")],
    model_id: Annotated[str, typer.Argument(help="Catalog id (foundry) or served model name")],
    provider: Annotated[str, typer.Option(help="foundry or openai")] = "foundry",
    endpoint: Annotated[
        str | None, typer.Option(help="Base URL of the server (openai provider)")
    ] = None,
    pid: Annotated[int | None, typer.Option(help="That server's PID, for CPU/RAM")] = None,
) -> None:
    """Configure a model: a Foundry Local model, or one an OpenAI-compatible server serves."""
    body: dict[str, Any] = {"alias": alias, "model_id": model_id, "provider": provider}
    if endpoint is not None:
        body["endpoint"] = endpoint
    if pid is not None:
        body["pid"] = pid
    model = ApiClient().call("POST", "/models", json=body)["model"]
    console.print(f"added {model['alias']} as {model['id']} ({model['status']})")


@models_app.command("remove")
def remove(model: Annotated[str, typer.Argument(help="Id or alias")]) -> None:
    """Remove a configured model (its benchmark results are kept)."""
    client = ApiClient()
    client.call("DELETE", f"/models/{client.model_id(model)}")
    console.print(f"removed {model}")


@models_app.command("start")
def start(model: Annotated[str, typer.Argument(help="Id or alias")]) -> None:
    """Start serving a model (a host process for Foundry models; a reachability check otherwise)."""
    client = ApiClient()
    with console.status(f"starting {model} ..."):
        body = client.call("POST", f"/models/{client.model_id(model)}/start")
    console.print(f"{model} is serving at {body['endpoint']}")


@models_app.command("stop")
def stop(model: Annotated[str, typer.Argument(help="Id or alias")]) -> None:
    """Stop serving a model."""
    client = ApiClient()
    client.call("POST", f"/models/{client.model_id(model)}/stop")
    console.print(f"stopped {model}")


@models_app.command("load")
def load(model: Annotated[str, typer.Argument(help="Id or alias")]) -> None:
    """Download the model if needed, with a progress bar."""
    client = ApiClient()
    model_id = client.model_id(model)
    state = client.call("POST", f"/models/{model_id}/load")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f} %"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"loading {model}", total=100)
        while state["state"] == "downloading":
            bar.update(task, completed=state["progress"])
            time.sleep(0.5)
            state = client.call("GET", f"/models/{model_id}/load")
    if state["state"] != "ready":
        fail(f"{model}: load {state['state']}: {state.get('error') or 'no detail'}")
    console.print(f"{model} is ready")


@models_app.command("health")
def health(model: Annotated[str, typer.Argument(help="Id or alias")]) -> None:
    """Check a model now: alive, loaded, and answering a one-token request."""
    client = ApiClient()
    body = client.call("GET", f"/models/{client.model_id(model)}/health")
    verdict = "[green]healthy[/]" if body["healthy"] else "[red]unhealthy[/]"
    latency = f", {body['latency_ms']:.1f} ms" if body.get("latency_ms") is not None else ""
    console.print(f"{model}: {verdict} ({body['status']}{latency}) {body.get('detail') or ''}")
    if not body["healthy"]:
        raise typer.Exit(1)


@models_app.command("logs")
def logs(
    model: Annotated[str, typer.Argument(help="Id or alias")],
    limit: Annotated[int, typer.Option(min=1, max=10000, help="Entries to show")] = 100,
) -> None:
    """What the model's server printed, and lifecycle events."""
    client = ApiClient()
    entries = client.call("GET", f"/models/{client.model_id(model)}/logs", params={"limit": limit})
    for entry in reversed(entries["logs"]):
        stamp = time.strftime("%H:%M:%S", time.localtime(entry["created_at"]))
        console.print(
            f"{stamp} {entry['level']:<7} {entry['message']}", markup=False, highlight=False
        )


@models_app.command("cache")
def cache(
    switch: Annotated[
        str | None,
        typer.Option(
            "--switch",
            metavar="PATH|default",
            help="Keep Foundry Local's models in this folder (created when missing), or `default`",
        ),
    ] = None,
) -> None:
    """Foundry Local's model cache folder and the models in it; `--switch` moves to another."""
    client = ApiClient()
    if switch is not None:
        where = client.call("POST", "/cache/switch", json={"path": switch})
        console.print(
            f"switched the model cache to {where['location']}", highlight=False, soft_wrap=True
        )
    else:
        where = client.call("GET", "/cache/location")
    kind = "the default" if where["isDefault"] else f"chosen; default {where['defaultPath']}"
    console.print(f"model cache: {where['location']} ({kind})", highlight=False, soft_wrap=True)
    body = client.call("GET", "/cache/models")
    table = Table(title=f"Models in the cache: {body['count']}", header_style="bold")
    for name in ("alias", "model id", "source", "custom", "description"):
        table.add_column(name)
    for m in body["models"]:
        table.add_row(
            m["alias"],
            m["id"],
            _cell(m.get("source")),
            "yes" if m["isCustom"] else "no",
            _cell(m.get("description")),
        )
    console.print(table)
    if body.get("message"):
        console.print(body["message"], highlight=False, soft_wrap=True)
