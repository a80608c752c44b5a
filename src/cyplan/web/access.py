"""Who may use which route (issue 14 part 3): every route names the permission it needs, and a request without
it gets 403 with a message saying what the user's roles do not allow (a page, or JSON under /api).

The sign-in middleware (server mode) puts the user's roles in the current area on `request.state.roles`; the
one-person app on loopback has no sign-in and no such roles, and its user holds every role (EVERY_ROLE). A
route's permission is kept on the dependency itself (`permission_of`), so a test can walk every route and find
one that has none, and the OpenAPI spec states each operation's (`x-cyplan-permission`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from cyplan.auth.roles import ALLOWS, EVERY_ROLE, Permission, Role, can
from cyplan.store import audit
from cyplan.store.history import who as os_user

OPENAPI_KEY = "x-cyplan-permission"
PUBLIC = "public"  # the few routes anyone reaching the server may use: the site icon, the static files


def roles(request: Request) -> frozenset[Role]:
    """The user's roles in the current area: the sign-in gate's, or every role in the one-person app. On the shared
    server a request the gate set no roles for (a sign-in page, an error met before the gate) holds none."""
    given = getattr(request.state, "roles", None)
    if given is None:
        return EVERY_ROLE if getattr(request.app.state, "server", None) is None else frozenset()
    return frozenset(given)


def allowed(request: Request, permission: Permission) -> bool:
    return can(roles(request), permission)


def _which_roles(permission: Permission) -> str:
    named = [r.value for r in Role if permission in ALLOWS[r]]
    return " or ".join(f"{'an' if n[0] in 'aeiou' else 'a'} {n}" for n in named)


def refusal(request: Request, permission: Permission) -> str:
    """Why the request is refused, in words: what the user's roles are and what they do not allow."""
    held = sorted(r.value for r in roles(request))
    said = (f"Your role in this area ({', '.join(held)}) does not allow you to {permission.value}." if held
            else f"You hold no role in this area, so you may not {permission.value}.")
    return f"{said} {_which_roles(permission).capitalize()} of the area can: ask an admin of the area if you need it."


def require(request: Request, permission: Permission) -> None:
    """403 unless the user may: for a route whose permission depends on what is asked (counts=unpublished)."""
    if not allowed(request, permission):
        raise HTTPException(403, refusal(request, permission))


def needs(permission: Permission) -> Any:
    """The dependency a route lists (`dependencies=[needs(Permission.X)]`) to be used only with `permission`."""
    async def check(request: Request) -> None:  # async: WHO set here is seen by the route (a sync one in a thread)
        require(request, permission)
        user = getattr(request.state, "user", None)
        if user is not None:  # every audit entry the request makes names the signed-in user
            audit.WHO.set(user.name)

    check.permission = permission  # type: ignore[attr-defined]
    return Depends(check)


def public() -> Any:
    """The dependency of a route open to anyone who reaches the server (it shows no data)."""
    def check() -> None:
        return None

    check.permission = PUBLIC  # type: ignore[attr-defined]
    return Depends(check)


def permission_of(call: Callable[..., Any] | None) -> Permission | str | None:
    return getattr(call, "permission", None)


def openapi_with_permissions(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI spec, each operation stating the permission it needs and its 403."""
    if app.openapi_schema is None:
        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for route in every_route(app):
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            for method in route.methods:
                operation = spec["paths"][route.path_format][method.lower()]
                operation[OPENAPI_KEY] = str(route_permission(route))
                operation["responses"].setdefault("403", {
                    "description": "The user's roles in this area do not allow it (the message says which would)",
                    "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}}}})
        app.openapi_schema = spec
    return app.openapi_schema


def every_route(app: FastAPI) -> list[BaseRoute]:
    """The app's routes, those of its included routers among them (FastAPI keeps those behind a router's entry)."""
    return [context.original_route for context in iter_route_contexts(app.routes)]


def route_permission(route: APIRoute) -> Permission | str | None:
    """The permission the route's own dependencies need (None: it has none, which a test refuses)."""
    found = [p for d in route.dependant.dependencies if (p := permission_of(d.call)) is not None]
    return found[0] if found else None


def who(request: Request) -> str:
    """Who is making the request, for the audit trail and sign-offs: the signed-in user's name, or on the
    one-person app (no sign-in) the OS user running it."""
    user = getattr(request.state, "user", None)
    return user.name if user is not None else os_user()
