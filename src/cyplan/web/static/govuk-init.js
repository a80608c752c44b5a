// GOV.UK Frontend's components (skip link, service navigation, buttons), started from a file rather than inline.
import { initAll } from '/static/vendor/govuk/govuk-frontend.min.js'
initAll()
