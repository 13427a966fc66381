"""The measurement core: workload, load strategies, streaming client, records and metrics."""
