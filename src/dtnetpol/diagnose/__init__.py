"""From what the cluster shows (logs, events, pods, DynaKube conditions) to the flow.

Pure core: :class:`Observations` and ``check``'s report in, a :class:`Diagnosis` out. The
edges read the cluster or a snapshot and render the result.
"""

from dtnetpol.diagnose.addresses import AddressBook, Party
from dtnetpol.diagnose.diagnose import Diagnosis, Evidence, Finding, Note, diagnose
from dtnetpol.diagnose.matching import CATALOGUE, ErrorClass, NetworkError, network_error
from dtnetpol.diagnose.observations import (
    ConditionObs,
    ContainerObs,
    EventObs,
    EvidenceKind,
    LogObs,
    Observations,
    PodObs,
    log_line,
    observe,
)

__all__ = [
    "CATALOGUE",
    "AddressBook",
    "ConditionObs",
    "ContainerObs",
    "Diagnosis",
    "ErrorClass",
    "EventObs",
    "Evidence",
    "EvidenceKind",
    "Finding",
    "LogObs",
    "NetworkError",
    "Note",
    "Observations",
    "Party",
    "PodObs",
    "diagnose",
    "log_line",
    "network_error",
    "observe",
]
