"""Benchmarks at one million claims: `make bench` (see README, "Benchmarks")."""
