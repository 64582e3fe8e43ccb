"""Fixtures for the AWS adapters: a VPC in moto, and a session that records every call."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest

from conftest import client
from spotwise.aws.calls import AWS_CALLS

CLUSTER = "prod"
DISCOVERY = {"karpenter.sh/discovery": CLUSTER}


@dataclass(frozen=True)
class Network:
    vpc_id: str
    subnets: dict[str, str]  # zone -> subnet ID
    security_group_id: str


def _tags(resource_type: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
    ]


# Reading the EC2 API model takes a new session 0.4 s; sessions sharing a loader read it once.
_LOADER = botocore.loaders.create_loader()


def new_session() -> boto3.Session:
    """A session with test credentials in us-east-1 and its own event handlers."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    session = boto3.Session(
        botocore_session=core,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    # Each boto3 session adds its data folder to the loader's path; once is enough.
    _LOADER.search_paths[:] = list(dict.fromkeys(_LOADER.search_paths))
    return session


@pytest.fixture
def ec2(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An EC2 client for setting up and checking moto's state (not recorded)."""
    # moto builds its EC2 state on the first call after the reset; without its hundreds of
    # public AMIs, which no test here uses, that is several times faster.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    return client(new_session(), "ec2", aws_endpoint)


@pytest.fixture
def network(ec2: Any) -> Network:
    """A VPC with a subnet in each of two zones and a security group, tagged for discovery."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = {}
    for index, zone in enumerate(("us-east-1a", "us-east-1b"), start=1):
        subnet = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=f"10.0.{index}.0/24",
            AvailabilityZone=zone,
            TagSpecifications=_tags("subnet", DISCOVERY),
        )["Subnet"]
        subnets[zone] = subnet["SubnetId"]
    group = ec2.create_security_group(
        GroupName="nodes",
        Description="nodes",
        VpcId=vpc_id,
        TagSpecifications=_tags("security-group", DISCOVERY),
    )["GroupId"]
    return Network(vpc_id, subnets, group)


class Hooks:
    """botocore event handlers that can be added after the clients were made.

    A client copies its session's handlers when it is made; these dispatchers are
    registered on the session first, so handlers added later still run.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, list[Callable[..., Any]]] = defaultdict(list)

    def register(self, event_name: str, handler: Callable[..., Any]) -> None:
        """Run ``handler`` on ``event_name`` (such as ``after-call.ec2.CreateFleet``)."""
        self._handlers[event_name].append(handler)

    def dispatch(self, event_name: str, **kwargs: Any) -> Any:
        for handler in self._handlers.get(event_name, ()):
            response = handler(**kwargs)
            if response is not None:
                return response  # a before-call response replaces the real call
        return None


@pytest.fixture
def calls() -> list[str]:
    """Every AWS call the code under test made, as IAM actions, in order."""
    return []


@pytest.fixture
def hooks() -> Hooks:
    return Hooks()


def recorded_session(calls: list[str], hooks: Hooks, families: tuple[str, ...]) -> boto3.Session:
    """A session that records each call in ``calls`` as an IAM action.

    ``hooks`` answers the given botocore event families, so tests can inject errors.
    """
    session = new_session()

    def record(model: Any, **_: Any) -> None:
        calls.append(f"{model.service_model.signing_name}:{model.name}")

    session.events.register("before-call", record)
    for family in families:
        session.events.register(family, hooks.dispatch)
    return session


@pytest.fixture
def cloud_session(aws_endpoint: str, calls: list[str], hooks: Hooks) -> Iterator[boto3.Session]:
    """A session for the code under test; every call it makes must be in AWS_CALLS."""
    session = recorded_session(calls, hooks, ("provide-client-params", "before-call", "after-call"))
    yield session
    unlisted = sorted(set(calls) - AWS_CALLS)
    assert not unlisted, f"calls missing from spotwise.aws.calls.AWS_CALLS: {unlisted}"
