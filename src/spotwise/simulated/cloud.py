"""SimulatedCloud: the Cloud port over a catalog, in virtual time, deterministic for a seed.

It keeps the port's assumptions (see `spotwise.ports.cloud`) and models what moto does not:
allocation strategies, per-pool capacity that runs out, account vCPU quotas and injected
refusals. Prices come from the catalog; instance ids, private DNS names and the spare
capacity of unconfigured spot pools come from the seed, so the same seed and the same calls
give the same answers.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace

from spotwise.catalog.catalog import Catalog
from spotwise.decisions.capacity.allocation import Candidate, on_demand_order, spot_order
from spotwise.model.instance_type import CapacityType
from spotwise.ports.clock import Clock, ManualClock
from spotwise.ports.cloud import (
    TAG_CAPACITY_RESERVATION,
    TAG_CLUSTER,
    CloudError,
    Instance,
    InstanceState,
    LaunchRequest,
    LaunchResult,
    OfferingError,
)
from spotwise.simulated.capacity import DEFAULT_CAPACITY, CapacityDefaults, PoolCapacity, PoolKey
from spotwise.simulated.faults import Fault, Faults
from spotwise.simulated.quotas import VcpuQuotas
from spotwise.simulated.spot_pools import SpotPools

INSUFFICIENT_CAPACITY = "InsufficientInstanceCapacity"
RESERVATION_FULL = "ReservationCapacityExceeded"
UNSUPPORTED = "Unsupported"


class SimulatedCloud:
    """An EC2 that answers CreateFleet-like launches from a catalog and a capacity model.

    Args:
        catalog: Offerings and prices; an override with no available offering in it is
            refused with ``Unsupported``.
        seed: Seeds ids, DNS names and the spot pools' model (`spot_pools`).
        clock: Virtual time; instances are pending for ``boot_seconds`` after launch.
        capacity: Spare instances of given pools; others get ``defaults``.
        defaults: The capacity of pools not in ``capacity``: spot pools as deep as
            `SpotPools` makes them from ``defaults.spot_reference_depth``.
        vcpu_quotas: Account vCPU limits per capacity type; none by default.
        boot_seconds: How long an instance stays pending.
        reservations: Capacity reservations: id -> (instance type, zone, instance count).
            An on-demand request naming one launches into it first (at the on-demand
            price, tagged with its id); terminating the instance frees the slot.
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        seed: int = 0,
        clock: Clock | None = None,
        capacity: Mapping[PoolKey, int] | None = None,
        defaults: CapacityDefaults = DEFAULT_CAPACITY,
        vcpu_quotas: Mapping[CapacityType, int] | None = None,
        boot_seconds: float = 30.0,
        reservations: Mapping[str, tuple[str, str, int]] | None = None,
    ) -> None:
        self.catalog = catalog
        self.clock: Clock = clock if clock is not None else ManualClock()
        # One model gives a spot pool its depth here and its interruption rate in the
        # simulator's market, so that deep pools are the calm ones.
        self.spot_pools = SpotPools(
            seed,
            lambda name: catalog.economics[name].interruption,
            defaults.spot_reference_depth,
        )
        self.capacity = PoolCapacity(self.spot_pools.depth, defaults, capacity)
        self.quotas = VcpuQuotas(vcpu_quotas)
        self.faults = Faults()
        self.boot_seconds = boot_seconds
        self._rng = random.Random(seed)
        self._instances: dict[str, Instance] = {}
        self._by_token: dict[str, tuple[LaunchRequest, LaunchResult]] = {}
        self._reservations = {
            rid: (instance_type, zone)
            for rid, (instance_type, zone, _) in (reservations or {}).items()
        }
        self._reserved_free = {rid: count for rid, (_, _, count) in (reservations or {}).items()}

    # -- the port -------------------------------------------------------------------------

    def launch(self, request: LaunchRequest) -> LaunchResult:
        """Launch one instance, trying pools in the order of the request's strategy.

        Raises:
            CloudError: If the request has no overrides, or reuses a client token with
                different parameters (EC2's ``IdempotentParameterMismatch``).
        """
        earlier = self._by_token.get(request.client_token)
        if earlier is not None:
            if earlier[0] != request:
                raise CloudError(
                    f"IdempotentParameterMismatch: client token {request.client_token!r} "
                    "was used with other parameters"
                )
            # EC2 answers a reused token with the first answer, failure included.
            return self._refreshed(earlier[1])
        if not request.overrides:
            raise CloudError("InvalidParameterValue: a launch needs at least one override")
        result = self._launch(request)
        self._by_token[request.client_token] = (request, result)
        return result

    def terminate(self, instance_ids: Sequence[str]) -> None:
        """Terminate instances at once; unknown and terminated ones are ignored."""
        for instance_id in instance_ids:
            instance = self._instances.get(instance_id)
            if instance is None or instance.state.gone:
                continue
            self._instances[instance_id] = replace(instance, state=InstanceState.TERMINATED)
            reservation = instance.tags.get(TAG_CAPACITY_RESERVATION)
            if reservation in self._reserved_free:
                self._reserved_free[reservation] += 1
            else:
                self.capacity.give_back(_key(instance))
            self.quotas.release(instance.capacity_type, self._vcpus(instance.instance_type))

    def describe(self, instance_ids: Sequence[str]) -> tuple[Instance, ...]:
        """The instances among ``instance_ids`` that exist (terminated ones included)."""
        return tuple(self._current(i) for i in dict.fromkeys(instance_ids) if i in self._instances)

    def owned_instances(self, cluster: str) -> tuple[Instance, ...]:
        """Every instance tagged with ``cluster`` that is not shutting down or terminated."""
        return tuple(
            current
            for current in map(self._current, self._instances)
            if current.tags.get(TAG_CLUSTER) == cluster and not current.state.gone
        )

    # -- controls for tests and the simulator ---------------------------------------------

    def inject(
        self,
        instance_type: str | None,
        zone: str | None,
        capacity_type: CapacityType | None,
        code: str,
        *,
        until: float | None = None,
    ) -> None:
        """Refuse launches into matching pools with ``code`` until ``until`` (None: forever).

        None for the type, zone or capacity type matches every one.
        """
        self.faults.add(Fault(code, instance_type, zone, capacity_type, until))

    def set_capacity(
        self, instance_type: str, zone: str, capacity_type: CapacityType, count: int
    ) -> None:
        """Give one pool exactly ``count`` spare instances."""
        self.capacity.set((instance_type, zone, capacity_type), count)

    def spare(self, instance_type: str, zone: str, capacity_type: CapacityType) -> int:
        """How many more instances a pool can hand out."""
        return self.capacity.spare((instance_type, zone, capacity_type))

    def reserved_free(self, reservation_id: str) -> int:
        """How many more instances a capacity reservation can hold."""
        return self._reserved_free[reservation_id]

    def price(self, instance_type: str, zone: str, capacity_type: CapacityType) -> float | None:
        """The catalog price of an offering, or None when it is not offered."""
        offered = self.catalog.offerings_of(instance_type, capacity_type, (zone,))
        return offered[0].price if offered and offered[0].available else None

    # -- inside ---------------------------------------------------------------------------

    def _launch(self, request: LaunchRequest) -> LaunchResult:
        now = self.clock.now()
        ct = request.capacity_type
        if ct is CapacityType.ON_DEMAND and request.capacity_reservations:
            # Reservations only, as EC2's reservations-only launch templates do: a full or
            # mismatched reservation is refused, and the launcher moves on to spot.
            reserved = self._launch_reserved(request, now)
            if reserved is not None:
                return LaunchResult(reserved)
            return LaunchResult(
                None,
                tuple(
                    _error(
                        (o.instance_type, o.zone, ct),
                        RESERVATION_FULL,
                        "no named capacity reservation has room for this override",
                    )
                    for o in request.overrides
                ),
            )
        errors: list[OfferingError] = []
        candidates = []
        for index, override in enumerate(request.overrides):
            key = (override.instance_type, override.zone, ct)
            price = self.price(*key)
            if price is None:
                errors.append(_error(key, UNSUPPORTED, "not offered in this zone"))
                continue
            fault = self.faults.find(key, now)
            spare = 0 if fault is not None and fault.is_shortage else self.capacity.spare(key)
            candidates.append(Candidate(override, price, spare, index))
        if ct is CapacityType.SPOT:
            ordered = spot_order(request.spot_strategy, candidates)
        else:
            ordered = on_demand_order(request.on_demand_strategy, candidates)
        for candidate in ordered:
            key = (candidate.override.instance_type, candidate.override.zone, ct)
            code = self._refusal(key, now)
            if code is None and self.capacity.take(key):
                instance = self._start(request, key, now)
                return LaunchResult(instance, tuple(errors))
            errors.append(_error(key, code or INSUFFICIENT_CAPACITY, "refused by the simulator"))
        return LaunchResult(None, tuple(errors))

    def _launch_reserved(self, request: LaunchRequest, now: float) -> Instance | None:
        """Launch into the first named reservation with room that matches an override."""
        offered = {(o.instance_type, o.zone) for o in request.overrides}
        for rid in request.capacity_reservations:
            pool = self._reservations.get(rid)
            if pool is None or pool not in offered or self._reserved_free[rid] <= 0:
                continue
            key = (*pool, CapacityType.ON_DEMAND)
            # Reserved capacity is there by definition, but the account's quota still counts.
            if self._refusal(key, now) is not None:
                continue
            self._reserved_free[rid] -= 1
            return self._start(request, key, now, {TAG_CAPACITY_RESERVATION: rid})
        return None

    def _refusal(self, key: PoolKey, now: float) -> str | None:
        fault = self.faults.find(key, now)
        if fault is not None:
            return fault.code
        return self.quotas.refusal(key[2], self._vcpus(key[0]))

    def _start(
        self,
        request: LaunchRequest,
        key: PoolKey,
        now: float,
        extra_tags: Mapping[str, str] | None = None,
    ) -> Instance:
        instance_type, zone, capacity_type = key
        instance_id = f"i-{self._rng.getrandbits(68):017x}"
        address = "-".join(str(self._rng.randrange(1, 255)) for _ in range(3))
        instance = Instance(
            instance_id=instance_id,
            instance_type=instance_type,
            zone=zone,
            capacity_type=capacity_type,
            state=InstanceState.PENDING,
            launch_time=now,
            tags={**request.all_tags(), **(extra_tags or {})},
            private_dns_name=f"ip-10-{address}.ec2.internal",
        )
        self._instances[instance_id] = instance
        self.quotas.use(capacity_type, self._vcpus(instance_type))
        return instance

    def _current(self, instance_id: str) -> Instance:
        """The instance as of now: pending turns running once it has booted."""
        instance = self._instances[instance_id]
        booted = self.clock.now() >= instance.launch_time + self.boot_seconds
        if instance.state is InstanceState.PENDING and booted:
            instance = self._instances[instance_id] = replace(instance, state=InstanceState.RUNNING)
        return instance

    def _refreshed(self, result: LaunchResult) -> LaunchResult:
        if result.instance is None:
            return result
        return replace(result, instance=self._current(result.instance.instance_id))

    def _vcpus(self, instance_type: str) -> int:
        return self.catalog.instance_type(instance_type).vcpus


def _key(instance: Instance) -> PoolKey:
    return (instance.instance_type, instance.zone, instance.capacity_type)


def _error(key: PoolKey, code: str, message: str) -> OfferingError:
    instance_type, zone, capacity_type = key
    return OfferingError(instance_type, zone, capacity_type, code, message)
