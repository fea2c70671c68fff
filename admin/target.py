"""Which stage the tool acts on: its resource names and the settings the runs of that stage use.

`--stage NAME`, else APP_STAGE, else `local`. The functions of a stage read their table and the
allowed sender domains from their environment (infra/stage.py derives it from infra/stages.json);
the tool sets the same stage-wide variables in its own process, so chalicelib's rules read what the
runs read.
AWS_ENDPOINT_URL (botocore's own) points every call at `python -m local serve`.
"""

from __future__ import annotations

import os

from chalicelib.core import constants as c

DEFAULT_STAGE = "local"


def stage_name(option: str | None) -> str:
    return option or os.environ.get(c.ENV_STAGE) or DEFAULT_STAGE


def use_stage(name: str) -> str:
    """Point this process at stage `name` (ValueError naming an unknown stage); returns its table's name."""
    from chalicelib.core.caches import reset_all
    from infra.stage import load_stage

    stage = load_stage(name)
    # Every stage-wide variable the functions get (sender and allowed domains for the rules, the KMS
    # key objects are written under, the deployment's branding): the tool decides as they do.
    os.environ.update(stage.stage_environment())
    os.environ[c.ENV_TABLE_NAME] = stage.table_name()
    os.environ[c.ENV_BUCKET_NAME] = stage.bucket_name()
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if endpoint.startswith(("http://127.0.0.1", "http://localhost")) and not os.environ.get("AWS_ACCESS_KEY_ID"):
        # `local serve` accepts any credentials; boto3 still wants some
        os.environ.update({"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"})
    reset_all()
    return os.environ[c.ENV_TABLE_NAME]
