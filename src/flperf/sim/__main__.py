"""``python -m flperf.sim``: the simulator without the rest of the CLI."""

from __future__ import annotations

import typer

from flperf.sim.cli import simulate


def main() -> None:
    """Run the ``simulate`` command as a standalone program."""
    app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
    app.command()(simulate)
    app(prog_name="python -m flperf.sim")


if __name__ == "__main__":
    main()
