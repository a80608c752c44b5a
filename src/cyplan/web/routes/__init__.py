"""The pages, one module each; every page has its JSON twin under /api."""

from cyplan.web.routes import admin, approvals, charts, data, evidence, overview, report, returns, services, workforce

ROUTERS = [overview.router, workforce.router, services.router, evidence.router, returns.router, data.router,
           report.router, approvals.router, admin.router, charts.router]
