// Draw every chart on the page (and in content htmx swaps in) from its Vega-Lite spec, with the files
// served by cyplan itself: no CDN. `ast: true` has Vega interpret its expressions rather than compile them
// with Function(), which the pages' Content-Security-Policy (no eval) would block.
function cyplanCharts(root) {
  root.querySelectorAll('[data-vega-spec]').forEach(function (el) {
    if (el.dataset.drawn) return;
    el.dataset.drawn = 'yes';
    // the chart's own description labels its SVG (Vega's ARIA support); the menu's button gets a name
    vegaEmbed(el, JSON.parse(el.dataset.vegaSpec), { actions: { export: true, source: false, compiled: false, editor: false }, renderer: 'svg', ast: true })
      .then(function () {
        el.querySelectorAll('summary').forEach(function (s) { s.setAttribute('aria-label', 'Save this chart as SVG or PNG'); });
      })
      .catch(function (e) { el.textContent = 'The chart could not be drawn: ' + e.message; });
  });
}
document.addEventListener('DOMContentLoaded', function () { cyplanCharts(document); });
// after the settle, not the swap: htmx's settle puts back the attributes of elements whose id was already on
// the page, which would strip the classes vega-embed adds (and with them its styles)
document.addEventListener('htmx:afterSettle', function (e) { cyplanCharts(e.target); });
