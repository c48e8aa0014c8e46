"""What changes between two policy sets: connections (engine) and Dynatrace flows (check).

Pure: two connection lists, or two check reports, in; the differences out. Sits above
:mod:`dtnetpol.check` because the flow side compares check reports.
"""

from dtnetpol.diff.connections import Change, ConnectionChange, diff_connections
from dtnetpol.diff.flows import ABSENT, FlowChange, breaking, flow_changes

__all__ = ["ABSENT", "Change", "ConnectionChange", "FlowChange", "breaking",
           "diff_connections", "flow_changes"]
