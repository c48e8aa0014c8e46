"""How to generate: :class:`GenerateOptions`, which :func:`~dtnetpol.generate.generate` and
:func:`~dtnetpol.generate.fix` take.

Kept apart from the planner, which only :meth:`GenerateOptions.plan_input` imports: ``check``
sets the options up on every run, but plans only when an output shows a fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dtnetpol.dynatrace.flows import InstallFacts
from dtnetpol.generate._flavor import CalicoEdition, Flavor

if TYPE_CHECKING:
    from dtnetpol.dynatrace.dynakube import DynaKube
    from dtnetpol.generate._plan import PlanInput


@dataclass(frozen=True)
class GenerateOptions:
    """How to generate.

    Args:
        flavor: which policy kinds to emit.
        install: the install facts the flows were resolved with (platform, API server).
        dynakubes: the DynaKubes the flows come from.
        monitored: per DynaKube name, the namespaces it instruments.
        tenant_cidrs: ``--tenant-cidr``: where the Dynatrace hosts are.
        proxy_cidrs: ``--proxy-cidr``: the proxy's addresses when spec.proxy names a host.
        node_cidrs: ``--node-cidr``: node addresses (kubelet, OneAgent on the host network).
        observed_node_addresses: addresses of the Node objects in the input.
        calico_edition: whether ``destination.domains`` exists (Enterprise/Cloud only).
        calico_tier, calico_order: where Calico policies go (``check`` places its fixes
            before the cluster's Calico default-deny); default: tier default, no order.
        ipv6: also allow the IPv6 public range when the default is used.

    Raises:
        InputError: for an invalid CIDR.
    """

    flavor: Flavor = Flavor.KUBERNETES
    install: InstallFacts = field(default_factory=InstallFacts)
    dynakubes: Sequence[DynaKube] = ()
    monitored: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    tenant_cidrs: tuple[str, ...] = ()
    proxy_cidrs: tuple[str, ...] = ()
    node_cidrs: tuple[str, ...] = ()
    observed_node_addresses: tuple[str, ...] = ()
    calico_edition: CalicoEdition = CalicoEdition.OSS
    ipv6: bool = False
    calico_tier: str | None = None
    calico_order: float | None = None

    def plan_input(self) -> PlanInput:
        """The planner's input (the CIDR flags checked)."""
        from dtnetpol.generate._plan import PlanInput, check_cidrs

        names = self.flavor is Flavor.CILIUM or (
            self.flavor is Flavor.CALICO and self.calico_edition is CalicoEdition.ENTERPRISE)
        return PlanInput(
            install=self.install, monitored=dict(self.monitored),
            tenant_cidrs=check_cidrs(self.tenant_cidrs, "--tenant-cidr"),
            proxy_cidrs=check_cidrs(self.proxy_cidrs, "--proxy-cidr"),
            node_cidrs=check_cidrs(self.node_cidrs, "--node-cidr"),
            observed_node_addresses=self.observed_node_addresses, ipv6=self.ipv6,
            names_resolve=names, dynakubes={dk.name: dk for dk in self.dynakubes})
