"""`python -m admin clients validate|diff|apply|list|show|pause|resume|resubscribe`: a stage's clients.

  validate FILE            every rule the runs apply, over the whole file; each problem named
  diff FILE                what apply would add, change, pause, resume or remove
  apply FILE [--yes] [--prune]
                           validate, then write the difference all or nothing; a client that still
                           has undelivered periods is removed only with --prune
  list                     every stored client, valid or why not
  show ID                  its config, last delivery and next period due per report type, its
                           failures and problem skips in the latest runs, its unsubscribed recipients
  pause ID, resume ID      set its status to PAUSED / ACTIVE (checked like any change)
  resubscribe ID ADDRESS   send to a recipient again who had unsubscribed (they asked to come back)
  upload-logo ID FILE      check a logo (PNG or JPEG by content, at most 200 KB and 800 px wide) and
                           store it as assets/<ID>/logo.png (ID _deployment: the deployment's)

--stage NAME (default: APP_STAGE, else local) names the stage's table and settings (infra/stages.json);
AWS_ENDPOINT_URL reaches `python -m local serve`, otherwise the credentials of the environment.

Exit codes: 0 done (or nothing to do); 1 AWS unreachable or a write failed (the table is left as it
was, unless the message says otherwise); 2 invalid input: unreadable file, any rule broken, unknown
stage or client; 3 refused: a removal of a client with undelivered periods without --prune, or an
apply not confirmed (no --yes and no terminal to ask on).
"""

from __future__ import annotations

import sys

from admin.cli import main

if __name__ == "__main__":
    sys.exit(main())
