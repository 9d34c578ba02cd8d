"""Linux /proc readings of a server process tree (CPU seconds, resident memory), for the
benchmarks: what the server itself spent, whatever the load generator costs."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the tree so far."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def rss_mib(pid: int) -> float:
    """Resident memory of the tree, MiB."""
    total = 0
    for p in tree(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1])
        except OSError:
            continue
    return total * PAGE / (1024 * 1024)


def listeners(port: int) -> int:
    """IPv4 TCP sockets listening on `port` (one per `livertx serve` worker)."""
    return sum(1 for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
               if int(line.split()[1].rsplit(":", 1)[1], 16) == port and line.split()[3] == "0A")
