"""The benchmark: API requests, wall time and memory of each Pulumi operation as the org grows."""
