"""FLPerformance: benchmark local LLMs and tell how fast they really are."""

__version__ = "0.1.0"
