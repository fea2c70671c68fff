"""Notifications: one SQS queue, one consumer, one module per channel, each notification sent once
per channel.

  blueprint.py   the Lambda function: notify_consumer, the queue's handler
  contracts.py   the states a channel goes through; the message itself is chalicelib/core/notifications.py,
                 through which every producer (reports, budgets) queues one
  stages/        consumer.py: a batch of messages, every channel of each
  store.py       the channel records: sent once per channel
  channels/      email, sns, slack, teams, webhook: each builds its payload and sends it
  http.py, secrets.py   the webhook client and the secrets that hold webhook URLs

The face below is what app.py registers; no other subsystem imports this package.
"""

from chalicelib.notify.blueprint import bp

__all__ = ["bp"]
