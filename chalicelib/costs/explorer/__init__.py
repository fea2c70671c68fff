"""The Cost Explorer source: the payer role, paging, the requests, and their answers as rows."""

from chalicelib.costs.explorer.client import ce_client_for, payer_credentials
from chalicelib.costs.explorer.reader import (
    DetailRow,
    ServiceDetail,
    explorer_forecast,
    read_service_detail,
    read_window,
)

__all__ = ["DetailRow", "ServiceDetail", "ce_client_for", "explorer_forecast", "payer_credentials",
           "read_service_detail", "read_window"]
