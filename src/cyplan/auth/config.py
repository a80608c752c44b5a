"""The shared server's settings (issue 14 part 1): one TOML file, secrets from the environment.

Every mistake is a ConfigError naming the file, the key, what is wrong and an example of a right value, so that
`cyplan serve --config` can say it and stop (exit 2) before anything listens. docs/deployment.md lists every key.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CLIENT_SECRET_ENV = "CYPLAN_OIDC_CLIENT_SECRET"
DATABASE_URL_ENV = "CYPLAN_DATABASE_URL"
SESSION_SECRET_ENV = "CYPLAN_SESSION_SECRET"
CONFIG_ENV = "CYPLAN_SERVER_CONFIG"  # how `cyplan serve --config` hands the file to each worker's app factory
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d)")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# a folder name on every system, and readable in a URL; capitals allowed for ONS codes such as E10000014 (the codes
# are compared case-blind, so that two areas never share a folder on a file system that ignores case)
AREA_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


AREAS = "areas"  # <data dir>/areas/<code>/: one workspace per server area (docs/decisions/0011)
SERVER = "server"  # <data dir>/server/: users, roles, sessions, sign-in audit; its tenant on PostgreSQL


class ConfigError(Exception):
    """A mistake in the config file, in words (file, key, what is wrong, an example)."""


@dataclass(frozen=True)
class Area:
    code: str
    name: str


@dataclass(frozen=True)
class Oidc:
    discovery_url: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")


@dataclass(frozen=True)
class ServerConfig:
    path: Path
    data_dir: Path
    public_url: str
    oidc: Oidc
    areas: tuple[Area, ...]
    database_url: str | None = None  # None: SQLite, a file per area
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    trusted_proxies: tuple[str, ...] = ()
    session_idle: float = 30 * 60  # seconds without a request before a session ends
    session_absolute: float = 12 * 3600  # seconds from sign-in after which a session ends whatever happens
    failures_allowed: int = 10  # failed sign-ins from one address within failure_window before more are refused
    failure_window: float = 15 * 60
    session_secret: bytes | None = field(default=None, repr=False)  # None: the server workspace's own secret file

    @property
    def secure(self) -> bool:
        """Cookies only over TLS: the public address is https (TLS ends at the reverse proxy)."""
        return self.public_url.startswith("https://")

    @property
    def redirect_uri(self) -> str:
        return self.public_url + "/signin/callback"

    @property
    def server_dir(self) -> Path:
        return self.data_dir / SERVER

    def area_dir(self, code: str) -> Path:
        return self.data_dir / AREAS / code


# -- reading the file ------------------------------------------------------------------------------------


EXAMPLE = """data_dir = "/srv/cyplan"
public_url = "https://plan.council.gov.uk"

[oidc]
discovery_url = "https://login.microsoftonline.com/<tenant-id>/v2.0/.well-known/openid-configuration"
client_id = "<application (client) id>"

[[areas]]
code = "leeds"
name = "Leeds City Council"
"""
TOP = {"data_dir", "database_url", "host", "port", "workers", "trusted_proxies", "public_url", "session", "oidc",
       "areas"}
SESSION = {"idle_timeout", "absolute_timeout", "failures_allowed", "failure_window"}
OIDC = {"discovery_url", "client_id", "client_secret", "scopes"}
AREA = {"code", "name"}


def load(path: Path, env: Mapping[str, str] | None = None, signing_in: bool = True) -> ServerConfig:
    """The settings in `path`, with CYPLAN_OIDC_CLIENT_SECRET, CYPLAN_DATABASE_URL and CYPLAN_SESSION_SECRET
    taking the place of the file's values (secrets are better kept out of files). Raises ConfigError.

    signing_in=False: for the commands that set the server up (migrate, add-area), which sign nobody in, so the
    database administrator running them need not hold the client secret; everything else is checked as ever."""
    env = os.environ if env is None else env
    raw = _parse(path)
    r = _Reader(path)
    r.known(raw, TOP, "")
    session = r.table(raw, "session", required=False)
    r.known(session, SESSION, "session.")
    oidc = r.table(raw, "oidc", required=True)
    r.known(oidc, OIDC, "oidc.")
    secret = env.get(CLIENT_SECRET_ENV) or r.text(oidc, "oidc.client_secret", "a long random text from the "
                                                  "provider (better: set " + CLIENT_SECRET_ENV + ")", required=False)
    if not secret and signing_in:
        raise ConfigError(f"{path}: oidc.client_secret is missing: set the environment variable {CLIENT_SECRET_ENV} "
                          "to the client secret the identity provider gave when the app was registered (or, less "
                          "safely, add client_secret = \"...\" under [oidc])")
    public_url = r.public_url(raw)
    database_url = env.get(DATABASE_URL_ENV) or r.text(raw, "database_url", "postgresql+psycopg://cyplan_app@db/"
                                                       "cyplan", required=False)
    session_secret = env.get(SESSION_SECRET_ENV)
    return ServerConfig(
        path=path, data_dir=r.folder(raw), public_url=public_url, database_url=database_url or None,
        host=r.text(raw, "host", "127.0.0.1", required=False) or "127.0.0.1",
        port=r.whole(raw, "port", 8000, 1, 65535), workers=r.whole(raw, "workers", 1, 1, 64),
        trusted_proxies=r.proxies(raw),
        session_idle=r.duration(session, "session.idle_timeout", 30 * 60),
        session_absolute=r.duration(session, "session.absolute_timeout", 12 * 3600),
        failures_allowed=r.whole(session, "session.failures_allowed", 10, 1, 10_000),
        failure_window=r.duration(session, "session.failure_window", 15 * 60),
        oidc=Oidc(discovery_url=r.url(oidc, "oidc.discovery_url", "https://login.microsoftonline.com/<tenant-id>"
                                      "/v2.0/.well-known/openid-configuration"),
                  client_id=r.text(oidc, "oidc.client_id", "\"6731de76-14a6-49ae-97bc-6eba6914391e\"") or "",
                  client_secret=secret or "", scopes=r.scopes(oidc)),
        areas=r.areas(raw), session_secret=session_secret.encode() if session_secret else None)


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: there is no such file. A server's config file looks like:\n{EXAMPLE}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:  # its message names the line and column
        raise ConfigError(f"{path}: this is not a TOML file as cyplan reads it: {e}. Text values need quotes, e.g. "
                          "public_url = \"https://plan.council.gov.uk\"") from None


class _Reader:
    """Reads one value at a time, each mistake a message naming the file and the key."""

    def __init__(self, path: Path):
        self.path = path

    def wrong(self, key: str, what: str, example: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {what}, for example {key.rsplit('.', 1)[-1]} = {example}")

    def known(self, table: Mapping[str, Any], keys: set[str], prefix: str) -> None:
        for key in table:
            if key not in keys:
                raise ConfigError(f"{self.path}: {prefix}{key} is not a setting cyplan knows (a typing mistake?). "
                                  f"The settings here are: {', '.join(prefix + k for k in sorted(keys))}")

    def table(self, raw: Mapping[str, Any], key: str, required: bool) -> dict[str, Any]:
        value = raw.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise ConfigError(f"{self.path}: [{key}] is {'missing' if value is None else 'not a table'}: it needs "
                              f"its own section, for example\n{EXAMPLE}")
        return value

    def text(self, table: Mapping[str, Any], key: str, example: str, required: bool = True) -> str | None:
        value = table.get(key.rsplit(".", 1)[-1])
        if value is None:
            if required:
                raise self.wrong(key, "this is missing", example)
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.wrong(key, f"give a text in quotes, not {value!r}", example)
        return value.strip()

    def whole(self, table: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.wrong(key, f"give a whole number from {low} to {high}, not {value!r}", str(default))
        return value

    def duration(self, table: Mapping[str, Any], key: str, default: float) -> float:
        value = table.get(key.rsplit(".", 1)[-1])
        if value is None:
            return default
        found = DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
        if found is None or float(found.group(1)) <= 0:
            raise self.wrong(key, f"give a time above zero with its unit s, m, h or d, not {value!r}", "\"30m\"")
        return float(found.group(1)) * UNITS[found.group(2)]

    def url(self, table: Mapping[str, Any], key: str, example: str) -> str:
        value = self.text(table, key, f"\"{example}\"") or ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.wrong(key, f"give a web address starting https://, not {value!r}", f"\"{example}\"")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise self.wrong(key, f"{value!r} is not encrypted: give its https:// address", f"\"{example}\"")
        return value

    def public_url(self, raw: Mapping[str, Any]) -> str:
        value = self.url(raw, "public_url", "https://plan.council.gov.uk")
        parts = urlsplit(value)
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise self.wrong("public_url", f"give the address of the server alone, without a path ({value!r})",
                             "\"https://plan.council.gov.uk\"")
        return f"{parts.scheme}://{parts.netloc}"

    def folder(self, raw: Mapping[str, Any]) -> Path:
        value = self.text(raw, "data_dir", "\"/srv/cyplan\"") or ""
        path = Path(value).expanduser()
        if not path.is_absolute():  # relative to the config file, as a reader of the file would take it
            path = self.path.parent / path
        if path.exists() and not path.is_dir():
            raise self.wrong("data_dir", f"{path} is a file, not a folder", "\"/srv/cyplan\"")
        return path

    def proxies(self, raw: Mapping[str, Any]) -> tuple[str, ...]:
        value = raw.get("trusted_proxies", [])
        example = "[\"10.0.0.5\", \"10.0.1.0/24\"]"
        if not isinstance(value, list):
            raise self.wrong("trusted_proxies", f"give a list of addresses in brackets, not {value!r}", example)
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except (TypeError, ValueError):
                raise self.wrong("trusted_proxies", f"{item!r} is not an IP address or network (host names are not "
                                 "taken: a forwarded header is trusted by the address it came from)", example) from None
        return tuple(value)

    def scopes(self, oidc: Mapping[str, Any]) -> tuple[str, ...]:
        value = oidc.get("scopes", ["openid", "email", "profile"])
        example = "[\"openid\", \"email\", \"profile\"]"
        if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
            raise self.wrong("oidc.scopes", f"give a list of texts, not {value!r}", example)
        if "openid" not in value:
            raise self.wrong("oidc.scopes", "sign-in needs the scope \"openid\"", example)
        return tuple(value)

    def areas(self, raw: Mapping[str, Any]) -> tuple[Area, ...]:
        value = raw.get("areas")
        if not isinstance(value, list) or not value or not all(isinstance(a, dict) for a in value):
            raise ConfigError(f"{self.path}: areas: the server needs at least one area, each in a section of its "
                              "own:\n[[areas]]\ncode = \"leeds\"\nname = \"Leeds City Council\"")
        found: list[Area] = []
        for n, table in enumerate(value, 1):
            self.known(table, AREA, f"areas[{n}].")
            code = self.text(table, f"areas[{n}].code", "\"leeds\"") or ""
            if not AREA_CODE.fullmatch(code):
                raise self.wrong(f"areas[{n}].code", f"{code!r} cannot be an area's code: use lower-case letters, "
                                 "capitals, digits, - and _ (at most 40, starting with a letter or digit)", "\"leeds\"")
            if code.lower() in {a.code.lower() for a in found}:
                raise self.wrong(f"areas[{n}].code", f"{code!r} is the code of an area above too", "\"leeds\"")
            found.append(Area(code, self.text(table, f"areas[{n}].name", "\"Leeds City Council\"") or code))
        return tuple(found)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
