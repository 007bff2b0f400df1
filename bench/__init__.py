"""Benchmarks at one million claims: `make bench` (see docs/benchmarks.md)."""
