"""Market-signal scrapers: one generic chunked, resumable Step Functions job
(statemachines/chunked_job.asl.json) and four scrapers (bond issuance, BDC discount, credit fund,
bank provision) reading SEC EDGAR and a price source.

  blueprint.py   the Lambda functions: one line per stage, one schedule per scraper
  contracts.py   the execution input and each stage's input and result
  stages/        one module per Lambda: plan, chunk, aggregate, evaluate, publish
  store.py       the job's plan, chunk checkpoints, result and alert ledger
  trigger.py     a scraper's start: from its schedule, or invoked directly (a dry run waits for it)
  scrapers/      the scraper interface, its job context, and the four scrapers
  parsers/, figures.py, http.py, settings.py, secrets.py   what the scrapers read with

The face below is what app.py registers; no other subsystem imports this package.
"""

from chalicelib.scraping.blueprint import STAGES, bp

__all__ = ["STAGES", "bp"]
