"""The pages, one module each; every page has its JSON twin under /api."""

from cyplan.web.routes import data, overview, report, workforce

ROUTERS = [overview.router, workforce.router, data.router, report.router]
