"""A simulated OpenAI-compatible chat server with known timings, injected faults and a log of
when each chunk was written: the fixture the benchmark engine is tested and calibrated against.
"""

from __future__ import annotations

from flperf.sim.config import SimConfig
from flperf.sim.server import SimServer

__all__ = ["SimConfig", "SimServer"]
