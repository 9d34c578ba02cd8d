"""`livertx serve`: the web app, JSON API and CDS Hooks service on one server."""

from __future__ import annotations

import os
import secrets

import typer


def serve_command(host: str = typer.Option("127.0.0.1", help="Address to listen on"),
                  port: int = typer.Option(8000, help="Port"),
                  workers: int = typer.Option(1, help="Worker processes")) -> None:
    """Start the web app (http://HOST:PORT/). No access log: requests carry patient data."""
    from livertx.cli.common import fail
    from livertx.web import serving
    from livertx.web.app import ConfigError, Settings
    from livertx.web.csrf import SECRET_ENV

    try:
        Settings.from_env()  # refuse unsafe settings here, in one line, not in each worker
    except ConfigError as exc:
        fail(str(exc))

    # One form-token secret for every worker process of this run, so a form rendered by one
    # worker is accepted by another. It lives only in this process tree's environment.
    os.environ.setdefault(SECRET_ENV, secrets.token_hex(32))
    typer.echo(f"livertx on http://{host}:{port}/ (educational, not medical advice)")
    try:
        serving.run(host, port, workers)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
