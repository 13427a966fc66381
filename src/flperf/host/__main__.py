"""``python -m flperf.host``: serve one Foundry Local model (see `flperf.host.main`)."""

from flperf.host.main import entry

entry()
