"""Benchmarks: each measures one budget of DESIGN.md §8 against a baseline in the same run."""
