"""The Lambda code. pydantic looks for plugins (the entry points of every installed distribution)
when it builds its first validator: this project uses none, and the scan is a cold-start cost
(docs/decisions.md, "Settings without pydantic-settings"). An environment that sets the variable keeps its value."""

import os

os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
