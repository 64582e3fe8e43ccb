"""The Scenario document: the cluster, the load and the spot market of one simulated run.

A scenario file (``apiVersion: spotwise.io/v1alpha1``, ``kind: Scenario``) is untrusted
input, validated here with pydantic, and turned into frozen values for the engine: the
Deployments and Job streams of :mod:`spotwise.simulator.workloads`, the base load of real
manifests, the market's settings and the NodePools. docs/scenarios.md documents every field.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    Tag,
    ValidationError,
    model_validator,
)

from spotwise.config.commitments import CommitmentsDoc
from spotwise.config.documents import (
    CpuQuantity,
    DocumentModel,
    MemoryQuantity,
    first_error,
    matches,
    read_documents,
)
from spotwise.config.nodepool import NodePool
from spotwise.errors import UserError
from spotwise.kubernetes.manifests import Workload, load_workload
from spotwise.kubernetes.manifests.manifests import ManifestLoader
from spotwise.model.quantity import parse_bytes, parse_cpu_millicores
from spotwise.model.resources import NVIDIA_GPU, Resources
from spotwise.simulator.workloads import (
    Constant,
    DeploymentSpec,
    Diurnal,
    JobSpec,
    ReplicaCurve,
    Spike,
    Spread,
    Steps,
    pdb_for,
    pod_spec_for,
)

API_VERSION: Final = "spotwise.io/v1alpha1"
KIND: Final = "Scenario"
SCENARIOS = Path(__file__).parent / "scenarios"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_PERCENT = re.compile(r"^[0-9]+%$")
# Tags of the replicas union; pydantic puts them in error locations, which drop them again.
_TAG = "~"
_COUNT, _CURVE = f"{_TAG}count", f"{_TAG}curve"


def _int_or_percent(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _PERCENT.match(value) and int(value[:-1]) <= 100:
        return value
    raise ValueError(f'{value!r} is not a count or a percentage up to 100% (such as 2 or "50%")')


def _ordered(bounds: tuple[float, float]) -> tuple[float, float]:
    if bounds[0] > bounds[1]:
        raise ValueError(f"[{bounds[0]:g}, {bounds[1]:g}] is not a range; write [low, high]")
    return bounds


DnsLabel = Annotated[str, AfterValidator(matches(_DNS_LABEL, "a DNS label (a-z, 0-9, '-')"))]
NonNegative = Annotated[StrictFloat, Field(ge=0)]
Share = Annotated[StrictFloat, Field(ge=0, le=1)]
Count = Annotated[StrictInt, Field(ge=0)]
Range = Annotated[tuple[NonNegative, NonNegative], AfterValidator(_ordered)]
IntOrPercent = Annotated[StrictInt | str, BeforeValidator(_int_or_percent)]


class Metadata(DocumentModel):
    """The scenario's identity."""

    name: DnsLabel


class Requests(DocumentModel):
    """What each pod requests."""

    cpu: CpuQuantity
    memory: MemoryQuantity
    nvidia_gpu: Count | None = Field(default=None, alias="nvidia.com/gpu")

    def resources(self, gpus: int = 0) -> Resources:
        """The requests as a resource vector of one pod."""
        gpu = gpus or self.nvidia_gpu or 0
        extended = ((NVIDIA_GPU, gpu),) if gpu else ()
        return Resources(parse_cpu_millicores(self.cpu), parse_bytes(self.memory), 1, extended)


class DiurnalCurve(DocumentModel):
    """``{diurnal: {min, max, peakHour}}``."""

    min_replicas: Count = Field(alias="min")
    max_replicas: Count = Field(alias="max")
    peak_hour: Annotated[StrictFloat, Field(ge=0, lt=24)]

    @model_validator(mode="after")
    def _min_below_max(self) -> Self:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min {self.min_replicas} is more than max {self.max_replicas}; swap them"
            )
        return self


class Step(DocumentModel):
    """One ``{atHour, replicas}`` of a steps curve."""

    at_hour: NonNegative
    replicas: Count


class SpikeCurve(DocumentModel):
    """``{spike: {base, peak, atHour, durationHours}}``."""

    base: Count
    peak: Count
    at_hour: NonNegative
    duration_hours: Annotated[StrictFloat, Field(gt=0)]

    @model_validator(mode="after")
    def _goes_up(self) -> Self:
        if self.peak < self.base:
            raise ValueError(
                f"peak {self.peak} is below base {self.base}; a spike goes up (use steps for a dip)"
            )
        return self


class Curve(DocumentModel):
    """Replicas that change over the day: exactly one of diurnal, steps or spike."""

    diurnal: DiurnalCurve | None = None
    steps: Annotated[tuple[Step, ...], Field(min_length=1)] | None = None
    spike: SpikeCurve | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [k for k in ("diurnal", "steps", "spike") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"gives {' and '.join(given) or 'no curve'}; give exactly one of diurnal,"
                " steps or spike"
            )
        hours = [s.at_hour for s in self.steps or ()]
        if any(later <= earlier for earlier, later in itertools.pairwise(hours)):
            raise ValueError("steps must be in order of increasing atHour, each hour once")
        return self

    def curve(self) -> ReplicaCurve:
        """The curve as a value for the engine."""
        if self.diurnal is not None:
            d = self.diurnal
            return Diurnal(d.min_replicas, d.max_replicas, d.peak_hour)
        if self.steps is not None:
            return Steps(tuple((s.at_hour, s.replicas) for s in self.steps))
        assert self.spike is not None  # the validator allows nothing else
        s = self.spike
        return Spike(s.base, s.peak, s.at_hour, s.duration_hours)


def _replicas_kind(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return _COUNT
    if isinstance(value, dict | Curve):
        return _CURVE
    return None


Replicas = Annotated[
    Annotated[Count, Tag(_COUNT)] | Annotated[Curve, Tag(_CURVE)],
    Discriminator(
        _replicas_kind,
        custom_error_type="replicas",
        custom_error_message="is neither a replica count nor a curve (diurnal, steps or spike)",
    ),
]


class Pdb(DocumentModel):
    """A PodDisruptionBudget over the Deployment's pods: one of the two bounds."""

    min_available: IntOrPercent | None = None
    max_unavailable: IntOrPercent | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.min_available is None) == (self.max_unavailable is None):
            raise ValueError("give exactly one of minAvailable or maxUnavailable")
        return self


class Deployment(DocumentModel):
    """A Deployment whose replicas follow a curve."""

    name: DnsLabel
    namespace: DnsLabel = "default"
    requests: Requests
    replicas: Replicas
    on_demand: StrictBool = False
    pdb: Pdb | None = None
    spread: Spread = Spread.NONE
    anti_affinity: StrictBool = False
    termination_grace_period_seconds: NonNegative = 30.0
    startup_seconds: NonNegative = 10.0


class Job(DocumentModel):
    """A stream of Jobs with Poisson arrivals."""

    name: DnsLabel
    namespace: DnsLabel = "default"
    requests: Requests
    arrivals_per_hour: NonNegative
    duration_minutes: Annotated[StrictFloat, Field(gt=0)]
    parallelism: Annotated[StrictInt, Field(ge=1)] = 1
    gpu: Count = 0
    on_demand: StrictBool = False

    @model_validator(mode="after")
    def _gpu_once(self) -> Self:
        if self.gpu and self.requests.nvidia_gpu is not None:
            raise ValueError(f"gives GPUs twice (gpu and requests[{NVIDIA_GPU!r}]); keep one")
        return self


class Market(DocumentModel):
    """How the simulated spot market behaves."""

    boot_seconds: NonNegative = 75.0
    join_seconds: NonNegative = 15.0
    interruption_scale: NonNegative = 1.0
    rebalance_share: Share = 0.5
    rebalance_lead_minutes: Range = (2.0, 10.0)
    correlation: Share = 0.5
    shortages_per_pool_per_day: NonNegative = 0.05
    shortage_minutes: Range = (10.0, 60.0)


class ScenarioSpec(DocumentModel):
    """The run, its load, its market and its pools."""

    region: Annotated[
        str, AfterValidator(matches(_REGION, "an AWS region (such as us-east-1)"))
    ] = "us-east-1"
    hours: Annotated[StrictFloat, Field(gt=0, le=24 * 31)] = 24.0
    seed: Count = 1
    start: Annotated[StrictFloat, Field(ge=0, lt=24)] = 0.0
    warm_up_minutes: Annotated[StrictFloat, Field(ge=0, le=24 * 60)] = 15.0
    deployments: tuple[Deployment, ...] = ()
    jobs: tuple[Job, ...] = ()
    manifests: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    market: Market = Field(default_factory=Market)
    pools: tuple[NodePool, ...] = ()
    commitments: CommitmentsDoc = Field(default_factory=CommitmentsDoc)


class ScenarioDocument(DocumentModel):
    """One ``kind: Scenario`` document, as written."""

    docs_page = "docs/scenarios.md"

    api_version: Literal["spotwise.io/v1alpha1"]
    kind: Literal["Scenario"]
    metadata: Metadata
    spec: ScenarioSpec = Field(default_factory=ScenarioSpec)


@dataclass(frozen=True, slots=True)
class MarketSettings:
    """How the simulated spot market behaves (docs/scenarios.md, ``spec.market``).

    Attributes:
        boot_seconds: From launch to the instance running.
        join_seconds: From running to the node Ready in the cluster.
        interruption_scale: Multiplies each offering's Spot Advisor interruption hazard.
        rebalance_share: Share of interruptions preceded by a rebalance recommendation.
        rebalance_lead_minutes: (low, high) of how long before the warning it comes.
        correlation: Share of a pool's instances one reclaim event takes.
        shortages_per_pool_per_day: Rate of capacity shortages per spot pool.
        shortage_minutes: (low, high) of how long a shortage lasts.
    """

    boot_seconds: float = 75.0
    join_seconds: float = 15.0
    interruption_scale: float = 1.0
    rebalance_share: float = 0.5
    rebalance_lead_minutes: tuple[float, float] = (2.0, 10.0)
    correlation: float = 0.5
    shortages_per_pool_per_day: float = 0.05
    shortage_minutes: tuple[float, float] = (10.0, 60.0)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A simulated run, ready for the engine.

    Attributes:
        name: ``metadata.name``.
        region: The AWS region whose catalog and Spot Advisor data are used.
        hours: How long the run lasts, in hours.
        seed: The seed of every random draw.
        start_hour: The hour of day the run starts at.
        warm_up_seconds: How long the cluster is provisioned for the load of the start
            hour before the measured run begins (nothing of it is measured).
        deployments: Deployments whose replicas follow curves.
        jobs: Job streams.
        base: The load of the real manifests (pods all day, DaemonSets per node), if any.
        market: The spot market's behaviour.
        nodepools: NodePools for spotwise's strategies; empty means the engine's defaults.
        commitments: The account's reserved instances and Savings Plans (docs/cost.md's
            format): every strategy is billed with them, and spotwise fills them first.
    """

    name: str
    region: str = "us-east-1"
    hours: float = 24.0
    seed: int = 1
    start_hour: float = 0.0
    warm_up_seconds: float = 900.0
    deployments: tuple[DeploymentSpec, ...] = ()
    jobs: tuple[JobSpec, ...] = ()
    base: Workload | None = None
    market: MarketSettings = field(default_factory=MarketSettings)
    nodepools: tuple[NodePool, ...] = ()
    commitments: CommitmentsDoc = field(default_factory=CommitmentsDoc)

    def with_hours(self, hours: float) -> Scenario:
        """The same scenario run for ``hours`` (``--hours``)."""
        return dataclasses.replace(self, hours=hours)

    def with_seed(self, seed: int) -> Scenario:
        """The same scenario with another seed (``--seed``)."""
        return dataclasses.replace(self, seed=seed)

    def clock_hour(self, elapsed_seconds: float) -> float:
        """The clock hour replica curves read, ``elapsed_seconds`` into the run.

        The warm-up before the run (negative seconds) reads the start hour: it provisions
        for the load the measured run starts with.
        """
        return self.start_hour + max(elapsed_seconds, 0.0) / 3600.0

    def replicas_at(self, elapsed_seconds: float) -> int:
        """The replicas all Deployments want ``elapsed_seconds`` into the run."""
        hour = self.clock_hour(elapsed_seconds)
        return sum(d.replicas.at(hour) for d in self.deployments)

    def peak_replicas(self, step_seconds: float = 300.0) -> tuple[float, int]:
        """When the Deployments want the most replicas, sampled every ``step_seconds``.

        Returns:
            (seconds into the run, replicas) of the first busiest sample.
        """
        samples = math.floor(self.hours * 3600.0 / step_seconds)
        best = (0.0, self.replicas_at(0.0))
        for index in range(1, samples + 1):
            at = index * step_seconds
            count = self.replicas_at(at)
            if count > best[1]:
                best = (at, count)
        return best


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file.

    Manifests it names are read relative to the file's folder.

    Raises:
        UserError: One line naming the file, the document and the field path when the
            file is unreadable, not YAML, not exactly one Scenario document, or breaks the
            schema (unknown keys, bad quantities, bad curves, missing manifests, names
            given twice), or when a manifest it names is malformed.
    """
    # The manifests' loader: safe, and a key given twice is an error, not overwritten.
    read = read_documents(path, ManifestLoader)
    documents = [(n, d) for n, d in enumerate(read, start=1) if d is not None]
    if not documents:
        raise UserError(str(path), "holds no Scenario document", "add one (see docs/scenarios.md)")
    if len(documents) > 1:
        raise UserError(
            f"{path}: document {documents[1][0]}",
            "is a second document; a scenario file holds one Scenario",
            "put NodePools under spec.pools and manifests in files named by spec.manifests",
        )
    number, document = documents[0]
    where = f"{path}: document {number}"
    if not isinstance(document, dict):
        raise UserError(
            where, "is not a mapping", "write a Scenario object (apiVersion, kind, metadata, spec)"
        )
    try:
        parsed = ScenarioDocument.model_validate(document, by_alias=True, by_name=False)
    except ValidationError as error:
        # NodePool's wording, so that a pool reads the same inline as in its own file.
        field, problem, fix = first_error(error, ScenarioDocument, tag_prefix=_TAG)
        raise UserError(f"{where}: {field}", problem, fix) from None
    return _scenario(parsed, where, path.parent)


def default_scenario() -> Scenario:
    """The bundled ``default`` scenario: a day of a ~260-node web shop in us-east-1."""
    return load_scenario(SCENARIOS / "default.yaml")


def bundled_scenarios() -> tuple[str, ...]:
    """The names of the bundled scenarios (files in ``scenarios/``)."""
    return tuple(sorted(p.stem for p in SCENARIOS.glob("*.yaml")))


def _scenario(document: ScenarioDocument, where: str, folder: Path) -> Scenario:
    spec = document.spec
    _check_unique_names(spec, where)
    market = spec.market
    return Scenario(
        name=document.metadata.name,
        region=spec.region,
        hours=spec.hours,
        seed=spec.seed,
        start_hour=spec.start,
        warm_up_seconds=spec.warm_up_minutes * 60,
        deployments=tuple(_deployment(d) for d in spec.deployments),
        jobs=tuple(_job(j) for j in spec.jobs),
        base=_base(spec.manifests, where, folder),
        market=MarketSettings(
            boot_seconds=market.boot_seconds,
            join_seconds=market.join_seconds,
            interruption_scale=market.interruption_scale,
            rebalance_share=market.rebalance_share,
            rebalance_lead_minutes=market.rebalance_lead_minutes,
            correlation=market.correlation,
            shortages_per_pool_per_day=market.shortages_per_pool_per_day,
            shortage_minutes=market.shortage_minutes,
        ),
        nodepools=spec.pools,
        commitments=spec.commitments,
    )


def _check_unique_names(spec: ScenarioSpec, where: str) -> None:
    # A Deployment and a Job stream share the `app` label space: the same name in one
    # namespace would make each one's spread and PDB count the other's pods.
    seen: dict[tuple[str, str], str] = {}
    workloads = [
        *((f"spec.deployments[{i}]", d.namespace, d.name) for i, d in enumerate(spec.deployments)),
        *((f"spec.jobs[{i}]", j.namespace, j.name) for i, j in enumerate(spec.jobs)),
    ]
    for path, namespace, name in workloads:
        first = seen.setdefault((namespace, name), path)
        if first != path:
            raise UserError(
                f"{where}: {path}.name",
                f"{namespace}/{name} is already the name of {first}",
                "give every workload its own name",
            )
    pools: dict[str, int] = {}
    for index, pool in enumerate(spec.pools):
        earlier = pools.setdefault(pool.name, index)
        if earlier != index:
            raise UserError(
                f"{where}: spec.pools[{index}].metadata.name",
                f"{pool.name!r} is already the name of spec.pools[{earlier}]",
                "give every pool its own name",
            )


def _deployment(d: Deployment) -> DeploymentSpec:
    pod_spec = pod_spec_for(
        d.name,
        d.namespace,
        d.requests.resources(),
        on_demand=d.on_demand,
        spread=d.spread,
        anti_affinity=d.anti_affinity,
    )
    replicas: ReplicaCurve = (
        Constant(d.replicas) if isinstance(d.replicas, int) else d.replicas.curve()
    )
    pdb = None
    if d.pdb is not None:
        pdb = pdb_for(d.name, d.namespace, d.pdb.min_available, d.pdb.max_unavailable)
    return DeploymentSpec(
        name=d.name,
        namespace=d.namespace,
        pod=pod_spec,
        replicas=replicas,
        pdb=pdb,
        grace_seconds=d.termination_grace_period_seconds,
        startup_seconds=d.startup_seconds,
    )


def _job(j: Job) -> JobSpec:
    pod_spec = pod_spec_for(j.name, j.namespace, j.requests.resources(j.gpu), on_demand=j.on_demand)
    return JobSpec(
        name=j.name,
        namespace=j.namespace,
        pod=pod_spec,
        arrivals_per_hour=j.arrivals_per_hour,
        duration_minutes=j.duration_minutes,
        parallelism=j.parallelism,
    )


def _base(manifests: tuple[str, ...], where: str, folder: Path) -> Workload | None:
    if not manifests:
        return None
    paths: list[Path] = []
    for index, raw in enumerate(manifests):
        path = folder / raw
        if not path.exists():
            raise UserError(
                f"{where}: spec.manifests[{index}]",
                f"{raw!r} does not exist (looked for {path})",
                "give a file or folder relative to the scenario file",
            )
        paths.append(path)
    return load_workload(paths)
