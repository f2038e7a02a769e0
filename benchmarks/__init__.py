"""Benchmarks: agentlog against its peers and the framework adapters against the frameworks alone."""
