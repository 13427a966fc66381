"""``flperf simulate``: run the simulator from the command line."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from flperf.sim.config import FAULT_KINDS, SimConfig
from flperf.sim.server import serve

_FIELDS = SimConfig.model_fields


def _default(name: str) -> Any:
    return _FIELDS[name].default


def _help(name: str) -> str:
    return _FIELDS[name].description or ""


def option_name(field: str) -> str:
    """Command-line option of a SimConfig field (``ttft_ms`` -> ``--ttft-ms``)."""
    return "--" + field.replace("_", "-")


def to_cli_args(config: SimConfig) -> list[str]:
    """Options that make ``simulate`` build exactly ``config``."""
    args: list[str] = []
    for field, value in config.model_dump().items():
        if value is None:
            continue
        if isinstance(value, bool):
            args.append(option_name(field) if value else "--no-" + field.replace("_", "-"))
        else:
            args += [option_name(field), repr(value) if isinstance(value, float) else str(value)]
    return args


def _error_line(error: ValidationError) -> str:
    first = error.errors()[0]
    location = [str(part) for part in first["loc"]]
    if location:
        where = ", ".join(option_name(part) for part in location)
    else:  # a check across fields: the fault rates
        where = ", ".join(option_name(kind) for kind in FAULT_KINDS)
    message = first["msg"].removeprefix("Value error, ")
    return f"error: {where}: {message}"


def simulate(
    model: Annotated[str, typer.Option(help=_help("model"))] = _default("model"),
    ttft_ms: Annotated[float, typer.Option(help=_help("ttft_ms"))] = _default("ttft_ms"),
    itl_ms: Annotated[float, typer.Option(help=_help("itl_ms"))] = _default("itl_ms"),
    output_tokens: Annotated[int | None, typer.Option(help=_help("output_tokens"))] = None,
    tokens_per_chunk: Annotated[int, typer.Option(help=_help("tokens_per_chunk"))] = _default(
        "tokens_per_chunk"
    ),
    jitter: Annotated[float, typer.Option(help=_help("jitter"))] = _default("jitter"),
    seed: Annotated[int, typer.Option(help=_help("seed"))] = _default("seed"),
    role_chunk: Annotated[bool, typer.Option(help=_help("role_chunk"))] = _default("role_chunk"),
    fail_500: Annotated[float, typer.Option(help=_help("fail_500"))] = 0.0,
    fail_429: Annotated[float, typer.Option(help=_help("fail_429"))] = 0.0,
    disconnect: Annotated[float, typer.Option(help=_help("disconnect"))] = 0.0,
    malformed: Annotated[float, typer.Option(help=_help("malformed"))] = 0.0,
    stall: Annotated[float, typer.Option(help=_help("stall"))] = 0.0,
    stall_s: Annotated[float, typer.Option(help=_help("stall_s"))] = _default("stall_s"),
    capacity: Annotated[int | None, typer.Option(help=_help("capacity"))] = None,
    answer: Annotated[str | None, typer.Option(help=_help("answer"))] = None,
    log_limit: Annotated[int, typer.Option(help=_help("log_limit"))] = _default("log_limit"),
    ollama: Annotated[bool, typer.Option(help=_help("ollama"))] = False,
    ollama_size_mb: Annotated[float, typer.Option(help=_help("ollama_size_mb"))] = _default(
        "ollama_size_mb"
    ),
    spin_ms: Annotated[float, typer.Option(help=_help("spin_ms"))] = _default("spin_ms"),
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8000,
    cpu: Annotated[
        int | None, typer.Option(help="Pin the server to this CPU core (Linux).")
    ] = None,
    parent_pid: Annotated[
        int | None, typer.Option(hidden=True, help="Exit when this parent process is gone.")
    ] = None,
) -> None:
    """Serve a simulated OpenAI-compatible chat model with known timings and faults."""
    try:
        config = SimConfig(
            model=model,
            ttft_ms=ttft_ms,
            itl_ms=itl_ms,
            output_tokens=output_tokens,
            tokens_per_chunk=tokens_per_chunk,
            jitter=jitter,
            seed=seed,
            role_chunk=role_chunk,
            fail_500=fail_500,
            fail_429=fail_429,
            disconnect=disconnect,
            malformed=malformed,
            stall=stall,
            stall_s=stall_s,
            capacity=capacity,
            answer=answer,
            log_limit=log_limit,
            ollama=ollama,
            ollama_size_mb=ollama_size_mb,
            spin_ms=spin_ms,
        )
    except ValidationError as exc:
        typer.echo(_error_line(exc), err=True)
        raise typer.Exit(2) from None
    if not 0 <= port <= 65535:
        typer.echo("error: --port: must be between 0 and 65535", err=True)
        raise typer.Exit(2)
    if cpu is not None:
        if not hasattr(os, "sched_setaffinity"):
            typer.echo("error: --cpu: CPU pinning is not supported here", err=True)
            raise typer.Exit(2)
        try:
            os.sched_setaffinity(0, {cpu})
        except (OSError, ValueError) as exc:
            typer.echo(f"error: --cpu: cannot pin to core {cpu}: {exc}", err=True)
            raise typer.Exit(2) from None
    serve(config, host, port, parent_pid)
