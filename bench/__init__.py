"""Benchmarks (not run by the test suite): `make bench`."""
