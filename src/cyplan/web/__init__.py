"""cyplan's web app: FastAPI, server-rendered Jinja2 pages with GOV.UK Frontend patterns, htmx, and JSON
under /api for every page."""
