"""The in-process AWS of the local modes: moto with the stage deployed into it, and what moto lacks
(Lambda bridge, Cost Explorer, SES outbox, Organizations, SQS poller, notifications)."""
