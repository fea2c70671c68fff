"""A client's costs, read from Cost Explorer, and what the report makes of them. The arrows go one way:

  reading    explorer.py (the main request, a period's spend, forecasts, the payer role),
             windows.py (the dates of the extra requests), context.py (the extra requests and
             account names: a ReportContext), record_types.py
  explaining analysis.py (a CostReport from the cost lines) and insights.py (trend, baselines,
             month to date, the why), which read what was fetched and never fetch

The face below is what the budget check reads costs with (until reading costs moves below both
subsystems); reports' own stages import the modules they use.
"""

from chalicelib.reports.costs.context import fetch_forecast
from chalicelib.reports.costs.explorer import SpendBetween, ce_client_for, forecast_query, spend_between

__all__ = ["SpendBetween", "ce_client_for", "fetch_forecast", "forecast_query", "spend_between"]
