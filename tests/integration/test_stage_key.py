"""A stage with its own KMS key (`kms_key_arn` in infra/stages.json), through both deploy paths:
`python deploy.py` against a moto server on 127.0.0.1 (the key created there first), and
`chalice package --merge-template resources.yaml` checked by cfn-lint. The stage is added to a scratch
copy of the project, whose generated files are regenerated as `python -m infra generate` would."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra import generate, package_cache
from infra.stage import ROOT, copy_project, load_stage
from tests.integration.test_deploy import aws_env, client, endpoint  # noqa: F401 - endpoint: the moto server fixture
from tests.integration.test_package import cfn_lint, package

STAGE = "secure"


@pytest.fixture(scope="module")
def stage_key(endpoint: str) -> str:  # noqa: F811 - the imported fixture
    return client(endpoint, "kms").create_key(Description="cost-reporter secure stage")["KeyMetadata"]["Arn"]


@pytest.fixture(scope="module")
def keyed_project(tmp_path_factory: pytest.TempPathFactory, stage_key: str) -> Iterator[Path]:
    project = copy_project(tmp_path_factory.mktemp("keyed"))
    stages = json.loads((ROOT / "infra" / "stages.json").read_text())
    # loopback: the moto server speaks plain HTTP, which the TLS-only bucket policy would refuse
    stages[STAGE] = {**stages["prod"], "kms_key_arn": stage_key, "loopback": True}
    (project / "infra").mkdir(exist_ok=True)
    (project / "infra" / "stages.json").write_text(json.dumps(stages, indent=2))
    generate.write(project)  # config.json, policies/secure/, resources.yaml with the new stage
    package_cache.seed(project)
    yield project


def test_deploy_encrypts_bucket_table_queues_and_topics_with_the_stage_key(
        endpoint: str, keyed_project: Path, stage_key: str) -> None:  # noqa: F811
    done = subprocess.run([sys.executable, str(ROOT / "deploy.py"), "--stage", STAGE, "--offline", "--project-dir",
                           str(keyed_project)], env=aws_env(endpoint), capture_output=True, text=True, timeout=400,
                          cwd=keyed_project)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    stage = load_stage(STAGE, keyed_project)
    s3, ddb, sqs, sns = (client(endpoint, s) for s in ("s3", "dynamodb", "sqs", "sns"))

    rule, = s3.get_bucket_encryption(Bucket=stage.bucket_name())["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": stage_key}
    assert rule["BucketKeyEnabled"] is True
    sse = ddb.describe_table(TableName=stage.table_name())["Table"]["SSEDescription"]
    assert (sse["SSEType"], sse["KMSMasterKeyArn"]) == ("KMS", stage_key)
    for queue in stage.description.queues:
        for name in (stage.queue_name(queue), stage.dlq_name(queue)):
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"] == {
                "KmsMasterKeyId": stage_key}, name
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"] if f":{stage.prefix}-" in t["TopicArn"]]
    assert len(topics) == len(stage.description.topics)
    assert all(sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("KmsMasterKeyId") == stage_key for arn in topics)

    # every function gets the key, and the shared S3 writer names it on each object it writes
    lam = client(endpoint, "lambda")
    env = lam.get_function_configuration(FunctionName=stage.function_name("render_report"))["Environment"]["Variables"]
    assert env["KMS_KEY_ARN"] == stage_key
    written = put_with_stage_env(endpoint, stage.bucket_name(), stage_key)
    assert (written["ServerSideEncryption"], written["SSEKMSKeyId"], written["BucketKeyEnabled"]) == (
        "aws:kms", stage_key, True)

    # a second deploy finds everything as it should be
    again = subprocess.run([sys.executable, str(ROOT / "deploy.py"), "--stage", STAGE, "--offline", "--project-dir",
                            str(keyed_project)], env=aws_env(endpoint), capture_output=True, text=True, timeout=400,
                           cwd=keyed_project)
    assert again.returncode == 0, again.stderr[-4000:]
    assert not [line for line in again.stdout.splitlines() if line.startswith("  updated") and "encryption" in line]


def put_with_stage_env(url: str, bucket: str, stage_key: str) -> dict[str, Any]:
    """chalicelib/core/store/objects.put_text in a process with the stage's function environment."""
    script = ("from chalicelib.core.store import objects; objects.put_text('runs/r/c/x.json', '{}', 'application/json');"
              "from chalicelib.core import aws; import json; h = aws.client('s3').head_object(Bucket=objects.get_settings()"
              ".bucket_name, Key='runs/r/c/x.json'); print(json.dumps({k: h.get(k) for k in "
              "('ServerSideEncryption', 'SSEKMSKeyId', 'BucketKeyEnabled')}))")
    env = {**aws_env(url), "BUCKET_NAME": bucket, "KMS_KEY_ARN": stage_key}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_packaged_template_of_a_keyed_stage_passes_cfn_lint(keyed_project: Path, tmp_path: Path,
                                                                stage_key: str) -> None:
    packaged = package(keyed_project, STAGE, tmp_path / "out")
    findings = cfn_lint(tmp_path / "out" / "sam.yaml")
    assert [f for f in findings if f["Level"] in ("Error", "Warning")] == []
    assert packaged["Mappings"]["StageConfig"][STAGE]["KmsKeyArn"] == stage_key
    assert packaged["Mappings"]["StageConfig"]["prod"]["KmsKeyArn"] == "none"
    resources = packaged["Resources"]
    assert resources["ReportsTable"]["Properties"]["SSESpecification"]["Fn::If"][0] == "UseStageKey"
    assert resources["NotifyQueue"]["Properties"]["KmsMasterKeyId"]["Fn::If"][0] == "UseStageKey"
    by_default = resources["ReportsBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert by_default["ServerSideEncryptionByDefault"]["Fn::If"][1]["SSEAlgorithm"] == "aws:kms"
    # the Distributed Map's role: its own stage's bucket and machine (resources.yaml is rendered with the
    # first stage, dev), and the stage key's statement under the condition
    role = resources["CostReportStateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert "cost-reporter-dev" not in json.dumps(role)
    keyed, = [s["Fn::If"][1] for s in role if "Fn::If" in s]
    assert (keyed["Sid"], keyed["Action"]) == ("StageKeyViaS3", ["kms:Decrypt", "kms:GenerateDataKey"])
    assert "cost-reporter-dev" not in json.dumps({k: v for k, v in packaged.items() if k != "Mappings"})
