"""The pages, one module each; every page has its JSON twin under /api."""

from cyplan.web.routes import overview

ROUTERS = [overview.router]
