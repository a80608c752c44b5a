"""`cyplan serve`: the web app on one workspace (on this computer alone), or with --config the shared server:
many areas behind sign-in, several workers, behind a reverse proxy (docs/deployment.md)."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated

import typer

from cyplan.auth.config import CONFIG_ENV, ConfigError, ServerConfig, load
from cyplan.store.workspace import WorkspaceError
from cyplan.terminal import WorkspaceOpt, fail, fail_workspace, machine_faults, say
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
              "--host address and these.")] = None,
          config: Annotated[Path | None, typer.Option("--config", metavar="FILE", help="Run the shared server "
                                                      "set up in this TOML file: sign-in, areas, workers, proxies "
                                                      "(docs/deployment.md). Its host and port take the place of "
                                                      "--host and --port.")] = None) -> None:
    """Serve the workspace's plan as web pages (and JSON under /api) until stopped with Ctrl+C."""
    if config is not None:
        serve_shared(config, int(max_upload_mb * 1e6))
        return
    import uvicorn  # only this command needs the server

    from cyplan.web.app import AssetsMissing, create_app

    if not _loopback(host):
        fail(f"--host {host}: the plan would be open to everyone who can reach this computer, without signing in. "
             "To share it, set up the shared server with sign-in and run 'cyplan serve --config server.toml' "
             "(docs/deployment.md says how); without --config cyplan listens on this computer alone "
             "(127.0.0.1, localhost or ::1)", 2)

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
    say(f"cyplan is serving {workspace} at http://{host}:{port}/ — open it in a browser; Ctrl+C stops it.")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    except OSError as e:  # pragma: no cover - e.g. the port is taken
        fail(f"cannot listen on {host}:{port}: {e.strerror or e}")


def serve_shared(path: Path, upload_limit: int) -> None:
    """The shared server: the config checked and each area opened here first (a mistake is a message and exit 2,
    before anything listens), then uvicorn's workers, each making the app from the factory named below."""
    import uvicorn

    from cyplan.web.app import AssetsMissing, create_server_app

    try:
        settings = load(path)
        create_server_app(settings, upload_limit)  # the areas' folders and the front-end files, checked once here
    except ConfigError as e:
        fail(str(e), 2)
    except WorkspaceError as e:
        fail(f"{path}: {e}", 2)
    except AssetsMissing as e:
        fail(str(e))
    os.environ[CONFIG_ENV] = str(path.resolve())  # a factory takes no arguments: each worker reads the file again
    os.environ["CYPLAN_UPLOAD_LIMIT"] = str(upload_limit)
    say(f"cyplan's shared server is starting for {settings.public_url} on {settings.host}:{settings.port} with "
        f"{settings.workers} worker{'s' if settings.workers > 1 else ''}; Ctrl+C stops it.")
    try:
        uvicorn.run("cyplan.web.app:server_app", factory=True, **uvicorn_options(settings))
    except OSError as e:  # pragma: no cover - e.g. the port is taken
        fail(f"cannot listen on {settings.host}:{settings.port}: {e.strerror or e}")


def uvicorn_options(settings: ServerConfig) -> dict[str, object]:
    """Forwarded headers (X-Forwarded-For, -Proto) believed only from the proxies named in trusted_proxies: from
    anyone else they are ignored, and the audit trail's source is the address that really connected."""
    return {"host": settings.host, "port": settings.port, "workers": settings.workers, "log_level": "warning",
            "server_header": False, "proxy_headers": bool(settings.trusted_proxies),
            "forwarded_allow_ips": list(settings.trusted_proxies) or None}
