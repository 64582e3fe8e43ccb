"""The live catalog refresh: EC2 from the moto server, pricing stubbed, advisor over HTTP.

moto 5.2.5 answers DescribeInstanceTypes, DescribeInstanceTypeOfferings and
DescribeSpotPriceHistory in a single page whatever MaxResults says, and has no Pricing
API; multi-page answers are therefore proved with botocore's Stubber on real clients.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import Stubber

from conftest import client
from spotwise.catalog import snapshot
from spotwise.catalog.advisor import parse_advisor
from spotwise.catalog.build import build_catalog
from spotwise.catalog.catalog import Catalog
from spotwise.catalog.inputs import CatalogInputs
from spotwise.catalog.refresh import fetch_inputs
from spotwise.errors import UserError
from spotwise.model.instance_type import CapacityType
from spotwise.model.offering import BUCKETS, PriceSource

REGION = "eu-west-1"
NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)

RANGES = [
    {"index": 0, "label": "<5%", "dots": 0, "max": 5},
    {"index": 1, "label": "5-10%", "dots": 1, "max": 11},
    {"index": 2, "label": "10-15%", "dots": 2, "max": 16},
    {"index": 3, "label": "15-20%", "dots": 3, "max": 22},
    {"index": 4, "label": ">20%", "dots": 4, "max": 100},
]
ADVISOR_DOC = {
    "global_rate": "<10%",
    "instance_types": {
        "m5.large": {"emr": True, "cores": 2, "ram_gb": 8.0},
        "c5.large": {"emr": True, "cores": 2, "ram_gb": 4.0},
    },
    "ranges": RANGES,
    "spot_advisor": {
        REGION: {
            "Linux": {"m5.large": {"s": 62, "r": 1}, "c5.large": {"s": 55, "r": 4}},
            "Windows": {"m5.large": {"s": 40, "r": 0}},
        },
        "us-east-1": {"Linux": {"m5.large": {"s": 70, "r": 3}}},
    },
}
ROUTES: dict[str, tuple[int, bytes]] = {
    "/spot-advisor-data.json": (200, json.dumps(ADVISOR_DOC).encode()),
    "/changed.json": (200, json.dumps({**ADVISOR_DOC, "ranges": RANGES[:4]}).encode()),
    "/garbage.json": (200, b"<html>not json</html>"),
}

# Linux on-demand list prices in eu-west-1 (USD per hour).
SHARED_PAGE_1 = {"m5.large": 0.107, "m5.xlarge": 0.214}
SHARED_PAGE_2 = {"r5.large": 0.141, "t3.micro": 0.0114}
METAL_PAGE = {"m5.metal": 5.136}


def price_item(
    name: str,
    usd: float | str,
    *,
    region: str = REGION,
    tenancy: str = "Shared",
    family: str = "Compute Instance",
    location_type: str = "AWS Region",
) -> str:
    """One GetProducts PriceList entry, as the Price List API writes it."""
    sku = "SKU" + "".join(c for c in name.upper() if c.isalnum())
    term = f"{sku}.JRTCKXETXF"
    return json.dumps(
        {
            "product": {
                "productFamily": family,
                "attributes": {
                    "instanceType": name,
                    "regionCode": region,
                    "location": "EU (Ireland)",
                    "locationType": location_type,
                    "operatingSystem": "Linux",
                    "tenancy": tenancy,
                    "preInstalledSw": "NA",
                    "capacitystatus": "Used",
                    "licenseModel": "No License required",
                    "marketoption": "OnDemand",
                    "operation": "RunInstances",
                    "usagetype": f"EU-BoxUsage:{name}",
                    "servicecode": "AmazonEC2",
                },
                "sku": sku,
            },
            "serviceCode": "AmazonEC2",
            "terms": {
                "OnDemand": {
                    term: {
                        "priceDimensions": {
                            f"{term}.6YS6EN2CT7": {
                                "unit": "Hrs",
                                "endRange": "Inf",
                                "description": f"${usd} per On Demand Linux {name} Instance Hour",
                                "appliesTo": [],
                                "rateCode": f"{term}.6YS6EN2CT7",
                                "beginRange": "0",
                                "pricePerUnit": {
                                    "USD": f"{usd:.10f}" if isinstance(usd, float) else usd
                                },
                            }
                        },
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },
            "version": "20261114000000",
            "publicationDate": "2026-11-14T00:00:00Z",
        }
    )


def products_params(
    region: str, tenancy: str, family: str, token: str | None = None
) -> dict[str, Any]:
    """The GetProducts request the refresh must send."""
    filters = {
        "regionCode": region,
        "operatingSystem": "Linux",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
        "marketoption": "OnDemand",
        "tenancy": tenancy,
        "productFamily": family,
    }
    params: dict[str, Any] = {
        "ServiceCode": "AmazonEC2",
        "FormatVersion": "aws_v1",
        "Filters": [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in filters.items()],
        "MaxResults": 100,
    }
    if token:
        params["NextToken"] = token
    return params


def stub_pricing(session: boto3.Session, region: str = REGION) -> tuple[Any, Stubber]:
    """A real pricing client answering the shared query in two pages and the metal one."""
    pricing = session.client("pricing", region_name="us-east-1")
    stub = Stubber(pricing)
    shared, metal = ("Shared", "Compute Instance"), ("Dedicated", "Compute Instance (bare metal)")
    stub.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "PriceList": [price_item(n, p, region=region) for n, p in SHARED_PAGE_1.items()],
            "NextToken": "page-2",
        },
        products_params(region, *shared),
    )
    stub.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "PriceList": [
                *(price_item(n, p, region=region) for n, p in SHARED_PAGE_2.items()),
                # Items the refresh must skip rather than price at zero or misread.
                price_item("c5.large", 0.0, region=region),
                price_item("c5.xlarge", "n/a", region=region),
                price_item("m5.2xlarge", 0.5, region=region, location_type="AWS Local Zone"),
                "{not json",
            ],
        },
        products_params(region, *shared, token="page-2"),
    )
    stub.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "PriceList": [
                price_item(n, p, region=region, tenancy="Dedicated", family=metal[1])
                for n, p in METAL_PAGE.items()
            ],
        },
        products_params(region, *metal),
    )
    stub.activate()
    return pricing, stub


class _AdvisorHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = ROUTES.get(self.path, (404, b"Not Found"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def advisor_server() -> Iterator[str]:
    """Base URL of a loopback HTTP server serving the advisor feed and broken variants."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AdvisorHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def moto_resource(*parts: str) -> Any:
    path = resources.files("moto.ec2") / "resources"
    for part in parts:
        path = path / part
    return json.loads(gzip.decompress(path.read_bytes()))


@dataclass(frozen=True)
class Refreshed:
    inputs: CatalogInputs
    catalog: Catalog
    steps: list[str]
    zone_ids: dict[str, str]  # as moto answers DescribeAvailabilityZones directly
    advisor_url: str


@pytest.fixture(scope="module")
def refreshed(moto_server: str, advisor_server: str) -> Refreshed:
    """One full refresh of eu-west-1 against a freshly reset moto server.

    Module-scoped because moto takes seconds to list its 1,395 instance types; the
    refresh only reads moto's built-in data, which no test changes.
    """
    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    advisor_url = f"{advisor_server}/spot-advisor-data.json"
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    pricing, stub = stub_pricing(session)
    steps: list[str] = []
    inputs = fetch_inputs(
        session,
        REGION,
        endpoint_url=moto_server,
        pricing_client=pricing,
        advisor_url=advisor_url,
        progress=steps.append,
        now=NOW,
    )
    stub.assert_no_pending_responses()
    zones = client(session, "ec2", moto_server).describe_availability_zones()["AvailabilityZones"]
    zone_ids = {z["ZoneName"]: z["ZoneId"] for z in zones}
    return Refreshed(inputs, build_catalog(inputs), steps, zone_ids, advisor_url)


def test_refresh_reads_every_instance_type_and_offering_moto_serves(refreshed: Refreshed) -> None:
    inputs = refreshed.inputs
    assert inputs.region == REGION
    assert inputs.zone_ids == refreshed.zone_ids
    assert len(inputs.zone_ids) == 3
    assert sorted(t["InstanceType"] for t in inputs.instance_types) == sorted(
        moto_resource("instance_types.json.gz")
    )
    expected: dict[str, set[str]] = {}
    for item in moto_resource("instance_type_offerings", "availability-zone", f"{REGION}.json.gz"):
        expected.setdefault(item["InstanceType"], set()).add(item["Location"])
    assert {name: set(zones) for name, zones in inputs.zone_offerings.items()} == expected
    # moto answers one current price for every offered pool.
    pools = {(p.instance_type, p.zone) for p in inputs.spot_history}
    assert pools == {(name, zone) for name, zones in expected.items() for zone in zones}


def test_refresh_merges_both_pricing_pages_and_the_metal_query(refreshed: Refreshed) -> None:
    assert dict(refreshed.inputs.on_demand) == {**SHARED_PAGE_1, **SHARED_PAGE_2, **METAL_PAGE}


def test_refreshed_catalog_prices_m5_large(refreshed: Refreshed) -> None:
    catalog = refreshed.catalog
    zones = tuple(sorted(refreshed.inputs.zone_offerings["m5.large"]))
    assert catalog.economics["m5.large"].on_demand_price == 0.107
    assert catalog.economics["m5.large"].savings_percent == 62
    assert catalog.economics["m5.large"].interruption == BUCKETS[1]
    assert catalog.economics["m5.large"].zones == zones
    on_demand = catalog.offerings_of("m5.large", CapacityType.ON_DEMAND)
    assert [(o.zone, o.price, o.price_source) for o in on_demand] == [
        (z, 0.107, PriceSource.PUBLISHED) for z in zones
    ]
    spot = catalog.offerings_of("m5.large", CapacityType.SPOT)
    # moto's spot price is a flat 0.00001 for every pool: the zones do not differ, and
    # the level is the advisor's 62% off on-demand.
    assert [(o.zone, o.price, o.price_source, o.interruption) for o in spot] == [
        (z, round(0.107 * 0.38, 6), PriceSource.ADVISOR_ZONE_SPREAD, BUCKETS[1]) for z in zones
    ]
    assert catalog.economics["m5.metal"].on_demand_price == 5.136
    # A published price of zero is no price: never a free on-demand node, and no basis
    # for a spot price either (spot is priced as a discount on on-demand).
    assert catalog.economics["c5.large"].on_demand_price is None
    assert catalog.economics["c5.large"].interruption == BUCKETS[4]
    assert catalog.offerings_of("c5.large") == ()


def test_refresh_records_sources_date_and_progress(refreshed: Refreshed) -> None:
    inputs = refreshed.inputs
    assert inputs.built_at == "2026-11-20T12:00:00+00:00"
    assert [s.name for s in inputs.sources] == [
        "instance types and zone offerings",
        "on-demand prices",
        "spot price spread between zones",
        "interruption buckets and spot savings (the spot price level)",
    ]
    assert {s.as_of for s in inputs.sources} == {"2026-11-20"}
    assert inputs.sources[3].location.endswith(refreshed.advisor_url)
    assert refreshed.catalog.metadata.sources == inputs.sources
    assert refreshed.steps == [
        f"listing availability zones in {REGION}",
        f"downloading the Spot Advisor feed from {refreshed.advisor_url}",
        "describing instance types",
        "listing instance type offerings per zone",
        "reading current spot prices",
        "reading on-demand prices from the AWS Price List API",
    ]


def test_refreshed_catalog_round_trips_through_a_snapshot(refreshed: Refreshed, tmp_path) -> None:
    path = tmp_path / f"{REGION}.json.gz"
    snapshot.write(refreshed.catalog, path)
    again = snapshot.read(path)
    assert snapshot.to_document(again) == snapshot.to_document(refreshed.catalog)
    assert again.offerings == refreshed.catalog.offerings
    assert dict(again.instance_types) == dict(refreshed.catalog.instance_types)
    assert again.metadata.sources == refreshed.catalog.metadata.sources


def _instance_type(name: str, vcpus: int, mib: int) -> dict[str, Any]:
    return {
        "InstanceType": name,
        "CurrentGeneration": True,
        "SupportedUsageClasses": ["on-demand", "spot"],
        "ProcessorInfo": {"SupportedArchitectures": ["x86_64"]},
        "VCpuInfo": {"DefaultVCpus": vcpus},
        "MemoryInfo": {"SizeInMiB": mib},
        "NetworkInfo": {
            "NetworkPerformance": "Up to 10 Gigabit",
            "MaximumNetworkInterfaces": 3,
            "Ipv4AddressesPerInterface": 10,
        },
    }


def test_every_paged_call_is_followed_to_its_last_page(
    boto_session: boto3.Session, advisor_server: str
) -> None:
    region, bos = "us-east-1", "us-east-1-bos-1a"
    ec2 = boto_session.client("ec2", region_name=region)
    stub = Stubber(ec2)
    stub.add_response(
        "describe_availability_zones",
        {
            "AvailabilityZones": [
                {
                    "ZoneName": "us-east-1a",
                    "ZoneId": "use1-az6",
                    "ZoneType": "availability-zone",
                    "State": "available",
                },
                {
                    "ZoneName": "us-east-1b",
                    "ZoneId": "use1-az1",
                    "ZoneType": "availability-zone",
                    "State": "available",
                },
                {
                    "ZoneName": "us-east-1c",
                    "ZoneId": "use1-az2",
                    "ZoneType": "availability-zone",
                    "State": "impaired",
                },
                {
                    "ZoneName": bos,
                    "ZoneId": "use1-bos1-az1",
                    "ZoneType": "local-zone",
                    "State": "available",
                },
            ]
        },
        {},
    )
    stub.add_response(
        "describe_instance_types",
        {"InstanceTypes": [_instance_type("m5.large", 2, 8192)], "NextToken": "types-2"},
        {"MaxResults": 100},
    )
    stub.add_response(
        "describe_instance_types",
        {"InstanceTypes": [_instance_type("m5.xlarge", 4, 16384)]},
        {"MaxResults": 100, "NextToken": "types-2"},
    )
    offering_params = {"LocationType": "availability-zone", "MaxResults": 1000}
    stub.add_response(
        "describe_instance_type_offerings",
        {
            "InstanceTypeOfferings": [
                {
                    "InstanceType": "m5.large",
                    "LocationType": "availability-zone",
                    "Location": "us-east-1a",
                },
                {"InstanceType": "m5.large", "LocationType": "availability-zone", "Location": bos},
            ],
            "NextToken": "offerings-2",
        },
        offering_params,
    )
    stub.add_response(
        "describe_instance_type_offerings",
        {
            "InstanceTypeOfferings": [
                {
                    "InstanceType": "m5.large",
                    "LocationType": "availability-zone",
                    "Location": "us-east-1b",
                },
                {
                    "InstanceType": "m5.xlarge",
                    "LocationType": "availability-zone",
                    "Location": "us-east-1b",
                },
            ]
        },
        {**offering_params, "NextToken": "offerings-2"},
    )
    spot_params = {
        "ProductDescriptions": ["Linux/UNIX", "Linux/UNIX (Amazon VPC)"],
        "StartTime": NOW,
        "MaxResults": 1000,
    }

    def row(name: str, zone: str, price: str, age: timedelta) -> dict[str, Any]:
        return {
            "InstanceType": name,
            "AvailabilityZone": zone,
            "ProductDescription": "Linux/UNIX",
            "SpotPrice": price,
            "Timestamp": NOW - age,
        }

    stub.add_response(
        "describe_spot_price_history",
        {
            "SpotPriceHistory": [
                row("m5.large", "us-east-1a", "0.0300", timedelta(hours=5)),
                row("m5.large", bos, "0.0100", timedelta(hours=1)),
            ],
            "NextToken": "spot-2",
        },
        spot_params,
    )
    stub.add_response(
        "describe_spot_price_history",
        {
            "SpotPriceHistory": [
                # A later change of the same pool on a later page: the later price wins.
                row("m5.large", "us-east-1a", "0.0350", timedelta(minutes=10)),
                row("m5.large", "us-east-1b", "0.0400", timedelta(hours=2)),
                row("m5.xlarge", "us-east-1b", "0", timedelta(hours=2)),
            ]
        },
        {**spot_params, "NextToken": "spot-2"},
    )
    pricing, pricing_stub = stub_pricing(boto_session, region)
    with stub:
        inputs = fetch_inputs(
            None,
            region,
            ec2_client=ec2,
            pricing_client=pricing,
            advisor_url=f"{advisor_server}/spot-advisor-data.json",
            now=NOW,
        )
        stub.assert_no_pending_responses()
    pricing_stub.assert_no_pending_responses()

    assert dict(inputs.zone_ids) == {"us-east-1a": "use1-az6", "us-east-1b": "use1-az1"}
    assert [t["InstanceType"] for t in inputs.instance_types] == ["m5.large", "m5.xlarge"]
    assert dict(inputs.zone_offerings) == {
        "m5.large": frozenset({"us-east-1a", "us-east-1b"}),
        "m5.xlarge": frozenset({"us-east-1b"}),
    }
    assert {(p.instance_type, p.zone, p.price) for p in inputs.spot_history} == {
        ("m5.large", "us-east-1a", 0.03),
        ("m5.large", "us-east-1a", 0.035),
        ("m5.large", "us-east-1b", 0.04),
    }
    assert inputs.advisor == parse_advisor(ADVISOR_DOC, region)
    catalog = build_catalog(inputs)
    spot = {
        o.zone: (o.price, o.price_source)
        for o in catalog.offerings_of("m5.large", CapacityType.SPOT)
    }
    # The latest prices (0.035 and 0.04) shape the zones around the advisor's level.
    economics = catalog.economics["m5.large"]
    level = economics.on_demand_price * (1 - economics.savings_percent / 100)
    assert spot == {
        "us-east-1a": (round(level * 0.035 / 0.0375, 6), PriceSource.ADVISOR_ZONE_SPREAD),
        "us-east-1b": (round(level * 0.04 / 0.0375, 6), PriceSource.ADVISOR_ZONE_SPREAD),
    }
    # No advisor entry and a zero spot price: m5.xlarge has no spot offering at all.
    assert catalog.offerings_of("m5.xlarge", CapacityType.SPOT) == ()
    assert catalog.offerings_of("m5.xlarge", CapacityType.ON_DEMAND)[0].price == 0.214


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (None, "cannot reach the Spot Advisor feed at"),
        ("/missing.json", "(HTTP 404 Not Found)"),
        ("not a url", "cannot reach the Spot Advisor feed at not a url (unknown url type"),
        ("/changed.json", "is not in the expected format (advisor buckets changed"),
        ("/garbage.json", "is not in the expected format"),
    ],
)
def test_an_unusable_advisor_feed_is_a_user_error(
    aws_endpoint: str,
    boto_session: boto3.Session,
    advisor_server: str,
    path: str | None,
    problem: str,
) -> None:
    if path is None:
        url = f"http://127.0.0.1:{_closed_port()}/feed.json"
    else:
        url = advisor_server + path if path.startswith("/") else path
    pricing = boto_session.client("pricing", region_name="us-east-1")
    steps: list[str] = []
    with Stubber(pricing), pytest.raises(UserError) as caught:
        fetch_inputs(
            boto_session,
            REGION,
            endpoint_url=aws_endpoint,
            pricing_client=pricing,
            advisor_url=url,
            progress=steps.append,
            timeout=5,
        )
    message = str(caught.value)
    assert message.startswith("catalog refresh: ")
    assert problem in message
    assert f"at {url} " in message
    assert "--advisor-url" in message
    assert "\n" not in message
    # The feed is checked before the slow listings start.
    assert steps[-1].startswith("downloading the Spot Advisor feed")


@pytest.mark.parametrize(
    ("region", "problem"),
    [
        # moto knows the region but has no zones in it.
        ("eusc-de-east-1", "--region: 'eusc-de-east-1' has no available availability zones"),
        # moto fails with HTTP 500 on a region it does not know.
        ("xx-nowhere-1", "catalog refresh: DescribeAvailabilityZones in xx-nowhere-1 failed"),
        ("not a region", "catalog refresh: creating AWS clients in not a region failed"),
    ],
)
def test_a_region_without_zones_is_a_user_error(
    aws_endpoint: str, boto_session: boto3.Session, region: str, problem: str
) -> None:
    with pytest.raises(UserError) as caught:
        fetch_inputs(boto_session, region, endpoint_url=aws_endpoint, advisor_url="http://unused")
    message = str(caught.value)
    assert message.startswith(problem)
    assert "--region" in message
    assert "\n" not in message
    assert len(message) < 400


def test_missing_credentials_are_a_user_error(
    aws_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    with pytest.raises(UserError, match=r"^catalog refresh: no usable AWS credentials for "):
        fetch_inputs(boto3.Session(region_name=REGION), REGION, endpoint_url=aws_endpoint)


@pytest.mark.parametrize(
    ("code", "problem", "fix"),
    [
        ("UnauthorizedOperation", "AWS refused", "allow ec2:DescribeAvailabilityZones"),
        ("AuthFailure", "AWS rejected the credentials", "reconfigure the credentials"),
        ("OptInRequired", "us-east-1 is not enabled", "pass another --region"),
    ],
)
def test_aws_refusals_are_user_errors(
    boto_session: boto3.Session, code: str, problem: str, fix: str
) -> None:
    ec2 = boto_session.client("ec2", region_name="us-east-1")
    with Stubber(ec2) as stub, pytest.raises(UserError) as caught:
        stub.add_client_error(
            "describe_availability_zones", code, "You are not allowed to do that.", 403
        )
        fetch_inputs(None, "us-east-1", ec2_client=ec2, pricing_client=object())
    message = str(caught.value)
    assert problem in message
    assert fix in message
    assert f"{code}: You are not allowed to do that." in message
