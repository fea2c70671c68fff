"""The costs subsystem's Lambda functions: the cost report run's billing-export steps.

Each line below is one Lambda: its function name and the stage it runs ("module:function"), as in the
other blueprints; STAGES is what tests/unit/test_asl_contracts.py checks against the ASL.
"""

from functools import partial

from chalice import Blueprint

from chalicelib.core.blueprints import stage_function

bp = Blueprint(__name__)
STAGES: dict[str, str] = {}
_stage = partial(stage_function, bp, STAGES)  # _stage(function name, "module:function")

query_exports = _stage("query_exports", "chalicelib.costs.stages.query_exports:query_exports")
check_exports = _stage("check_exports", "chalicelib.costs.stages.check_exports:check_exports")
split_exports = _stage("split_exports", "chalicelib.costs.stages.split_exports:split_exports")
