"""Reading Kubernetes manifests into the scheduler's model: pods, DaemonSets, PDBs, nodes."""

from spotwise.kubernetes.manifests.load import Workload, load_workload
from spotwise.kubernetes.manifests.pdbs import PodDisruptionBudget
from spotwise.kubernetes.manifests.selectors import MATCH_NOTHING
from spotwise.kubernetes.manifests.volumes import VolumePin

__all__ = ["MATCH_NOTHING", "PodDisruptionBudget", "VolumePin", "Workload", "load_workload"]
