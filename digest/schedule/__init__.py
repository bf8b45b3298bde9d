"""Schedule: cron slots in, claimed runs out (ingest, build, publish, deliver once per slot)."""
