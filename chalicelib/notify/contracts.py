"""What the notify subsystem reads and records. The message it consumes is the Notification of
chalicelib/core/notifications.py (every producer queues that one model); per channel of its route,
the consumer records one of these states (chalicelib/notify/store.py):

  sending      a receive holds the channel's lease and is posting
  sent         the channel accepted it: never posted again
  unconfirmed  a webhook post sent whole got no answer within its deadline; the receiver may have it
               (a slow 200), so it is not posted again
  retrying     a retryable failure (throttling, 5xx, network): the next receive tries again
  failed       permanent (a 4xx, a missing or malformed secret), or retryable but out of receives
               (dead-lettered: tried again only if the message is redriven from the DLQ)
"""

from __future__ import annotations

from typing import Literal

# What taking a channel's lease answers: go (post now), a final state (not posted again), or busy
# (another receive holds a live lease).
ChannelState = Literal["go", "sent", "unconfirmed", "failed", "busy"]
FinishedState = Literal["sent", "unconfirmed", "retrying", "failed"]
FINAL_STATES = ("sent", "unconfirmed", "failed")
