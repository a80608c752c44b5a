"""`cyplan serve`: the web app on one workspace."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated

import typer

from cyplan.store.workspace import WorkspaceError
from cyplan.terminal import WorkspaceOpt, fail, fail_workspace, machine_faults, say, warn
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
                                                       "may be, in MB.")] = UPLOAD_LIMIT / 1e6,
          allowed_host: Annotated[list[str] | None, typer.Option(
              "--allowed-host", metavar="NAME", help="Another name browsers reach this computer by (e.g. its "
              "network name); repeat for each. The server answers only to localhost, 127.0.0.1, [::1], the "
              "--host address and these.")] = None) -> None:
    """Serve the workspace's plan as web pages (and JSON under /api) until stopped with Ctrl+C."""
    import uvicorn  # only this command needs the server

    from cyplan.web.app import AssetsMissing, create_app

    for name in allowed_host or []:
        if not re.fullmatch(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*", name):
            fail(f"--allowed-host {name!r}: give a host name or address alone (like planning-pc.council.local or "
                 "192.168.1.20), without http:// or a port", 2)
    try:
        with machine_faults(workspace):  # a damaged cyplan.db: the same message and exit code as every command
            app = create_app(workspace, upload_limit=int(max_upload_mb * 1e6), host=host,
                             allowed_hosts=allowed_host or ())
    except WorkspaceError as e:
        fail_workspace(e)
    except AssetsMissing as e:
        fail(str(e))
    if not _loopback(host):
        warn(f"listening on {host}: anyone who can reach this computer can see and change the plan — there are "
             "no user accounts yet. Browsers must use this address, or a name given with --allowed-host")
    say(f"cyplan is serving {workspace} at http://{host}:{port}/ — open it in a browser; Ctrl+C stops it.")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    except OSError as e:  # pragma: no cover - e.g. the port is taken
        fail(f"cannot listen on {host}:{port}: {e.strerror or e}")
