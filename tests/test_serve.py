"""`livertx serve` with several workers: every worker takes its share of the connections.

An EHR opens its keep-alive connections in a burst. With one listening socket shared by the
workers, the first worker awake could accept the whole burst and keep it, leaving the other
idle. Read from Linux's socket tables which worker process holds each accepted connection.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from conftest import serving

CONNECTIONS = 24


def _sockets(state: str, port: int) -> set[str]:
    """Inodes of IPv4 TCP sockets in `state` (01 established, 0A listening) on local `port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def _holders(inodes: set[str]) -> Counter[int]:
    """How many of these sockets each process holds open."""
    held: Counter[int] = Counter()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = [link.readlink().name for link in fd_dir.iterdir()]
        except OSError:  # the process ended, or is not ours to read
            continue
        for link in links:
            if link.startswith("socket:[") and link[8:-1] in inodes:
                held[int(fd_dir.parent.name)] += 1
    return held


def _get(connection: socket.socket, host: str) -> bytes:
    connection.sendall(f"GET /cds-services HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return connection.recv(65536)


def _serve(port: int) -> subprocess.CompletedProcess[str]:
    """`livertx serve --workers 2` on a port taken already: it should stop at once. If it
    serves instead, its whole process group (the workers too) is stopped and the test fails."""
    cli = Path(sys.executable).with_name("livertx")
    process = subprocess.Popen([str(cli), "serve", "--port", str(port), "--workers", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError(f"a second server was started on the taken port {port}") from None
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_each_worker_takes_a_share_of_a_burst_of_connections() -> None:
    with serving(workers=2) as url:
        address = urlsplit(url)
        host, port = address.hostname or "", address.port or 0
        deadline = time.monotonic() + 30
        while len(workers := _holders(_sockets("0A", port))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the second worker may still be starting
        assert len(workers) == 2, "each worker listens on its own socket"
        connections = [socket.create_connection((host, port), timeout=10)
                       for _ in range(CONNECTIONS)]
        try:
            answers = [_get(c, address.netloc) for c in connections]
            assert all(a.startswith(b"HTTP/1.1 200") for a in answers)
            held = _holders(_sockets("01", port))
            assert set(held) == set(workers)
            assert sum(held.values()) == CONNECTIONS
            # Spread by address hash: 2 or fewer of 24 on a worker is a 1-in-300,000 draw.
            assert min(held.values()) >= 2, held
        finally:
            for c in connections:
                c.close()
        # A second server on the same port is refused, not let in beside the first.
        assert "in use" in _serve(port).stderr


def test_a_taken_port_is_refused_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = _serve(port)
    assert run.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in run.stderr and "in use" in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
