"""Budget checks (issue 11): daily, per client, actual and forecast spend against each budget's thresholds."""
