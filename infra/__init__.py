"""The one description of the deployment and everything derived from it (dev and deploy only, never
imported by chalicelib/):

description.py   THE description: tables, buckets, queues, topics, secrets prefix, state machines,
                 every function's typed grants (model.py has the vocabulary)
stages.json      per-stage settings (stages.py validates them)
app_source.py    what app.py and the ASL files define, and where the description disagrees with the app
stage.py         a stage resolved: names, sizes, environments derived from the grants
checks.py        what must hold for a resolved stage (`python -m infra generate` refuses otherwise)
naming.py        concrete values (deploy.py, local runtime) or CloudFormation references
policies.py      grants -> IAM policy statements
monitoring.py    the alarms (a DLQ alarm per queue, derived) and the dashboard
kinds/           one module per kind of resource: ensure, delete, CloudFormation rendering
deployer.py      the order of a deploy and a teardown
template.py, chalice_config.py, generate.py   the generated files (`python -m infra generate`)
package_cache.py an offline Lambda deployment package for `chalice deploy`
"""
