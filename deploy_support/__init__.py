"""Deployment code shared by `deploy.py`, `python -m local serve` and the CloudFormation merge template.

project.py     what a stage is made of: functions and their sizes (read through Chalice's own
               config resolution), resource names, all derived from `.chalice/config.json`
policies.py    the least-privilege IAM policy of every function (generates .chalice/policies/)
monitoring.py  the five alarms and the dashboard, as data both deploy paths use
deployer.py    the idempotent create/update/delete of everything Chalice does not deploy
package_cache.py  an offline Lambda deployment package for `chalice deploy` (local endpoints, CI)
template.py    generates resources.yaml (the `chalice package --merge-template` file)
"""
