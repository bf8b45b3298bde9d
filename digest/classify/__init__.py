"""Classify: items in, the countries and configured regions they are about out (with reasons)."""
