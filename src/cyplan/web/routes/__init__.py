"""The pages, one module each; every page has its JSON twin under /api."""

from cyplan.web.routes import (
    admin,
    approvals,
    charts,
    compare,
    data,
    evidence,
    overview,
    report,
    returns,
    scenarios,
    services,
    workforce,
)

ROUTERS = [overview.router, workforce.router, scenarios.router, services.router, compare.router, evidence.router,
           returns.router, data.router, report.router, approvals.router, admin.router, charts.router]
