"""Serving the models a CLI benchmark names: Foundry Local models get a host process each.

`flperf bench --model qwen2.5-0.5b --model flperf-demo` (no `--endpoint`) starts a host for each
model, benchmarks them one after another and stops every host it started, also on failure.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from flperf.bench.runner import Target
from flperf.cli.errors import fail


@contextmanager
def foundry_targets(
    names: Sequence[str], start_timeout_s: float = 120.0
) -> Iterator[tuple[list[Target], dict[str, dict[str, Any]]]]:
    """Start a host per Foundry model id or alias; yield their targets and the facts a run's
    fingerprint records about each (variant, execution provider, size); stop them all at exit.

    A model that cannot be started is reported on stderr and left out, so the others still run;
    when none can be started the command fails with the reasons.
    """
    from flperf.host.supervisor import HostManager, HostStartError
    from flperf.providers import FoundryProvider, ModelTarget, ProviderError

    provider = FoundryProvider(hosts=HostManager())
    targets: list[Target] = []
    facts: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    try:
        for name in names:
            try:
                info = provider.get_model(name)
                served = provider.start(
                    ModelTarget(provider="foundry", model_id=info.id), timeout_s=start_timeout_s
                )
            except (ProviderError, HostStartError) as exc:
                first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                problems.append(f"{name}: {first_line}")
                print(f"warning: cannot start {name}: {first_line}", file=sys.stderr)
                continue
            facts[info.alias or name] = info.run_facts()
            targets.append(
                Target(
                    name=info.alias or name,
                    endpoint=served.base_url,
                    served_model=served.model,
                    pid=served.pid,
                )
            )
        if not targets:
            fail("no model could be started (" + "; ".join(problems) + ")")
        yield targets, facts
    finally:
        provider.close()
