"""An approver's sign-offs (issue 14 part 3): of the services rating judgement (on the services page) and of an
area's board paper (on the overview), each recorded with who, when and the version of the data signed
(store/signoffs.py), with an audit entry. The pages and the paper show it; after new data it reads as a
sign-off of an earlier version."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from cyplan import results
from cyplan.auth.roles import Permission
from cyplan.store import signoffs
from cyplan.web.access import needs, who
from cyplan.web.app import State, chosen_area
from cyplan.web.routes.services import rating
from cyplan.web.state import WorkspaceState

router = APIRouter()


def _sign(st: WorkspaceState, request: Request, what: str, area: str | None, detail: dict[str, object]) -> None:
    with st.ws.engine.begin() as conn:
        signoffs.sign(conn, what, area, who(request), detail)
    st.forget()  # the paper and pages kept show the sign-off (a server database's version does not see it)


@router.post("/services/sign-off", include_in_schema=False, dependencies=[needs(Permission.SIGN_OFF)])
def sign_off_rating(request: Request, st: State) -> RedirectResponse:
    """Sign off the services rating judgement as it stands: the rating computed and the partnership's own."""
    try:
        r = rating(st)
    except results.NotReady as e:  # no register: nothing to sign off
        raise HTTPException(409, "There is no rating to sign off yet: upload the register on the Data page.") from e
    j = r.judgement
    _sign(st, request, signoffs.RATING, None, {"rating": r.rating, "judgement": None if j is None else j.rating})
    return RedirectResponse("/services#sign-off", status_code=303)


@router.post("/report/sign-off", include_in_schema=False, dependencies=[needs(Permission.SIGN_OFF)])
def sign_off_paper(request: Request, st: State, area: str | None = None) -> RedirectResponse:
    """Sign off the area's board paper as the data now make it."""
    code = chosen_area(st, area)
    if code is None:
        raise HTTPException(409, "The workspace has no areas yet: upload them on the Data page.")
    _sign(st, request, signoffs.PAPER, code, {"paper": code})
    return RedirectResponse(f"/?area={code}#sign-off", status_code=303)
