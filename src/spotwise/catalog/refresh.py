"""Gather a region's catalog inputs live from the AWS APIs and the Spot Advisor feed.

`fetch_inputs` is the I/O half of ``spotwise catalog refresh``: it returns the same
`CatalogInputs` the bundled snapshot is built from, so `build_catalog` applies the
same rules to live data. Every failure a user can fix (credentials, region, network,
feed URL) ends as one `UserError` line.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from http.client import HTTPException
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as AwsConnectionError
from botocore.parsers import ResponseParserError

from spotwise.catalog.advisor import ADVISOR_URL, parse_advisor
from spotwise.catalog.catalog import Source
from spotwise.catalog.inputs import AdvisorEntry, CatalogInputs, SpotPricePoint
from spotwise.errors import UserError

# The Price List API is served from a few regions only; us-east-1 lists every region.
PRICING_REGION = "us-east-1"

# Linux, shared tenancy, no pre-installed software, no licence, on-demand, not a
# capacity reservation: the plain BoxUsage price of each type.
_ON_DEMAND_FILTERS = {
    "operatingSystem": "Linux",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "licenseModel": "No License required",
    "marketoption": "OnDemand",
}
# Bare-metal types are listed under dedicated tenancy only, so they need a query of their own.
_PRODUCT_QUERIES = (
    {"tenancy": "Shared", "productFamily": "Compute Instance"},
    {"tenancy": "Dedicated", "productFamily": "Compute Instance (bare metal)"},
)

_SUBJECT = "catalog refresh"
_AUTH_CODES = frozenset(
    {
        "AuthFailure",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
    }
)
_DENIED_CODES = frozenset({"UnauthorizedOperation", "AccessDenied", "AccessDeniedException"})


def fetch_inputs(
    session: Any,
    region: str,
    *,
    endpoint_url: str | None = None,
    ec2_client: Any | None = None,
    pricing_client: Any | None = None,
    advisor_url: str = ADVISOR_URL,
    timeout: float = 30.0,
    progress: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> CatalogInputs:
    """Gather everything needed to build the catalog of ``region`` from live sources.

    Cheap calls that validate the user's input (the region's zones, the advisor URL)
    run first, so that a typo fails in a second rather than after the large listings.

    Args:
        session: A ``boto3.Session`` holding the credentials to use.
        region: The AWS region to describe, such as ``us-east-1``.
        endpoint_url: Send every AWS call (EC2 and the Price List API) to this endpoint
            instead of AWS's, for local emulators.
        ec2_client: An EC2 client to use instead of one made from ``session``.
        pricing_client: A Price List API client to use instead of one made from
            ``session`` in us-east-1.
        advisor_url: Where to GET the Spot Instance Advisor feed (``http``, ``https``
            or ``file`` URL).
        timeout: Seconds to wait for the advisor feed.
        progress: Called with a short description before each step.
        now: The time of the refresh (default: the current time); spot prices in
            effect at this time are read and the sources are dated with it.

    Returns:
        The region's raw facts, ready for `build_catalog`.

    Raises:
        UserError: If AWS or the feed cannot be reached, refuses the credentials,
            answers with an error, or the region has no availability zones.
    """
    report = progress or (lambda _message: None)
    moment = _as_utc(now or datetime.now(UTC))
    with _aws_errors("creating AWS clients", region, ""):
        ec2 = ec2_client
        if ec2 is None:
            ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint_url)
        pricing = pricing_client
        if pricing is None:
            pricing = session.client(
                "pricing", region_name=PRICING_REGION, endpoint_url=endpoint_url
            )

    report(f"listing availability zones in {region}")
    zone_ids = _zone_ids(ec2, region)

    report(f"downloading the Spot Advisor feed from {advisor_url}")
    advisor = _advisor(advisor_url, region, timeout)

    report("describing instance types")
    instance_types = _instance_types(ec2, region)

    report("listing instance type offerings per zone")
    zone_offerings = _zone_offerings(ec2, region, frozenset(zone_ids))

    report("reading current spot prices")
    spot_history = _spot_prices(ec2, region, frozenset(zone_ids), moment)

    report("reading on-demand prices from the AWS Price List API")
    on_demand = _on_demand_prices(pricing, region)

    as_of = moment.date().isoformat()
    via = f" via {endpoint_url}" if endpoint_url else ""
    sources = (
        Source(
            "instance types and zone offerings",
            f"EC2 DescribeInstanceTypes and DescribeInstanceTypeOfferings, {region}{via}",
            "AWS API data",
            as_of,
        ),
        Source(
            "on-demand prices",
            f"AWS Price List API GetProducts (AmazonEC2, Linux), {region}{via}",
            "AWS public data",
            as_of,
        ),
        Source(
            "spot price spread between zones",
            f"EC2 DescribeSpotPriceHistory (Linux/UNIX, in effect at the refresh), {region}{via}",
            "AWS API data",
            as_of,
        ),
        Source(
            "interruption buckets and spot savings (the spot price level)",
            f"AWS Spot Instance Advisor feed {advisor_url}",
            "AWS public data",
            as_of,
        ),
    )
    return CatalogInputs(
        region=region,
        instance_types=instance_types,
        zone_offerings=zone_offerings,
        zone_ids=zone_ids,
        on_demand=on_demand,
        spot_history=spot_history,
        advisor=advisor,
        sources=sources,
        built_at=moment.isoformat(timespec="seconds"),
    )


def _zone_ids(ec2: Any, region: str) -> dict[str, str]:
    with _aws_errors("DescribeAvailabilityZones", region, "ec2:DescribeAvailabilityZones"):
        answer = ec2.describe_availability_zones()
    # Local and Wavelength zones sell other prices and need an opt-in; the catalog
    # covers the region's own zones only.
    zones = {
        str(z["ZoneName"]): str(z["ZoneId"])
        for z in answer.get("AvailabilityZones", ())
        if z.get("ZoneType", "availability-zone") == "availability-zone"
        and z.get("State") == "available"
    }
    if not zones:
        raise UserError(
            "--region",
            f"{region!r} has no available availability zones for these credentials",
            "pass a region where EC2 runs, such as us-east-1",
        )
    return zones


def _instance_types(ec2: Any, region: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    with _aws_errors("DescribeInstanceTypes", region, "ec2:DescribeInstanceTypes"):
        pages = ec2.get_paginator("describe_instance_types").paginate(
            PaginationConfig={"PageSize": 100}
        )
        for page in pages:
            found.extend(page.get("InstanceTypes", ()))
    return found


def _zone_offerings(ec2: Any, region: str, zones: frozenset[str]) -> dict[str, frozenset[str]]:
    offered: dict[str, set[str]] = defaultdict(set)
    with _aws_errors("DescribeInstanceTypeOfferings", region, "ec2:DescribeInstanceTypeOfferings"):
        pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
            LocationType="availability-zone", PaginationConfig={"PageSize": 1000}
        )
        for page in pages:
            for item in page.get("InstanceTypeOfferings", ()):
                # The availability-zone location type includes opted-in local zones.
                if item["Location"] in zones:
                    offered[str(item["InstanceType"])].add(str(item["Location"]))
    return {name: frozenset(found) for name, found in offered.items()}


def _spot_prices(
    ec2: Any, region: str, zones: frozenset[str], moment: datetime
) -> list[SpotPricePoint]:
    points: list[SpotPricePoint] = []
    with _aws_errors("DescribeSpotPriceHistory", region, "ec2:DescribeSpotPriceHistory"):
        # With a start time and no end time, EC2 answers the price in effect at the
        # start of every pool (plus any change since): the current price, no history.
        pages = ec2.get_paginator("describe_spot_price_history").paginate(
            ProductDescriptions=["Linux/UNIX", "Linux/UNIX (Amazon VPC)"],
            StartTime=moment,
            PaginationConfig={"PageSize": 1000},
        )
        for page in pages:
            for row in page.get("SpotPriceHistory", ()):
                point = _spot_point(row, zones)
                if point is not None:
                    points.append(point)
    return points


def _spot_point(row: Mapping[str, Any], zones: frozenset[str]) -> SpotPricePoint | None:
    zone = row.get("AvailabilityZone")
    stamp = row.get("Timestamp")
    if zone not in zones or not isinstance(stamp, datetime):
        return None
    try:
        price = float(row["SpotPrice"])
    except (KeyError, TypeError, ValueError):
        return None
    if price <= 0:
        # A pool is never priced at zero: a zero says nothing of how the zones differ.
        return None
    # One fixed format (that of the public price file) keeps timestamps comparable as text.
    timestamp = _as_utc(stamp).isoformat(timespec="seconds")
    return SpotPricePoint(str(row["InstanceType"]), str(zone), price, timestamp)


def _on_demand_prices(pricing: Any, region: str) -> dict[str, float]:
    prices: dict[str, float] = {}
    with _aws_errors("Price List GetProducts", region, "pricing:GetProducts"):
        for query in _PRODUCT_QUERIES:
            wanted = {"regionCode": region, **_ON_DEMAND_FILTERS, **query}
            pages = pricing.get_paginator("get_products").paginate(
                ServiceCode="AmazonEC2",
                FormatVersion="aws_v1",
                Filters=[
                    {"Type": "TERM_MATCH", "Field": field, "Value": value}
                    for field, value in wanted.items()
                ],
                PaginationConfig={"PageSize": 100},
            )
            for page in pages:
                for item in page.get("PriceList", ()):
                    parsed = _price_of(item)
                    if parsed is not None:
                        name, price = parsed
                        # Should the filters still let two products through, keep the
                        # lower price, so that the result does not depend on page order.
                        prices[name] = min(price, prices.get(name, price))
    return prices


def _price_of(item: str | Mapping[str, Any]) -> tuple[str, float] | None:
    """``(type, USD per hour)`` of one GetProducts ``PriceList`` entry, or None.

    Entries are JSON strings (decoded ones are accepted too). Unparsable entries, Local
    Zone products and entries without a positive USD price give None.
    """
    try:
        doc = json.loads(item) if isinstance(item, str) else item
        attributes = doc["product"]["attributes"]
        name = attributes.get("instanceType")
        location_type = attributes.get("locationType", "AWS Region")
        terms = doc.get("terms", {}).get("OnDemand", {})
        if not name or location_type != "AWS Region":
            return None
        for term in terms.values():
            for dimension in term.get("priceDimensions", {}).values():
                try:
                    price = float(dimension["pricePerUnit"]["USD"])
                except (KeyError, TypeError, ValueError):
                    continue
                if price > 0:
                    return str(name), price
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


def _advisor(url: str, region: str, timeout: float) -> dict[str, AdvisorEntry]:
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "spotwise catalog refresh"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read()
    except (urllib.error.URLError, HTTPException, OSError, ValueError) as err:
        if isinstance(err, urllib.error.HTTPError):
            reason: object = f"HTTP {err.code} {err.reason}"
        elif isinstance(err, urllib.error.URLError):
            reason = err.reason
        else:
            reason = err
        raise UserError(
            _SUBJECT,
            f"cannot reach the Spot Advisor feed at {url} ({_one_line(reason)})",
            "pass --advisor-url or retry",
        ) from None
    try:
        return parse_advisor(json.loads(body), region)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise UserError(
            _SUBJECT,
            f"the Spot Advisor feed at {url} is not in the expected format ({_one_line(err)})",
            "pass --advisor-url with a spot-advisor-data.json feed",
        ) from None


@contextmanager
def _aws_errors(action: str, region: str, permission: str) -> Iterator[None]:
    """Turn the failures of one AWS step into a `UserError` that says what to fix."""
    try:
        yield
    except (
        NoCredentialsError,
        PartialCredentialsError,
        CredentialRetrievalError,
        TokenRetrievalError,
        SSOError,
    ) as err:
        raise UserError(
            _SUBJECT,
            f"no usable AWS credentials for {action} ({_one_line(err)})",
            "configure credentials (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID) and retry",
        ) from None
    except ClientError as err:
        error = err.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        detail = f"{code}: {_one_line(error.get('Message', ''))}"
        if code == "OptInRequired":
            raise UserError(
                "--region",
                f"{region} is not enabled for this AWS account ({detail})",
                "enable the region or pass another --region",
            ) from None
        if code in _AUTH_CODES:
            raise UserError(
                _SUBJECT,
                f"AWS rejected the credentials for {action} in {region} ({detail})",
                "refresh or reconfigure the credentials and retry",
            ) from None
        if code in _DENIED_CODES:
            raise UserError(
                _SUBJECT,
                f"AWS refused {action} in {region} ({detail})",
                f"allow {permission} for these credentials",
            ) from None
        raise UserError(
            _SUBJECT, f"{action} in {region} failed ({detail})", "check --region and retry"
        ) from None
    except (AwsConnectionError, HTTPClientError) as err:
        raise UserError(
            _SUBJECT,
            f"cannot reach AWS for {action} in {region} ({_one_line(err)})",
            "check --region and the network, then retry",
        ) from None
    except (BotoCoreError, ResponseParserError) as err:
        # Includes an invalid region name and an endpoint that does not answer like AWS.
        raise UserError(
            _SUBJECT, f"{action} in {region} failed ({_one_line(err)})", "check --region and retry"
        ) from None


def _one_line(value: object, limit: int = 200) -> str:
    """``value`` as one short line: AWS and HTTP errors can carry whole response bodies."""
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_utc(moment: datetime) -> datetime:
    # A naive time is taken as UTC, which is what AWS's APIs speak.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
