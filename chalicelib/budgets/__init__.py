"""Budget checks: daily, per client, actual and forecast spend against each budget's thresholds,
each crossing announced once (statemachines/budget_check.asl.json).

  blueprint.py   the Lambda functions: one line per stage, the daily schedule
  contracts.py   the execution input and each stage's input and result
  stages/        one module per Lambda: plan, spend, alert, record, summarize
  store.py       each client's outcome in a check; the crossings' claims and their outbox
  trigger.py     the schedule's start: one execution per day
  evaluation.py  which thresholds a spend crosses (pure)
  messages.py    the budget notification and the operator alert's wording

Spend and forecast come from the client's one cost dataset (chalicelib/costs, as the reports' do);
notifications are queued through chalicelib/core/notifications.py. The face below is what app.py
registers; no other subsystem imports this package.
"""

from chalicelib.budgets.blueprint import STAGES, bp

__all__ = ["STAGES", "bp"]
