"""`python -m local run`'s AWS: moto in this process, the stage `local` deployed into it by
infra/deployer.py (every resource of the description, by the same code as deploy.py), except the
functions: their invokes are answered by the Chalice handlers in this process (LambdaBridge).
Cost Explorer answers from a cost data file, SES messages land as .eml files, SQS handlers are
fed by the local poller (local/core.py installs all of it, as for `local serve`).
"""

from __future__ import annotations

import logging
from typing import Any

from local.core import CREDENTIALS, LocalRuntime, fresh_default_session, reset_project_caches, scale_retry_sleeps, store_client_config

__all__ = ["LocalAWS", "store_client_config"]


class LocalAWS(LocalRuntime):
    """`with LocalAWS(out_dir=..., costs=..., clients=...) as aws: aws.run({...})`"""

    in_process = True

    def __enter__(self) -> "LocalAWS":
        import boto3
        from moto import mock_aws

        self.set_env(CREDENTIALS)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        # moto warns on every parse that it does not enforce ToleratedFailurePercentage (our children
        # catch their errors, so nothing here depends on it): keep that out of the run's output.
        logging.getLogger("moto.stepfunctions.parser.asl.parse.preprocessor").setLevel(logging.ERROR)
        # The engine logs at ERROR every exception it evaluates, a Choice's missing optional path
        # (HasCostData) included; what fails a state is in the execution's status and history.
        logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
        try:
            fresh_default_session()
            reset_project_caches()
            self._uninstall.append(scale_retry_sleeps(self.retry_time_scale))
            self.deploy(boto3.DEFAULT_SESSION)
            self.install_hooks()
            self.seed_clients()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.uninstall_hooks()
        self._mock.stop()
        reset_project_caches()
        self.restore_env()
