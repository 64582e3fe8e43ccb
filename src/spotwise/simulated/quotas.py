"""Account vCPU quotas of the simulated cloud, per capacity type, as EC2 enforces them."""

from __future__ import annotations

from collections.abc import Mapping

from spotwise.model.instance_type import CapacityType

# The codes EC2 answers with when a launch would pass the account's vCPU quota.
QUOTA_CODES: Mapping[CapacityType, str] = {
    CapacityType.SPOT: "MaxSpotInstanceCountExceeded",
    CapacityType.ON_DEMAND: "VcpuLimitExceeded",
}


class VcpuQuotas:
    """Running vCPUs per capacity type against an optional limit for each."""

    def __init__(self, limits: Mapping[CapacityType, int] | None = None) -> None:
        self._limits = dict(limits or {})
        self._used = dict.fromkeys(CapacityType, 0)

    def refusal(self, capacity_type: CapacityType, vcpus: int) -> str | None:
        """The error code if ``vcpus`` more would pass the limit, else None."""
        limit = self._limits.get(capacity_type)
        if limit is not None and self._used[capacity_type] + vcpus > limit:
            return QUOTA_CODES[capacity_type]
        return None

    def use(self, capacity_type: CapacityType, vcpus: int) -> None:
        """Count vCPUs of a launched instance."""
        self._used[capacity_type] += vcpus

    def release(self, capacity_type: CapacityType, vcpus: int) -> None:
        """Stop counting vCPUs of an instance that went away."""
        self._used[capacity_type] = max(self._used[capacity_type] - vcpus, 0)

    def used(self, capacity_type: CapacityType) -> int:
        """The vCPUs counted now."""
        return self._used[capacity_type]
