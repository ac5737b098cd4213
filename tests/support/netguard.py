"""Which hosts the test suite may reach: loopback only (shared by the pytest network guard
and the guarded `langgraph dev` server the Studio test starts)."""

from __future__ import annotations

import ipaddress


def is_loopback(host) -> bool:
    """True for None, '', 'localhost' and loopback addresses (IPv4 or IPv6)."""
    if host is None:
        return True
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
