"""Run metrics (queue-fed day buckets, counted exactly once) and period summaries (issue 10)."""
