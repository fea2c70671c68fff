"""Operator tools for a deployed stage (or `python -m local serve`): `python -m admin clients ...`.

Not Lambda code: nothing under chalicelib/ imports it. It reaches a stage's resources by the names
infra/ derives for that stage and applies the Lambda code's own rules (chalicelib/core/clients.py).
"""
