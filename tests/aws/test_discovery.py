"""Choosing among subnets and security groups found by tags (EC2's answers given directly)."""

from __future__ import annotations

from typing import Any

from spotwise.aws.discovery import discover_security_groups, discover_subnets, tag_filters


class FakeEc2:
    """Answers one paginated call with fixed pages and remembers the filters it got."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages
        self.filters: list[Any] = []

    def get_paginator(self, _operation: str) -> FakeEc2:
        return self

    def paginate(self, Filters: list[Any]) -> list[dict[str, Any]]:
        self.filters = Filters
        return self.pages


def subnet(subnet_id: str, zone: str, free: int) -> dict[str, Any]:
    return {"SubnetId": subnet_id, "AvailabilityZone": zone, "AvailableIpAddressCount": free}


def test_the_subnet_with_the_most_free_addresses_wins_in_each_zone() -> None:
    ec2 = FakeEc2(
        [
            {
                "Subnets": [
                    subnet("subnet-b", "us-east-1a", 11),
                    subnet("subnet-c", "us-east-1a", 250),
                ]
            },
            {
                "Subnets": [
                    subnet("subnet-a", "us-east-1a", 11),
                    subnet("subnet-z", "us-east-1b", 5),
                ]
            },
            {"Subnets": [subnet("subnet-y", "us-east-1b", 5)]},
        ]
    )
    # Ties go to the lowest ID, so the choice does not flip between calls.
    assert discover_subnets(ec2, {"k": "v"}) == {"us-east-1a": "subnet-c", "us-east-1b": "subnet-y"}
    assert ec2.filters == [{"Name": "tag:k", "Values": ["v"]}]


def test_every_matching_security_group_once_and_sorted() -> None:
    ec2 = FakeEc2(
        [
            {"SecurityGroups": [{"GroupId": "sg-2"}, {"GroupId": "sg-1"}]},
            {"SecurityGroups": [{"GroupId": "sg-2"}]},
        ]
    )
    assert discover_security_groups(ec2, {"a": "b"}) == ("sg-1", "sg-2")


def test_a_star_matches_any_value_of_the_key() -> None:
    assert tag_filters({"karpenter.sh/discovery": "prod", "tier": "*"}) == [
        {"Name": "tag:karpenter.sh/discovery", "Values": ["prod"]},
        {"Name": "tag-key", "Values": ["tier"]},
    ]
