"""The pages, one module each; every page has its JSON twin under /api."""

from cyplan.web.routes import (
    admin,
    approvals,
    compare,
    data,
    evidence,
    overview,
    report,
    returns,
    services,
    workforce,
)

ROUTERS = [overview.router, workforce.router, services.router, compare.router, evidence.router, returns.router,
           data.router, report.router, approvals.router, admin.router]
