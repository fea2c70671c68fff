"""Market-signal scrapers (issue 12): one generic chunked, resumable Step Functions job and four scrapers."""
