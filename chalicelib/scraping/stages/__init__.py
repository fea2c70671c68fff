"""The chunked job's stages, one module per Lambda and per Task in `statemachines/chunked_job.asl.json`:

Plan -> ProcessChunks (Map; each chunk loops ProcessChunk until done) -> Aggregate -> EvaluateAlerts
-> PublishAlerts (skipped on a dry run). Each stage takes and returns a contract from contracts.py.
"""
