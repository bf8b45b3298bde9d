"""Ingest: snapshot files and feeds in, stored stories out (read, parse, dedupe, store)."""
