"""The real-format scraper samples (`../shared/scraper-samples/`): one loader, shared with the fixture server."""

from local.fixtures.scrape_fixtures import cover_phrasings, sample_json, sample_path, sample_text

__all__ = ["cover_phrasings", "sample_json", "sample_path", "sample_text"]
