"""One module per channel; each exposes `build(notification)` (the payload, pure) and
`send(notification) -> str` (a delivery detail; raises a taxonomy error, retryable or not)."""
