"""`cyplan serve`: the web app on one workspace."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from cyplan.store.workspace import WorkspaceError
from cyplan.terminal import WorkspaceOpt, fail, say, warn
from cyplan.web.security import UPLOAD_LIMIT


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(workspace: WorkspaceOpt = Path("."),
          host: Annotated[str, typer.Option("--host", help="Address to listen on. The default lets only this "
                                            "computer in; anything else opens the plan to the network.")]
          = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
          max_upload_mb: Annotated[float, typer.Option("--max-upload-mb", min=0.001, help="Largest file an upload "
                                                       "may be, in MB.")] = UPLOAD_LIMIT / 1e6) -> None:
    """Serve the workspace's plan as web pages (and JSON under /api) until stopped with Ctrl+C."""
    import uvicorn  # only this command needs the server

    from cyplan.web.app import AssetsMissing, create_app

    try:
        app = create_app(workspace, upload_limit=int(max_upload_mb * 1e6))
    except (WorkspaceError, AssetsMissing) as e:
        fail(str(e))
    if not _loopback(host):
        warn(f"listening on {host}: anyone who can reach this computer can see and change the plan — there are "
             "no user accounts yet")
    say(f"cyplan is serving {workspace} at http://{host}:{port}/ — open it in a browser; Ctrl+C stops it.")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    except OSError as e:  # pragma: no cover - e.g. the port is taken
        fail(f"cannot listen on {host}:{port}: {e.strerror or e}")
