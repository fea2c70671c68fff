"""`python -m local` subcommands, one module each (run, budgets, serve, summaries, scrape, report), and
what they share (common.py)."""
