"""Run the app under uvicorn with each worker process on its own listening socket.

uvicorn's workers share one listening socket, and the worker that wakes first accepts every
connection waiting on it. An EHR opens its keep-alive connections in a burst, so one worker
could take all of them and the other sit idle for as long as they stay open (measured with
`benchmarks/cds.py`: 64 connections, 9.9 s of CPU in one worker against 0.05 s in the other
over 10 s, p99 76 ms). Here every worker binds its own socket with SO_REUSEPORT, and the
kernel spreads new connections across them by their addresses, whatever each worker is doing.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

try:
    from uvloop import Loop as _BaseLoop
except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop on Linux
    _BaseLoop = asyncio.SelectorEventLoop  # type: ignore[misc, assignment]

APP = "livertx.web.app:create_app"
LOOP = "livertx.web.serving:reuse_port_loop"


class _ReusePortLoop(_BaseLoop):
    """An event loop whose servers bound by address share the port with their siblings."""

    async def create_server(self, *args: Any, **kwargs: Any) -> asyncio.AbstractServer:  # type: ignore[override]
        if kwargs.get("sock") is None:
            kwargs["reuse_port"] = True
        return await super().create_server(*args, **kwargs)


def reuse_port_loop() -> asyncio.AbstractEventLoop:
    """uvicorn's loop factory (`--loop livertx.web.serving:reuse_port_loop`)."""
    return _ReusePortLoop()


def balanced(workers: int) -> bool:
    """Whether each worker gets its own socket. Linux spreads connections over sockets
    sharing a port; BSD and macOS accept SO_REUSEPORT but hand the connections to one of
    them, so they keep a shared socket."""
    return workers > 1 and sys.platform.startswith("linux")


def config(host: str, port: int, workers: int) -> uvicorn.Config:
    """No access log: requests carry patient data."""
    return uvicorn.Config(APP, factory=True, host=host, port=port, workers=workers,
                          access_log=False, log_level="warning",
                          loop=LOOP if balanced(workers) else "auto")


def check_port(host: str, port: int) -> None:
    """Raise OSError here, once, if anything listens on the address already, a server of
    ours included: the workers' SO_REUSEPORT would otherwise join it and share its calls."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        probe.bind((host, port))


def run(host: str, port: int, workers: int) -> None:
    """Serve until interrupted; a worker that dies is replaced (uvicorn's supervisor)."""
    check_port(host, port)
    settings = config(host, port, workers)
    if balanced(workers):
        # No socket bound here: each worker binds its own (the loop above), so the
        # supervisor hands its workers None, which `uvicorn.Server.run` reads as "bind
        # host:port yourself".
        Multiprocess(settings, sockets=None).run()  # type: ignore[arg-type]
    elif workers > 1:  # as `uvicorn.run` does it: one socket shared by the workers
        Multiprocess(settings, sockets=[settings.bind_socket()]).run()
    else:
        uvicorn.Server(settings).run()
