"""The `flperf` command line: one Typer app, each command group in its own module."""

from __future__ import annotations

import typer

from flperf.cli.bench_cmd import bench
from flperf.cli.demo_cmd import demo
from flperf.cli.errors import EXIT_CANCELLED, fail
from flperf.cli.models_cmd import models_app
from flperf.cli.report_cmd import report
from flperf.cli.serve_cmd import serve
from flperf.cli.sweep_cmd import sweep

app = typer.Typer(
    name="flperf",
    help="Benchmark local LLMs served by Foundry Local or any OpenAI-compatible server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("bench")(bench)
app.command("sweep")(sweep)
app.command("serve")(serve)
app.command("report")(report)
app.command("demo")(demo)
app.add_typer(models_app, name="models")


def _register_optional() -> None:
    from flperf.sim.cli import simulate

    app.command("simulate", help="Serve the OpenAI-compatible simulator (a test fixture).")(
        simulate
    )


_register_optional()


def main() -> None:
    """Console-script entry point: usage errors become one line on stderr and exit code 2."""
    try:
        app(standalone_mode=False)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        raise SystemExit(EXIT_CANCELLED) from None
    except Exception as exc:
        # Typer vendors Click: its usage errors carry `format_message` and `exit_code`.
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":
            print(exc.format_message())  # the help text
            raise SystemExit(0) from None
        fail(" ".join(str(exc.format_message()).split()), code=int(exc.exit_code) or 2)
