"""Test suite for digest (a package so that ``tests.support`` is importable)."""
