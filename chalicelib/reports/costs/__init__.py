"""What a report makes of a client's one cost dataset (chalicelib/costs: read from Cost Explorer or a
billing export). The arrows go one way, from explaining to reading:

  reading     reading.py: the dataset once, and from it both periods and the context (context.py:
              the windows' figures, the why's usage types, the forecast, account names)
  explaining  analysis.py (a CostReport from the cost lines) and insights.py (trend, baselines, month
              to date, the why): they read what was computed and never read a source

Nothing here talks to Cost Explorer or Athena: chalicelib/costs does, for reports and budgets alike.
"""
