"""The costs subsystem's Lambdas: the run's billing-export steps (statemachines/cost_report.asl.json)."""
