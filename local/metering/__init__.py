"""What a local run used, counted while it runs: every AWS call, the engine's state transitions, the usage report."""
