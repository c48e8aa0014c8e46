"""Port sets per protocol, and resolution of policy ports against a destination pod."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from dtnetpol.engine.intervals import IntervalSet
from dtnetpol.model.cluster import ContainerPort
from dtnetpol.model.policy import PolicyPort, Protocol

MIN_PORT, MAX_PORT = 1, 65535
ALL_PORTS = IntervalSet.single(MIN_PORT, MAX_PORT)
PROTOCOLS: tuple[Protocol, ...] = (Protocol.TCP, Protocol.UDP, Protocol.SCTP)


@dataclass(frozen=True)
class PortSet:
    """Ports per protocol: TCP, UDP, SCTP, each an IntervalSet over 1–65535."""

    tcp: IntervalSet = IntervalSet()
    udp: IntervalSet = IntervalSet()
    sctp: IntervalSet = IntervalSet()

    @staticmethod
    def all() -> PortSet:
        return _ALL

    @staticmethod
    def none() -> PortSet:
        return _NONE

    @staticmethod
    def of(protocol: Protocol, ports: IntervalSet) -> PortSet:
        if protocol is Protocol.TCP:
            return PortSet(tcp=ports)
        if protocol is Protocol.UDP:
            return PortSet(udp=ports)
        return PortSet(sctp=ports)

    def get(self, protocol: Protocol) -> IntervalSet:
        if protocol is Protocol.TCP:
            return self.tcp
        if protocol is Protocol.UDP:
            return self.udp
        return self.sctp

    def union(self, other: PortSet) -> PortSet:
        if other is _NONE or self is _ALL:
            return self
        if self is _NONE or other is _ALL:
            return other
        return PortSet(self.tcp.union(other.tcp), self.udp.union(other.udp),
                       self.sctp.union(other.sctp))

    def intersection(self, other: PortSet) -> PortSet:
        if other is _ALL:
            return self
        if self is _ALL:
            return other
        return PortSet(self.tcp.intersection(other.tcp), self.udp.intersection(other.udp),
                       self.sctp.intersection(other.sctp))

    def difference(self, other: PortSet) -> PortSet:
        return PortSet(self.tcp.difference(other.tcp), self.udp.difference(other.udp),
                       self.sctp.difference(other.sctp))

    def contains(self, protocol: Protocol, port: int) -> bool:
        return port in self.get(protocol)

    @property
    def is_all(self) -> bool:
        return self == _ALL

    def __bool__(self) -> bool:
        return bool(self.tcp or self.udp or self.sctp)

    def items(self) -> list[tuple[Protocol, IntervalSet]]:
        return [(p, self.get(p)) for p in PROTOCOLS if self.get(p)]

    def __str__(self) -> str:
        if self.is_all:
            return "all ports"
        if not self:
            return "nothing"
        parts = []
        for proto, ports in self.items():
            if ports == ALL_PORTS:
                parts.append(f"{proto.value} all")
                continue
            ranges = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports)
            parts.append(f"{proto.value} {ranges}")
        return "; ".join(parts)


_ALL = PortSet(ALL_PORTS, ALL_PORTS, ALL_PORTS)
_NONE = PortSet()


@dataclass(frozen=True)
class PortSpec:
    """The ``ports`` of one rule, before named ports are resolved on a destination pod.

    ``numeric`` holds every numeric port and range; ``named`` the (name, protocol) pairs.
    An empty ``ports`` list compiles to ``numeric = all`` with no names.
    """

    numeric: PortSet
    named: tuple[tuple[str, Protocol], ...] = ()

    @staticmethod
    def compile(ports: Iterable[PolicyPort]) -> PortSpec:
        return _compile(tuple(ports))

    @staticmethod
    def _compile(ports: tuple[PolicyPort, ...]) -> PortSpec:
        if not ports:
            return PortSpec(PortSet.all())
        numeric = PortSet.none()
        named: list[tuple[str, Protocol]] = []
        for p in ports:
            if p.port is None:
                numeric = numeric.union(PortSet.of(p.protocol, ALL_PORTS))
            elif isinstance(p.port, str):
                named.append((p.port, p.protocol))
            else:
                hi = p.end_port if p.end_port is not None else p.port
                numeric = numeric.union(PortSet.of(p.protocol, IntervalSet.single(p.port, hi)))
        return PortSpec(numeric, tuple(sorted(set(named))))

    def resolve(self, container_ports: tuple[ContainerPort, ...] | None) -> PortSet:
        """Ports this spec allows on a destination.

        ``container_ports`` None means the destination is not a pod (an IP): named ports
        never match it.
        """
        if not self.named or not container_ports:
            return self.numeric
        out = self.numeric
        for name, proto in self.named:
            for cp in container_ports:
                if cp.name == name and cp.protocol is proto:
                    out = out.union(PortSet.of(proto, IntervalSet.single(cp.port)))
        return out


@lru_cache(maxsize=16384)
def _compile(ports: tuple[PolicyPort, ...]) -> PortSpec:
    """Policies repeat the same ``ports`` lists (DNS, metrics, 443): compile each once."""
    return PortSpec._compile(ports)


def parse_port_query(text: str) -> tuple[int, Protocol]:
    """``8443``, ``8443/TCP`` or ``53/udp`` → (port, protocol); ValueError otherwise."""
    number, _, proto = text.partition("/")
    port = int(number)
    if not MIN_PORT <= port <= MAX_PORT:
        raise ValueError(f"port {port} outside 1-65535")
    protocol = Protocol(proto.upper()) if proto else Protocol.TCP
    return port, protocol
