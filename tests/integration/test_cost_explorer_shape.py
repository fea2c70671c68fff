"""The local Cost Explorer inside the local runtime answers the way the real one does; its answers'
shape against botocore's model is checked in tests/unit/test_cost_explorer_shape.py."""

from __future__ import annotations


def test_the_local_runtime_names_accounts_from_its_organizations(local_aws):
    """`python -m local run` hands organizations.json to the emulator: its answers name the accounts."""
    aws = local_aws(organizations={"999999999999": [{"Id": "111111111111", "Name": "Alpha Production"}]})
    client = aws.session.client("ce", region_name="us-east-1")
    answer = client.get_cost_and_usage(TimePeriod={"Start": "2026-11-02", "End": "2026-11-03"}, Granularity="DAILY",
                                       Metrics=["UnblendedCost"], GroupBy=[{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}],
                                       Filter={"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ["111111111111"]}})
    assert answer["DimensionValueAttributes"] == [{"Value": "111111111111", "Attributes": {"description": "Alpha Production"}}]

