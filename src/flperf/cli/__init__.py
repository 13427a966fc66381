"""The `flperf` command line: one Typer app, each command group in its own module."""

from __future__ import annotations

import typer

from flperf.cli.bench_cmd import bench

app = typer.Typer(
    name="flperf",
    help="Benchmark local LLMs served by Foundry Local or any OpenAI-compatible server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("bench")(bench)


def _register_optional() -> None:
    from flperf.sim.cli import simulate

    app.command("simulate", help="Serve the OpenAI-compatible simulator (a test fixture).")(
        simulate
    )


_register_optional()


def main() -> None:
    """Console-script entry point."""
    app()
