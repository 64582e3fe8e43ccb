"""Reading Kubernetes manifests into the scheduler's model: pods, DaemonSets, PDBs, nodes."""

from spotwise.kube.load import Workload, load_workload
from spotwise.kube.pdbs import PodDisruptionBudget
from spotwise.kube.selectors import MATCH_NOTHING
from spotwise.kube.volumes import VolumePin

__all__ = ["MATCH_NOTHING", "PodDisruptionBudget", "VolumePin", "Workload", "load_workload"]
