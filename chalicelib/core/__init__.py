"""What two or more subsystems share, one home per idea; core imports no subsystem.

  executions.py     a run's execution (input parsing, start at most once, the caught error) and its
                    clients' outcomes (records, reasons, problems, the operator alert)
  clients.py        client configs: stored as written, loaded with every per-client and cross-client rule
  notifications.py  the notification message and how any subsystem queues it (notify consumes it)
  metric_events.py  the metric events the report pipeline sends (metrics consumes them)
  periods.py        the clock, timestamps, periods: a day, week, month, quarter or year holding a day
  formatting.py     money and percentages as readers see them
  models.py         the strict-model base, input field types, the client config
  store/table.py    the project table: the one way every subsystem's store reaches it
  amounts.py, text.py, email.py, errors.py, aws.py, settings.py, secrets.py, observability.py,
  blueprints.py, caches.py, metrics.py, constants.py
"""
