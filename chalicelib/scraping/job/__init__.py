"""The generic chunked, resumable job: stage contracts, the checkpoint store and the stages the ASL runs."""
