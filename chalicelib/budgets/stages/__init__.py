"""The budget check's stages (statemachines/budget_check.asl.json), one module per Lambda:

  plan      -> validate the input, pick the clients whose budgets are checked (others recorded skipped)
  spend     -> per client: spend to date (GetCostAndUsage, MONTHLY) and forecast to the period's end
               (GetCostForecast), once per distinct budget period; or why there is no cost data
  alert     -> evaluate thresholds, claim the new crossings with their notification (one per budget),
               queue every announcement of the client not queued yet (store.py)
  record    -> a caught failure of a client's branch, with its category
  summarize -> the execution output, from the per-client records; the operator alert when a client
               failed or had no cost data
"""
