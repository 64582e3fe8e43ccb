"""Launching nodes into moto the way the controller does: templates, Ec2Cloud, Launcher."""

from __future__ import annotations

from typing import Any

import boto3
from prometheus_client import CollectorRegistry

from aws.conftest import CLUSTER
from spotwise.aws import ClusterJoin, Ec2Cloud, LaunchTemplateRef, LaunchTemplates
from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool, parse_nodepool
from spotwise.decisions.scheduling.plan import NewNode
from spotwise.model.instance_type import CapacityType
from spotwise.model.resources import Resources
from spotwise.ports.clock import ManualClock
from spotwise.ports.cloud import Instance
from spotwise.provisioning.launcher import Launched, Launcher, LaunchIntent, settings_for
from spotwise.provisioning.unavailable import UnavailableOfferings

JOIN = ClusterJoin(
    name=CLUSTER,
    api_server_endpoint="https://ABC.gr7.us-east-1.eks.amazonaws.com",
    certificate_authority="Q0VSVElGSUNBVEU=",
    cidr="172.20.0.0/16",
)


def nodepool(image_id: str, name: str = "general", **spec: Any) -> NodePool:
    return parse_nodepool(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": name},
            "spec": {
                "launch": {"instanceProfile": "NodeProfile", "ami": {"id": image_id}},
                **spec,
            },
        }
    )


class Nodes:
    """Launches nodes of pools into moto through spotwise's own launch path."""

    def __init__(self, session: boto3.Session, endpoint: str, catalog: Catalog) -> None:
        self.session = session
        self.endpoint = endpoint
        self.catalog = catalog
        self.templates = LaunchTemplates(
            session, region="us-east-1", cluster=JOIN, endpoint_url=endpoint
        )
        self._serial = 0

    def launch(
        self,
        pool: NodePool,
        types: tuple[str, ...],
        capacity_type: CapacityType = CapacityType.SPOT,
        zone: str = "us-east-1a",
    ) -> Instance:
        self.templates.ensure_all(pool)
        cloud = Ec2Cloud(
            self.session,
            region="us-east-1",
            cluster=CLUSTER,
            launch_template=LaunchTemplateRef.per_pool(CLUSTER),
            subnets=self.templates.subnets(pool),
            endpoint_url=self.endpoint,
        )
        launcher = Launcher(
            cloud,
            cluster=CLUSTER,
            unavailable=UnavailableOfferings(),
            clock=ManualClock(1_000.0),
            registry=CollectorRegistry(),
        )
        self._serial += 1
        node = NewNode(
            name=f"new-{pool.name}-{self._serial}",
            pool=pool.name,
            capacity_type=capacity_type,
            instance_types=types,
            zones=(zone,),
            pods=("default/web-1",),
            requested=Resources(1000, 2**30, 1),
            price_per_hour=0.05,
            on_demand_price_per_hour=0.1,
        )
        intent = LaunchIntent(node, allows_on_demand=capacity_type is CapacityType.ON_DEMAND)
        outcome = launcher.launch(intent, settings_for(pool, self.catalog))
        assert isinstance(outcome, Launched), outcome
        return outcome.instance
