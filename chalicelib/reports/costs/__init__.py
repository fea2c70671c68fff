"""A client's costs, read from Cost Explorer, and what the report makes of them. The arrows go one way,
from explaining to reading:

  reading     explorer.py: the main request, a period's spend, a forecast, the payer role;
              context.py: the report's extra requests (their dates, their answers) and account names;
              record_types.py
  explaining  analysis.py (a CostReport from the cost lines) and insights.py (trend, baselines, month
              to date, the why): they read what was fetched and never fetch

The budget check reads its spend and forecasts through explorer.py alone (until reading costs moves
below both subsystems).
"""
