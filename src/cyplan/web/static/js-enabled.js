// GOV.UK Frontend's marker that scripts run (its components style themselves by it): from a file, not inline,
// so the pages' Content-Security-Policy can refuse every inline script.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
