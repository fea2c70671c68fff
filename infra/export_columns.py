"""The columns of the billing exports, with their types: the Glue tables deploy creates over an
export (infra/kinds/exports.py) declare them, and the local AWS writes and reads them.

Sources (see local/samples/README.md for the citations):
- FOCUS 1.0 / 1.2 column names: the FinOps FOCUS specification (1.2 adds BillingAccountType,
  CapacityReservation*, CommitmentDiscountQuantity/Unit, InvoiceId, PricingCurrency*, ServiceSubcategory,
  SkuMeter, SkuPriceDetails, SubAccountType).
- Types as AWS Data Exports writes "FOCUS 1.2 with AWS columns" (table dictionary): costs, prices and
  quantities `double`, periods `timestamp_milliseconds`, identifiers `string`, Tags a map; the AWS
  columns x_CostCategories, x_Discounts, x_Operation, x_ServiceCode, x_UsageType (the "FOCUS 1.0 with
  AWS columns" query of AWS's own data-export templates lists them).
- CUR 2.0: the Data Exports CUR 2.0 table dictionary (snake_case columns; `product`, `resource_tags`,
  `cost_category` maps, `discount` map<string,double>; costs double, rates string).

Types are written in Glue/Hive spelling (what a Glue table declares); `parquet_type` gives the DuckDB
type a file column is written with.
"""

from __future__ import annotations

STRING, DOUBLE, TIMESTAMP = "string", "double", "timestamp"
STRING_MAP, DOUBLE_MAP = "map<string,string>", "map<string,double>"

FOCUS_1_0: dict[str, str] = {
    "AvailabilityZone": STRING, "BilledCost": DOUBLE, "BillingAccountId": STRING, "BillingAccountName": STRING,
    "BillingCurrency": STRING, "BillingPeriodEnd": TIMESTAMP, "BillingPeriodStart": TIMESTAMP,
    "ChargeCategory": STRING, "ChargeClass": STRING, "ChargeDescription": STRING, "ChargeFrequency": STRING,
    "ChargePeriodEnd": TIMESTAMP, "ChargePeriodStart": TIMESTAMP, "CommitmentDiscountCategory": STRING,
    "CommitmentDiscountId": STRING, "CommitmentDiscountName": STRING, "CommitmentDiscountStatus": STRING,
    "CommitmentDiscountType": STRING, "ConsumedQuantity": DOUBLE, "ConsumedUnit": STRING, "ContractedCost": DOUBLE,
    "ContractedUnitPrice": DOUBLE, "EffectiveCost": DOUBLE, "InvoiceIssuerName": STRING, "ListCost": DOUBLE,
    "ListUnitPrice": DOUBLE, "PricingCategory": STRING, "PricingQuantity": DOUBLE, "PricingUnit": STRING,
    "ProviderName": STRING, "PublisherName": STRING, "RegionId": STRING, "RegionName": STRING,
    "ResourceId": STRING, "ResourceName": STRING, "ResourceType": STRING, "ServiceCategory": STRING,
    "ServiceName": STRING, "SkuId": STRING, "SkuPriceId": STRING, "SubAccountId": STRING, "SubAccountName": STRING,
    "Tags": STRING_MAP,
}

FOCUS_1_2: dict[str, str] = {
    **FOCUS_1_0,
    "BillingAccountType": STRING, "CapacityReservationId": STRING, "CapacityReservationStatus": STRING,
    "CommitmentDiscountQuantity": DOUBLE, "CommitmentDiscountUnit": STRING, "InvoiceId": STRING,
    "PricingCurrency": STRING, "PricingCurrencyContractedUnitPrice": DOUBLE, "PricingCurrencyEffectiveCost": DOUBLE,
    "PricingCurrencyListUnitPrice": DOUBLE, "ServiceSubcategory": STRING, "SkuMeter": STRING,
    "SkuPriceDetails": STRING_MAP, "SubAccountType": STRING,
}

AWS_FOCUS_EXTENSIONS: dict[str, str] = {
    "x_CostCategories": STRING_MAP, "x_Discounts": DOUBLE_MAP, "x_Operation": STRING, "x_ServiceCode": STRING,
    "x_UsageType": STRING,
}

# "FOCUS 1.2 with AWS columns", in the order the sample writes them (sorted, as the AWS table dictionary lists them).
AWS_FOCUS_1_2: dict[str, str] = dict(sorted({**FOCUS_1_2, **AWS_FOCUS_EXTENSIONS}.items(), key=lambda kv: kv[0].lower()))

CUR_2_0: dict[str, str] = {
    "bill_bill_type": STRING, "bill_billing_entity": STRING, "bill_billing_period_end_date": TIMESTAMP,
    "bill_billing_period_start_date": TIMESTAMP, "bill_invoice_id": STRING, "bill_invoicing_entity": STRING,
    "bill_payer_account_id": STRING, "bill_payer_account_name": STRING, "cost_category": STRING_MAP,
    "discount": DOUBLE_MAP, "discount_bundled_discount": DOUBLE, "discount_total_discount": DOUBLE,
    "identity_line_item_id": STRING, "identity_time_interval": STRING, "line_item_availability_zone": STRING,
    "line_item_blended_cost": DOUBLE, "line_item_blended_rate": STRING, "line_item_currency_code": STRING,
    "line_item_legal_entity": STRING, "line_item_line_item_description": STRING, "line_item_line_item_type": STRING,
    "line_item_net_unblended_cost": DOUBLE, "line_item_net_unblended_rate": STRING, "line_item_normalization_factor": DOUBLE,
    "line_item_normalized_usage_amount": DOUBLE, "line_item_operation": STRING, "line_item_product_code": STRING,
    "line_item_resource_id": STRING, "line_item_tax_type": STRING, "line_item_unblended_cost": DOUBLE,
    "line_item_unblended_rate": STRING, "line_item_usage_account_id": STRING, "line_item_usage_account_name": STRING,
    "line_item_usage_amount": DOUBLE, "line_item_usage_end_date": TIMESTAMP, "line_item_usage_start_date": TIMESTAMP,
    "line_item_usage_type": STRING, "pricing_currency": STRING, "pricing_public_on_demand_cost": DOUBLE,
    "pricing_public_on_demand_rate": STRING, "pricing_purchase_option": STRING, "pricing_term": STRING,
    "pricing_unit": STRING, "product": STRING_MAP, "product_instance_type": STRING, "product_location": STRING,
    "product_product_family": STRING, "product_region_code": STRING, "product_servicecode": STRING,
    "reservation_effective_cost": DOUBLE, "reservation_reservation_a_r_n": STRING, "resource_tags": STRING_MAP,
    "savings_plan_savings_plan_a_r_n": STRING, "savings_plan_savings_plan_effective_cost": DOUBLE,
}

# What `python -m local run --costs FILE` needs to recognise each format and lay it out as an export.
FOCUS_REQUIRED = ("BilledCost", "BillingCurrency", "BillingPeriodStart", "ChargeCategory", "ChargePeriodStart",
                  "ChargePeriodEnd", "ProviderName", "ServiceName", "SubAccountId")
CUR_REQUIRED = ("bill_billing_period_start_date", "line_item_currency_code", "line_item_line_item_type",
                "line_item_product_code", "line_item_unblended_cost", "line_item_usage_account_id",
                "line_item_usage_start_date")
# A file holding any of these is taken for that format (and refused naming what it lacks).
FOCUS_SIGNATURE = ("BilledCost", "ChargePeriodStart", "ChargeCategory", "SubAccountId", "BillingPeriodStart")
CUR_SIGNATURE = ("line_item_unblended_cost", "line_item_line_item_type", "line_item_usage_account_id")

_PARQUET = {STRING: "VARCHAR", DOUBLE: "DOUBLE", TIMESTAMP: "TIMESTAMP_MS", STRING_MAP: "MAP(VARCHAR, VARCHAR)",
            DOUBLE_MAP: "MAP(VARCHAR, DOUBLE)"}


def parquet_type(glue_type: str) -> str:
    return _PARQUET[glue_type]


def glue_columns(columns: dict[str, str]) -> list[dict[str, str]]:
    """The Glue table Columns for these file columns (Glue and Athena lower-case names)."""
    return [{"Name": name.lower(), "Type": kind} for name, kind in columns.items()]


__all__ = ["AWS_FOCUS_1_2", "AWS_FOCUS_EXTENSIONS", "CUR_2_0", "CUR_REQUIRED", "CUR_SIGNATURE", "DOUBLE", "DOUBLE_MAP",
           "FOCUS_1_0", "FOCUS_1_2", "FOCUS_REQUIRED", "FOCUS_SIGNATURE", "STRING", "STRING_MAP", "TIMESTAMP",
           "columns_of", "glue_columns", "parquet_type"]


def columns_of(export_format: str, aws_columns: bool = True) -> dict[str, str]:
    """The file columns of an export format ("focus-1.0", "focus-1.2", "cur-2.0")."""
    if export_format.startswith("cur"):
        return CUR_2_0
    base = FOCUS_1_0 if export_format == "focus-1.0" else FOCUS_1_2
    return {**base, **AWS_FOCUS_EXTENSIONS} if aws_columns else base
