"""Benchmarks (`make bench`): not tests; they print timings against targets."""
