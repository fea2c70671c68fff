"""Notifications (issue 11): one SQS queue, one consumer, one module per channel, sent once per channel."""
