"""The commitments file (reserved instances, savings plans) and the instances file.

    reservedInstances:
      - {type: m5.xlarge, zone: us-east-1a, count: 1}     # zonal: that zone only
      - {type: m5.large, region: us-east-1, count: 3}     # regional: size-flexible
    savingsPlans:
      - {kind: ec2-instance, family: c5, region: us-east-1, commitment: 0.20, discount_percent: 30}
      - {kind: compute, commitment: 0.45, discount_percent: 20}

    # instances: a list
    - {id: i-0abc, type: m5.large, zone: us-east-1a, capacity_type: on-demand}

A plan's ``commitment`` is USD per hour at the plan's rate; ``discount_percent`` is one
rate per plan (the catalog has no per-type plan rates yet). Keys may be camelCase or
snake_case. docs/cost.md describes both files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, ClassVar, Self

from pydantic import AfterValidator, Field, StrictFloat, StrictInt, ValidationError, model_validator

from spotwise.catalog.catalog import Catalog
from spotwise.config import documents
from spotwise.config.documents import DocumentModel, first_error, matches
from spotwise.decisions.cost.attribution import PlanKind, ReservedInstance, SavingsPlan
from spotwise.errors import UserError
from spotwise.model.instance_type import CapacityType

_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$")
_FAMILY = re.compile(r"^[a-z][a-z0-9-]*$")
TypeName = Annotated[str, AfterValidator(matches(_TYPE, "an instance type such as m5.large"))]
Family = Annotated[str, AfterValidator(matches(_FAMILY, "an instance family such as c5"))]
Number = Annotated[StrictFloat | StrictInt, Field(allow_inf_nan=False)]


class ReservedInstanceDoc(DocumentModel):
    """Reserved instances of one type: zonal (``zone``) or regional (``region``)."""

    docs_page: ClassVar[str | None] = "docs/cost.md"

    instance_type: TypeName = Field(alias="type")
    count: StrictInt = Field(ge=1)
    zone: str | None = Field(default=None, min_length=1)
    region: str | None = Field(default=None, min_length=1)
    hourly_price: Annotated[Number, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _zone_or_region(self) -> Self:
        if self.zone is not None and self.region is not None:
            raise ValueError("give a zone (a zonal RI) or a region (a regional RI), not both")
        if self.zone is None and self.region is None:
            raise ValueError("give a zone (a zonal RI) or a region (a regional RI)")
        return self


class SavingsPlanDoc(DocumentModel):
    """A Savings Plan: its kind, hourly commitment and discount."""

    docs_page: ClassVar[str | None] = "docs/cost.md"

    kind: PlanKind
    commitment: Annotated[Number, Field(gt=0)]
    discount_percent: Annotated[Number, Field(gt=0, lt=100)]
    family: Family | None = None
    region: str | None = None

    @model_validator(mode="after")
    def _scope(self) -> Self:
        if self.kind is PlanKind.EC2_INSTANCE and self.family is None:
            raise ValueError("an ec2-instance plan needs the family it covers")
        if self.kind is PlanKind.COMPUTE and (self.family or self.region):
            raise ValueError("a compute plan covers every family and region: drop them")
        return self


class CommitmentsDoc(DocumentModel):
    """The commitments file."""

    docs_page: ClassVar[str | None] = "docs/cost.md"

    reserved_instances: tuple[ReservedInstanceDoc, ...] = ()
    savings_plans: tuple[SavingsPlanDoc, ...] = ()


class InstanceDoc(DocumentModel):
    """One running instance of the instances file."""

    docs_page: ClassVar[str | None] = "docs/cost.md"

    id: str = Field(min_length=1)
    instance_type: TypeName = Field(alias="type")
    zone: str = Field(min_length=1)
    capacity_type: CapacityType


def load_commitments(path: Path) -> CommitmentsDoc:
    """Read a commitments file.

    Raises:
        UserError: Naming the file and the field, if it is unreadable or breaks the schema.
    """
    document = _one(path)
    if document is None:
        return CommitmentsDoc()
    try:
        return CommitmentsDoc.model_validate(document)
    except ValidationError as error:
        field, problem, fix = first_error(error, CommitmentsDoc)
        raise UserError(f"{path}: {field}", problem, fix) from None


def load_instances(path: Path) -> tuple[InstanceDoc, ...]:
    """Read an instances file: a YAML list of instances.

    Raises:
        UserError: Naming the file and the entry, if it is unreadable, not a list, breaks
            the schema, or names an instance twice.
    """
    document = _one(path)
    if not isinstance(document, list):
        raise UserError(str(path), "is not a list of instances", "see docs/cost.md")
    found: list[InstanceDoc] = []
    for number, entry in enumerate(document):
        try:
            found.append(InstanceDoc.model_validate(entry))
        except ValidationError as error:
            field, problem, fix = first_error(error, InstanceDoc)
            raise UserError(f"{path}: [{number}].{field}", problem, fix) from None
    ids = [i.id for i in found]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise UserError(str(path), f"names {', '.join(twice)} more than once", "list each once")
    return tuple(found)


def _one(path: Path) -> object:
    """The file's one YAML document (None when empty)."""
    parsed = documents.read_documents(path)
    if len(parsed) > 1:
        raise UserError(str(path), "holds more than one YAML document", "keep one")
    return parsed[0] if parsed else None


def commitments_of(
    doc: CommitmentsDoc, catalog: Catalog, path: Path | str = "commitments"
) -> tuple[tuple[ReservedInstance, ...], tuple[SavingsPlan, ...]]:
    """The file's commitments as attribution takes them, named by their place in the file.

    A reserved instance's type must be in the catalog, and a zonal one's zone must be one
    of the catalog's region (a zone ID is read as its zone): a misspelt type would
    otherwise cover nothing, silently. Commitments of other regions cover nothing here.

    Args:
        doc: The commitments file.
        catalog: Types and zones; its region is that of EC2 Instance plans without one.
        path: The file, for errors.

    Raises:
        UserError: Naming the commitment, for an unknown type or zone.
    """
    reserved = []
    for n, ri in enumerate(doc.reserved_instances):
        where = f"{path}: reservedInstances[{n}]"
        try:
            catalog.instance_type(ri.instance_type)
        except UserError as error:
            raise UserError(f"{where}.type", error.problem, error.fix) from None
        zone = None if ri.zone is None else catalog.zone_name(ri.zone)
        if ri.zone is not None and zone is None:
            raise UserError(
                f"{where}.zone",
                f"{ri.zone!r} is not a zone of {catalog.region}",
                "name a zone of the catalog's region (or pass --region)",
            )
        region = catalog.region if zone is not None else str(ri.region)
        hourly = None if ri.hourly_price is None else float(ri.hourly_price)
        reserved.append(
            ReservedInstance(
                f"reservedInstances[{n}]", ri.instance_type, ri.count, region, zone, hourly
            )
        )
    plans = tuple(
        SavingsPlan(
            f"savingsPlans[{n}]",
            sp.kind,
            float(sp.commitment),
            float(sp.discount_percent) / 100.0,
            sp.family,
            sp.region or (catalog.region if sp.family else None),
        )
        for n, sp in enumerate(doc.savings_plans)
    )
    return tuple(reserved), plans
