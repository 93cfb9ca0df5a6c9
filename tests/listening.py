"""What a server's processes listen on: shared by the reliability tests that check servers stay on loopback."""

import psutil

from dagster_and_etl.teaching.live.processes import live_processes_in_group

# Loopback in IPv4 and IPv6: a server bound to either is reachable from this machine only.
LOOPBACK = {"127.0.0.1", "::1"}


def listening_addresses(process_group: int) -> set[tuple[str, int]]:
    """Every (address, port) a process of this process group listens on (TCP)."""
    found = set()
    for pid in live_processes_in_group(process_group):
        try:
            connections = psutil.Process(pid).net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found |= {(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN}
    return found
