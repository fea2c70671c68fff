"""Unsubscribe: the public route of one-click unsubscribe (RFC 8058).

  blueprint.py   the route: GET shows a confirmation page, POST records the suppression
  contracts.py   the POST form as mailbox providers (and our page) send it
  handlers.py    what each method answers

The token, the suppression record and the headers are the rule module's (chalicelib/core/subscriptions.py),
which reports and notify use too. The face below is what app.py registers; no other subsystem
imports this package.
"""

from chalicelib.subscriptions.blueprint import bp

__all__ = ["bp"]
