"""The Cost Explorer source: the payer role, paging, the requests, and their answers as rows."""

from chalicelib.costs.explorer.client import ce_client_for, payer_credentials
from chalicelib.costs.explorer.reader import ExplorerForecast, detail_service, explorer_forecast, read_window

__all__ = ["ExplorerForecast", "ce_client_for", "detail_service", "explorer_forecast", "payer_credentials", "read_window"]
