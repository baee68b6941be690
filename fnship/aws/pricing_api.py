"""The AWS Price List API (`pricing`): Lambda's products for one region.

The API answers only in a few regions (us-east-1, eu-central-1, ap-south-1):
https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-price-list-query-api.html
A failure is an FnError: the caller falls back to its built-in table (us-east-1) or says no price is known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fnship.aws.calls import aws_call

if TYPE_CHECKING:
    from mypy_boto3_pricing.client import PricingClient

PRICING_REGION = "us-east-1"
LAMBDA_SERVICE_CODE = "AWSLambda"


class PricingApi:
    def __init__(self, client: Callable[[], PricingClient]) -> None:
        self._client = client  # made on first use: a plan that prices nothing never builds it

    def lambda_products(self, region: str) -> list[str]:
        """Every AWSLambda product of `region` (JSON documents, as GetProducts returns them)."""
        client = self._client()
        products: list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, object] = {
                "ServiceCode": LAMBDA_SERVICE_CODE,
                "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
                "FormatVersion": "aws_v1",
                "MaxResults": 100,
            }
            if token:
                kwargs["NextToken"] = token
            page = aws_call(f"Lambda prices for {region}", "GetProducts", client.get_products, **kwargs)
            products.extend(page.get("PriceList") or [])
            token = page.get("NextToken")
            if not token:
                return products
