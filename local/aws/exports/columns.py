"""The billing exports' columns: infra/export_columns.py (the Glue tables deploy creates read them too)."""

from infra.export_columns import *  # noqa: F403 - this module is the local exports' name for them
from infra.export_columns import __all__  # noqa: F401
