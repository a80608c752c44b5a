"""The board paper's charts drawn as SVG by cyplan itself, from the same Vega-Lite spec the web page draws with
Vega (docs/decisions/0019-paper-from-nothing.md): starting vl-convert's JavaScript engine was a quarter of a paper
made from nothing.

Only what reports/charts.py's charts use is drawn: one view, or layers of one view sharing x and y; marks line (with
points), area, bar, rule and point; x, y, x2, y2, color (by field, or a value with one `datum.F === 'V'` condition),
strokeDash, yOffset, stacked y, order; ordinal and nominal axes in the spec's sort order (else ascending), linear
axes made "nice" as Vega makes them (zero included unless the spec says not), log axes; the legend at the bottom,
with a labelExpr's labels; axis label angles and limits. Anything else raises Unsupported, and the caller draws with
vl-convert instead, so a chart is never drawn wrong, only slower.

The same content as Vega's drawing: the title, the axes with their titles and labels, every mark from the spec's
rows, the legend; each mark carries its tooltip's words as an aria-label (Vega does the same), and the paper names
the whole chart by its description (paper/render.py). Text is measured by an estimate (no font metrics): labels too
long for their limit are cut with an ellipsis, as Vega cuts them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

Spec = dict[str, Any]
Row = dict[str, Any]

AXIS_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#888", "#dddddd", "#0b0c0c"
CHAR = 0.52  # an average character's width, of the font size (Helvetica, mixed case): an estimate
BAND_INNER, BAND_OUTER = 0.1, 0.05  # Vega-Lite's band padding
POINT_PADDING = 0.5  # Vega-Lite's point-scale padding (lines on a discrete axis)
TICK, PAD = 5, 2  # px: an axis tick, and the gap between it and its label
WIDTH_TICKS = 40  # px a tick on a linear axis, as Vega-Lite sets the tick count
NICE_TICKS = 10  # the tick count Vega makes a domain nice with


VERSION = 2  # in the kept charts' names (charts.svg_of): a chart drawn by an earlier version is drawn again


class Unsupported(ValueError):
    """A spec using what this renderer does not draw: the chart is drawn by vl-convert instead."""


# Helvetica's advance widths (its AFM file, thousandths of the font size) for the characters labels use; any other
# character counts as CHAR
_WIDTHS = dict(zip(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, *(556,) * 10, 278, 278, 584,
     584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722,
     667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556,
     222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584),
    strict=True)) | {"£": 556, "–": 556, "—": 1000, "‘": 222, "’": 222, "“": 333, "”": 333, "…": 1000, "−": 584}


FIT = 0.99  # the font Vega measures with (Liberation Sans, Arial's metrics) sets these labels about 1% narrower


def text_width(text: str, size: float) -> float:
    return sum(_WIDTHS.get(c, CHAR * 1000) for c in text) * size / 1000 * FIT


ROOM = 1.15  # the room left for text, of its width in Helvetica: WeasyPrint (the PDF) falls back to DejaVu Sans
# where neither Helvetica nor Arial is installed, about a tenth wider; labels are still cut as Vega cuts them


def room(text: str, size: float) -> float:
    return text_width(text, size) * ROOM


def clip(text: str, size: float, limit: float) -> str:
    """The text cut with an ellipsis to fit `limit` px, as Vega cuts labels."""
    if text_width(text, size) <= limit:
        return text
    keep = len(text)
    while keep and text_width(text[:keep] + "…", size) > limit:
        keep -= 1
    return text[:keep] + "…"


# -- numbers as d3-format writes them (the specifiers the charts use) ------------------------------------------------

_FORMAT = re.compile(r"^(?P<currency>\$?)(?P<comma>,?)(?:\.(?P<precision>\d+))?(?P<trim>~?)(?P<kind>[fgs%]?)$")


def number(value: float, spec: str = "", currency: str = "$") -> str:
    """`value` as d3-format's `spec` writes it: [$],[.N][~](f|g|s|%) or ',' (grouped, as given); d3's minus sign. A "$"
    writes `currency`, the spec's locale's (d3's own is "$"); a "£" is no d3 format (Vega fails on it), so not here."""
    m = _FORMAT.match(spec)
    if m is None:
        raise Unsupported(f"number format {spec!r}")
    kind, precision = m["kind"], m["precision"]
    if kind == "s":
        text = _si(value, int(precision) if precision else 3)
    elif kind == "%":
        text = f"{value * 100:{',' if m['comma'] else ''}.{int(precision or 0)}f}%"
    elif kind == "g":
        text = f"{value:.{int(precision or 6)}g}"
    elif kind == "f":
        text = f"{value:{',' if m['comma'] else ''}.{int(precision or 6)}f}"
    else:  # no type: d3 writes the number as short as it goes (like ~g), grouped when asked
        text = f"{value:,}" if m["comma"] else repr(value)
        text = text[:-2] if text.endswith(".0") else text
    if m["trim"] and "." in text and kind != "%":
        text = text.rstrip("0").rstrip(".")
    if not re.search(r"[1-9]", text):  # d3 writes no minus on a number that rounds to 0 (nor on -0)
        text = text.replace("-", "")
    text = text.replace("-", "−")
    symbol = currency if m["currency"] else ""
    return text.replace("−", "−" + symbol, 1) if text.startswith("−") else symbol + text


def _si(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    exponent = max(-8, min(8, math.floor(math.log10(abs(value)) / 3))) * 3
    prefix = {-9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G"}.get(exponent, "")
    return f"{value / 10 ** exponent:.{digits}g}{prefix}"


# -- scales ---------------------------------------------------------------------------------------------------------

def nice_step(span: float, count: int) -> float:
    """d3's tick step: 1, 2 or 5 × a power of ten, about span / count."""
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    error = raw / power
    return power * (10 if error >= 7.07 else 5 if error >= 3.16 else 2 if error >= 1.41 else 1)


@dataclass
class Linear:
    low: float
    high: float
    start: float  # px of low
    end: float  # px of high
    log: bool = False

    def __call__(self, v: float) -> float:
        if self.log:
            lo, hi, v = math.log10(self.low), math.log10(self.high), math.log10(max(v, 1e-300))
        else:
            lo, hi = self.low, self.high
        if hi == lo:  # every value the same (all 0): d3 puts them halfway
            return (self.start + self.end) / 2
        return self.start + (v - lo) / (hi - lo) * (self.end - self.start)

    def ticks(self, count: int) -> list[float]:
        if self.log:  # every whole multiple of each power of ten, as Vega's log axis ticks
            out = [round(m * 10.0 ** k, 12) for k in range(math.floor(math.log10(self.low)),
                                                           math.ceil(math.log10(self.high)) + 1) for m in range(1, 10)]
            return [t for t in out if self.low * (1 - 1e-9) <= t <= self.high * (1 + 1e-9)]
        if self.high == self.low:
            return [self.low]
        step = nice_step(self.high - self.low, count)
        first = math.ceil(self.low / step - 1e-9)
        return [round((first + i) * step, 12) for i in range(math.floor(self.high / step + 1e-9) - first + 1)]

    def format(self, count: int) -> Callable[[float], str]:
        if self.log:  # d3's log tickFormat(10): a tick labelled if its multiple of ten is at most 100 / ticks
            most = max(1.0, 100 / len(self.ticks(count)))
            return lambda v: number(v, "~g") if round(v / 10 ** math.floor(math.log10(v) + 1e-9)) <= most else ""
        if self.high == self.low:
            return lambda v: number(v, ",")
        step = nice_step(self.high - self.low, count)
        precision = max(0, -math.floor(math.log10(step) + 1e-9))
        return lambda v: number(v, f",.{precision}f")


def linear(values: Sequence[float], start: float, end: float, zero: bool, log: bool) -> Linear:
    """A quantitative scale over `values`, made nice (d3's nice: the domain out to whole tick steps)."""
    if not all(math.isfinite(v) for v in values):  # Vega leaves such a datum out; here it would end in a traceback
        raise Unsupported("a value that is not a finite number")
    low, high = min(values), max(values)
    if log:  # nice: out to whole powers of ten
        if low <= 0:
            raise Unsupported("a log scale over values of 0 or less")
        return Linear(10 ** math.floor(math.log10(low) + 1e-12), 10 ** math.ceil(math.log10(high) - 1e-12), start, end,
                      log=True)
    if zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if low == high:  # Vega leaves it so: one tick
        return Linear(low, high, start, end)
    _placeable(low, high)
    for _ in range(2):  # d3 nices twice (the step can change once the domain has grown), Vega with 10 ticks
        step = nice_step(high - low, NICE_TICKS)
        low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    _placeable(low, high)
    return Linear(low, high, start, end)


def _placeable(low: float, high: float) -> None:
    """Numbers near float's limit overflow the span or the nice domain (positions NaN, or a traceback)."""
    try:
        span = float(high) - float(low)
    except OverflowError:  # math.floor's whole number times the step, past float's range
        span = math.inf
    if not math.isfinite(span):
        raise Unsupported("values too large to place")


@dataclass
class Discrete:
    domain: list[Any]
    start: float
    end: float
    band: bool  # bars: bands with padding; else points with half a step at each end

    @property
    def step(self) -> float:
        n = len(self.domain)
        span = abs(self.end - self.start)
        if self.band:
            return span / max(n - BAND_INNER + 2 * BAND_OUTER, 1e-9)
        return span / max(n - 1 + 2 * POINT_PADDING, 1e-9)

    @property
    def bandwidth(self) -> float:
        return self.step * (1 - BAND_INNER) if self.band else 0.0

    def __call__(self, v: Any) -> float:
        """The start of v's band (band), or v's point; scales run from start to end (y runs up the page)."""
        i = self.domain.index(v)
        sign = 1 if self.end >= self.start else -1
        offset = (BAND_OUTER * self.step + i * self.step) if self.band else (POINT_PADDING + i) * self.step
        return self.start + sign * offset

    def centre(self, v: Any) -> float:
        sign = 1 if self.end >= self.start else -1
        return self(v) + sign * self.bandwidth / 2


# -- the spec read --------------------------------------------------------------------------------------------------

@dataclass
class Layer:
    mark: dict[str, Any]
    enc: dict[str, Any]
    rows: list[Row]
    currency: str = "$"  # what a "$" format writes: the spec's config.locale.number.currency, else d3's

    @property
    def kind(self) -> str:
        return self.mark["type"]


KNOWN_CHANNELS = {"x", "y", "x2", "y2", "color", "strokeDash", "yOffset", "order", "tooltip"}
KNOWN_MARKS = {"line", "area", "bar", "rule", "point"}


def layers(spec: Spec) -> list[Layer]:
    if {"facet", "hconcat", "vconcat", "concat", "repeat", "transform", "params", "selection"} & spec.keys():
        raise Unsupported("only one view (or layers of one view) is drawn")
    units = spec.get("layer", [spec])
    currency, after = spec.get("config", {}).get("locale", {}).get("number", {}).get("currency", ["$", ""])
    if after:
        raise Unsupported(f"a currency written after the number ({after!r})")
    out = []
    for unit in units:
        if "layer" in unit or "transform" in unit:
            raise Unsupported("nested layers or transforms")
        mark = unit["mark"] if isinstance(unit["mark"], dict) else {"type": unit["mark"]}
        enc = unit.get("encoding", {})
        if mark["type"] not in KNOWN_MARKS or set(enc) - KNOWN_CHANNELS:
            raise Unsupported(f"mark {mark['type']} with {sorted(enc)}")
        data = unit.get("data", spec.get("data"))
        if not isinstance(data, dict) or not isinstance(data.get("values"), list):
            raise Unsupported("data not inline")
        out.append(Layer(mark, enc, data["values"], currency))
    return out


def _discrete_domain(channel: str, found: list[Layer]) -> list[Any]:
    for layer in found:
        sort = layer.enc.get(channel, {}).get("sort")
        if isinstance(sort, list):
            return list(sort)
    values = {r[layer.enc[channel]["field"]] for layer in found if channel in layer.enc for r in layer.rows}
    return sorted(v for v in values if v is not None)


def _stacked(layer: Layer) -> dict[int, tuple[float, float]]:
    """Each row's (bottom, top) of a stacked y: the rows of one x in the order field's ascending order."""
    enc = layer.enc
    x, y = enc["x"]["field"], enc["y"]["field"]
    order = enc.get("order", {}).get("field") or enc.get("color", {}).get("field")
    ranked = sorted(range(len(layer.rows)), key=lambda i: (str(layer.rows[i][order]) if order else ""))
    base: dict[Any, float] = {}
    out = {}
    for i in ranked:
        r = layer.rows[i]
        v = float(r[y] or 0.0)
        b = base.get(r[x], 0.0)
        out[i] = (b, b + v)
        base[r[x]] = b + v
    return out


# -- drawing --------------------------------------------------------------------------------------------------------

def _attrs(**kw: Any) -> str:
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for k, v in kw.items() if v is not None)


def _text(x: float, y: float, text: str, size: float, anchor: str = "start", weight: str | None = None,
          rotate: float | None = None, baseline: str = "middle") -> str:
    transform = f"translate({x:.1f},{y:.1f})" + (f" rotate({rotate:g})" if rotate else "")
    attrs = _attrs(transform=transform, text_anchor=anchor, font_size=size, font_weight=weight, fill=TEXT_COLOUR,
                   dominant_baseline=baseline)
    return f"<text{attrs}>{escape(text)}</text>"


def _tooltip(layer: Layer, row: Row) -> str | None:
    parts = []
    for t in layer.enc.get("tooltip", []) or []:
        v = row.get(t["field"])
        if v is None:
            shown = "no figure"
        elif isinstance(v, int | float) and not isinstance(v, bool) and t.get("type") == "quantitative":
            shown = number(float(v), t.get("format", ""), layer.currency)
        else:
            shown = str(v)
        parts.append(f"{t.get('title', t['field'])}: {shown}" if t.get("title", t["field"]) else shown)
    return "; ".join(parts) or None


def _colour_of(layer: Layer) -> Callable[[Row], str]:
    enc, default = layer.enc.get("color"), layer.mark.get("color", "#4c78a8")
    if enc is None:
        return lambda r: default
    if "condition" in enc:
        m = re.fullmatch(r"\(datum\.(\w+) === '([^']*)'\)", enc["condition"].get("test", ""))
        if m is None:
            raise Unsupported(f"colour condition {enc['condition']}")
        field, value, yes, no = m[1], m[2], enc["condition"]["value"], enc.get("value", default)
        return lambda r: yes if r.get(field) == value else no
    scale = enc.get("scale", {})
    domain, palette = scale.get("domain"), scale.get("range")
    if not domain or not palette:
        raise Unsupported("a colour scale without its domain and range")
    return lambda r: palette[domain.index(r[enc["field"]])]


def _dash_of(layer: Layer) -> Callable[[Row], str | None]:
    enc = layer.enc.get("strokeDash")
    if enc is None:
        dash = layer.mark.get("strokeDash")
        return lambda r: ",".join(map(str, dash)) if dash else None
    domain, dashes = enc["scale"]["domain"], enc["scale"]["range"]
    return lambda r: (None if dashes[domain.index(r[enc["field"]])] == [1, 0]
                      else ",".join(map(str, dashes[domain.index(r[enc["field"]])])))


def _legend(found: list[Layer]) -> list[tuple[str, str, str | None, str]] | None:
    """(label, colour, dash, symbol) for each value of the colour field, from the first layer that shows a legend;
    none where a layer sets the same field's legend to null (Vega-Lite merges the layers' legends, and drops it)."""
    if any("field" in la.enc.get("color", {}) and la.enc["color"].get("legend", {}) is None for la in found):
        return None
    for layer in found:
        enc = layer.enc.get("color")
        if enc is None or "field" not in enc or enc.get("legend", {}) is None:
            continue
        domain, palette = enc["scale"]["domain"], enc["scale"]["range"]
        names = dict(zip(domain, domain, strict=True))
        expr = (enc.get("legend") or {}).get("labelExpr")
        if expr:
            m = re.fullmatch(r"\{(.*)\}\[datum\.label\]", expr)
            if m is None:
                raise Unsupported(f"legend labelExpr {expr}")
            names.update(re.findall(r"'([^']*)': '([^']*)'", m[1]))
        dash = _dash_of(layer)
        symbol = "line" if layer.kind == "line" else "square"
        return [(names[v], palette[i], dash({enc["field"]: v}) if "strokeDash" in layer.enc else None, symbol)
                for i, v in enumerate(domain)]
    return None


def _y_title(enc: dict[str, Any]) -> list[str]:
    title = enc.get("title", enc.get("field"))
    return [] if title in (None, "") else (title if isinstance(title, list) else [title])


def draw(spec: Spec, font: str = "Helvetica, Arial, sans-serif") -> str:
    """The chart as SVG text (raises Unsupported for what it does not draw)."""
    found = layers(spec)
    config = spec.get("config", {})
    font = config.get("font", font)
    axis_cfg, title_cfg = config.get("axis", {}), config.get("title", {})
    label_size, title_size = axis_cfg.get("labelFontSize", 10), axis_cfg.get("titleFontSize", 11)
    width, height = float(spec.get("width", 400)), float(spec.get("height", 300))
    x_enc = next((la.enc["x"] for la in found if "x" in la.enc and "title" in la.enc["x"]),
                 next((la.enc["x"] for la in found if "x" in la.enc), None))
    y_enc = next((la.enc["y"] for la in found if "y" in la.enc and "title" in la.enc["y"]),
                 next((la.enc["y"] for la in found if "y" in la.enc), None))
    if x_enc is None:
        raise Unsupported("no x")
    bars = any(la.kind == "bar" for la in found)

    def scale(channel: str, enc: dict[str, Any], start: float, end: float) -> Linear | Discrete:
        if enc["type"] in ("nominal", "ordinal"):  # the first value at the left, or at the top
            return Discrete(_discrete_domain(channel, found), min(start, end), max(start, end), band=bars)
        values, zero = [], True
        for la in found:
            for ch in (channel, channel + "2"):
                if ch in la.enc:
                    f = la.enc[ch]["field"]
                    values += [float(r[f]) for r in la.rows if r.get(f) is not None]
                    if la.enc[ch].get("scale", {}).get("zero") is False:
                        zero = False
            if channel == "y" and la.enc.get("y", {}).get("stack"):
                values += [top for _, top in _stacked(la).values()]
        kind = (enc.get("scale") or {}).get("type", "linear")
        if kind not in ("linear", "log"):
            raise Unsupported(f"{kind} scale")
        return linear(values or [0.0], start, end, zero, kind == "log")  # no rows: Vega's one tick at 0

    x = scale("x", x_enc, 0.0, width)
    y = scale("y", y_enc, height, 0.0) if y_enc else None
    legend = _legend(found)

    body: list[str] = []
    # axes: grid first (under the marks), then the marks, then axis lines, ticks and labels
    x_labels, y_labels = _axis_labels(x, width), (_axis_labels(y, height) if y else [])
    if isinstance(x, Linear):
        body += [f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="0" y2="{height:g}" stroke="{GRID_COLOUR}"/>'
                 for t, _ in x_labels]
    if isinstance(y, Linear):
        body += [f'<line x1="0" x2="{width:g}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{GRID_COLOUR}"/>'
                 for t, _ in y_labels]
    for la in found:
        body += _marks(la, x, y, width, height)
    axes, (left, bottom) = _axes(x, y, x_enc, y_enc, x_labels, y_labels, width, height, label_size, title_size)
    body += axes

    # the frame: the title above, the legend below, the y-axis on the left
    title = spec.get("title", "")
    title = title.get("text", "") if isinstance(title, dict) else title
    t_size = title_cfg.get("fontSize", 13)
    top = t_size + 14 if title else 8
    legend_svg, legend_height, legend_width = _legend_svg(legend, config.get("legend", {}), left, height + bottom + 8)
    last = room(x_labels[-1][1], label_size) / 2 if isinstance(x, Linear) and x_labels else 0.0
    total_w = left + max(width + last, legend_width) + 12
    total_h = top + height + bottom + legend_height + 8
    head = _text(4 - left, -top + t_size * 0.4 + 6, title, t_size, weight="bold") if title else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
            f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" font-family="{escape(font)}">'
            f'<rect width="{total_w:.0f}" height="{total_h:.0f}" fill="white"/>'
            f'<g transform="translate({left:.1f},{top:.1f})">{head}{"".join(body)}{legend_svg}</g></svg>')


def _axis_labels(s: Linear | Discrete, length: float) -> list[tuple[Any, str]]:
    if isinstance(s, Discrete):
        return [(v, str(v)) for v in s.domain]
    count = max(math.ceil(length / WIDTH_TICKS), 2)
    fmt = s.format(count)
    return [(t, fmt(t)) for t in s.ticks(count)]


def _pos(s: Linear | Discrete, v: Any) -> float:
    return s.centre(v) if isinstance(s, Discrete) else s(v)


def _axes(x: Linear | Discrete, y: Linear | Discrete | None, x_enc: dict[str, Any], y_enc: dict[str, Any] | None,
          x_labels: list[tuple[Any, str]], y_labels: list[tuple[Any, str]], width: float, height: float,
          label_size: float, title_size: float) -> tuple[list[str], tuple[float, float]]:
    """The axes' lines, ticks, labels and titles, and the room they take on the left and below the plot."""
    out = []
    x_axis = x_enc.get("axis") or {}
    angle = float(x_axis.get("labelAngle", 0 if isinstance(x, Linear) else -90))
    limit = float(x_axis.get("labelLimit", 180))
    x_titles = _y_title(x_enc)
    names = "; ".join(text for _, text in x_labels if text)
    out.append(_axis_group(_axis_words("X", x_titles, names)))
    out.append(f'<line x1="0" x2="{width:g}" y1="{height:g}" y2="{height:g}" stroke="{AXIS_COLOUR}"/>')
    deepest = 0.0
    for v, text in x_labels:
        px = _pos(x, v)
        text = clip(text, label_size, limit)
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{height:g}" y2="{height + TICK:g}" stroke="{AXIS_COLOUR}"/>')
        if not text:  # a tick without a label (a log axis's 6–9)
            continue
        if angle:
            out.append(_text(px, height + TICK + PAD + 2, text, label_size, anchor="end" if angle < 0 else "start",
                             rotate=angle))
            deepest = max(deepest, room(text, label_size) * abs(math.sin(math.radians(angle))) + label_size)
        else:
            out.append(_text(px, height + TICK + PAD, text, label_size, anchor="middle", baseline="hanging"))
            deepest = max(deepest, label_size + 2)
    bottom = TICK + PAD + deepest
    for i, line in enumerate(x_titles):
        out.append(_text(width / 2, height + bottom + 6 + i * (title_size + 2), line, title_size, anchor="middle",
                         weight="bold", baseline="hanging"))
    bottom += (6 + len(x_titles) * (title_size + 2)) if x_titles else 0
    out.append("</g>")
    left = 0.0
    if y is not None and y_enc is not None:
        y_axis = y_enc.get("axis") or {}
        limit = float(y_axis.get("labelLimit", 180))
        y_titles = _y_title(y_enc)
        names = "; ".join(text for _, text in y_labels if text)
        out.append(_axis_group(_axis_words("Y", y_titles, names)))
        out.append(f'<line x1="0" x2="0" y1="0" y2="{height:g}" stroke="{AXIS_COLOUR}"/>')
        widest = 0.0
        for v, text in y_labels:
            py = _pos(y, v)
            text = clip(text, label_size, limit)
            widest = max(widest, room(text, label_size))
            out.append(f'<line x1="{-TICK}" x2="0" y1="{py:.1f}" y2="{py:.1f}" stroke="{AXIS_COLOUR}"/>')
            if text:
                out.append(_text(-TICK - PAD, py, text, label_size, anchor="end"))
        left = TICK + PAD + widest + 6
        for i, line in enumerate(y_titles):
            offset = left + (len(y_titles) - 1 - i) * (title_size + 2)
            out.append(_text(-offset, height / 2, line, title_size, anchor="middle", weight="bold", rotate=-90,
                             baseline="auto"))
        left += len(y_titles) * (title_size + 2) + 2
        out.append("</g>")
    return out, (left + 4, bottom)


def _axis_group(words: str) -> str:
    return f'<g role="graphics-symbol" aria-roledescription="axis" aria-label="{escape(words)}">'


def _axis_words(which: str, titles: list[str], names: str) -> str:
    titled = f" titled '{' '.join(titles)}'" if titles else ""
    return f"{which}-axis{titled}: {names}"


def _legend_svg(legend: list[tuple[str, str, str | None, str]] | None, cfg: dict[str, Any], x0: float,
                y0: float) -> tuple[str, float, float]:
    if not legend:
        return "", 0.0, 0.0
    size = cfg.get("labelFontSize", 10)
    out, x = ['<g role="graphics-symbol" aria-roledescription="legend" aria-label="Legend: '
              + escape(", ".join(label for label, *_ in legend)) + '">'], 0.0
    for label, colour, dash, symbol in legend:
        if symbol == "line":
            out.append(f'<line x1="{x:.1f}" x2="{x + 18:.1f}" y1="{y0 + 8:.1f}" y2="{y0 + 8:.1f}" stroke="{colour}" '
                       f'stroke-width="2"{_attrs(stroke_dasharray=dash)}/>')
            x += 22
        else:
            out.append(f'<rect x="{x:.1f}" y="{y0 + 3:.1f}" width="10" height="10" fill="{colour}"/>')
            x += 14
        out.append(_text(x, y0 + 8, label, size))
        x += room(label, size) + 16
    out.append("</g>")
    return "".join(out), 24.0, max(x - x0, 0.0) if x > 0 else 0.0


def _marks(la: Layer, x: Linear | Discrete, y: Linear | Discrete | None, width: float, height: float) -> list[str]:
    """One layer's marks."""
    enc, mark, kind = la.enc, la.mark, la.kind
    colour, dash = _colour_of(la), _dash_of(la)
    opacity = mark.get("opacity")
    stroke_width = mark.get("strokeWidth", 2 if kind == "line" else 1)
    out: list[str] = []

    def field(ch: str, r: Row) -> Any:
        return r.get(enc[ch]["field"]) if ch in enc else None

    if kind in ("line", "area"):
        series: dict[Any, list[Row]] = {}
        key = enc.get("color", {}).get("field")
        for r in la.rows:
            series.setdefault(r.get(key) if key else None, []).append(r)
        for rows in series.values():
            rows = sorted(rows, key=lambda r: x.domain.index(field("x", r)) if isinstance(x, Discrete)
                          else float(field("x", r)))
            rows = [r for r in rows if field("y", r) is not None]
            if not rows or y is None:
                continue
            c = colour(rows[0])
            top = [(_pos(x, field("x", r)), _pos(y, field("y", r))) for r in rows]
            if kind == "area":
                low = [(_pos(x, field("x", r)), _pos(y, field("y2", r))) for r in rows if field("y2", r) is not None]
                points = top + low[::-1]
                d = "M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in points) + "Z"
                out.append(f'<path d="{d}"{_attrs(fill=c, fill_opacity=opacity if opacity is not None else 0.7)}/>')
                continue
            d = "M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in top)
            line = _attrs(stroke=c, stroke_width=stroke_width, stroke_dasharray=dash(rows[0]))
            out.append(f'<path d="{d}" fill="none"{line}/>')
            if mark.get("point"):
                out += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{c}"{_aria(la, r)}/>'
                        for (a, b), r in zip(top, rows, strict=True)]
        return out
    stacked = _stacked(la) if enc.get("y", {}).get("stack") else {}
    for i, r in enumerate(la.rows):
        c = colour(r)
        if kind == "bar":
            out.append(_bar(la, r, i, x, y, stacked, c, opacity))
        elif kind == "rule":
            out.append(_rule(la, r, x, y, width, height, c, stroke_width, dash(r)))
        elif kind == "point":
            if field("x", r) is None or (y is not None and field("y", r) is None):
                continue
            size = math.sqrt(float(mark.get("size", 30)) / math.pi)
            filled = mark.get("filled", False)
            out.append(f'<circle cx="{_pos(x, field("x", r)):.1f}" '
                       f'cy="{_pos(y, field("y", r)) if y is not None else height / 2:.1f}" r="{size:.1f}"'
                       f'{_attrs(fill=c if filled else "none", stroke=None if filled else c)}{_aria(la, r)}/>')
    return [o for o in out if o]


def _aria(la: Layer, r: Row) -> str:
    words = _tooltip(la, r)
    return f' role="graphics-symbol" aria-label="{escape(words)}"' if words else ""


def _bar(la: Layer, r: Row, i: int, x: Linear | Discrete, y: Linear | Discrete | None,
         stacked: dict[int, tuple[float, float]], c: str, opacity: float | None) -> str:
    enc = la.enc
    if y is None:
        raise Unsupported("a bar without y")
    band, value = (x, y) if isinstance(x, Discrete) else (y, x)
    along, across = ("x", "y") if band is x else ("y", "x")
    if not isinstance(band, Discrete) or not isinstance(value, Linear):
        raise Unsupported("bars need one discrete and one quantitative axis")
    key = r.get(enc[along]["field"])
    if key not in band.domain:
        return ""
    start, size = band(key), band.bandwidth
    if "yOffset" in enc:  # bars side by side within the band (the tornado's low and high)
        sub = enc["yOffset"]
        domain = sub.get("sort") if isinstance(sub.get("sort"), list) else sorted({q[sub["field"]] for q in la.rows})
        inner = Discrete(list(domain), 0.0, size, band=True)
        start, size = start + inner(r[sub["field"]]), inner.bandwidth
    share = (la.mark.get("height") or {}).get("band") if isinstance(la.mark.get("height"), dict) else None
    if share:
        start, size = start + size * (1 - share) / 2, size * share
    if i in stacked:
        low, high = stacked[i]
    else:
        v0 = r.get(enc[across]["field"])
        v1 = r.get(enc[across + "2"]["field"]) if across + "2" in enc else (0.0 if value.low <= 0 <= value.high
                                                                            else value.low)
        if v0 is None or v1 is None:
            return ""
        low, high = float(v0), float(v1)
    a, b = sorted((value(low), value(high)))
    if band is x:
        return (f'<rect x="{start:.1f}" y="{a:.1f}" width="{size:.1f}" height="{max(b - a, 0):.1f}"'
                f'{_attrs(fill=c, fill_opacity=opacity)}{_aria(la, r)}/>')
    top = start - size if band.end < band.start else start
    return (f'<rect x="{a:.1f}" y="{top:.1f}" width="{max(b - a, 0):.1f}" height="{size:.1f}"'
            f'{_attrs(fill=c, fill_opacity=opacity)}{_aria(la, r)}/>')


def _rule(la: Layer, r: Row, x: Linear | Discrete, y: Linear | Discrete | None, width: float, height: float,
          c: str, stroke_width: float, dash: str | None) -> str:
    enc = la.enc

    def at(ch: str) -> float | None:
        v = r.get(enc[ch]["field"]) if ch in enc else None
        if v is None:
            return None
        s = x if ch[0] == "x" else y
        assert s is not None
        return _pos(s, v)

    x1, x2, y1, y2 = at("x"), at("x2"), at("y"), at("y2")
    if ("x" in enc and x1 is None) or ("y" in enc and y1 is None):
        return ""
    if x2 is None and y2 is None and "y" not in enc:  # a vertical line across the plot
        x2, y1, y2 = x1, 0.0, height
    elif x2 is None and y2 is None and "x" not in enc:  # a horizontal line across it
        x1, x2, y2 = 0.0, width, y1
    elif x2 is None:
        x2 = x1
    elif y2 is None:
        y2 = y1
    return (f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y1:.1f}" y2="{y2:.1f}"'
            f'{_attrs(stroke=c, stroke_width=stroke_width, stroke_dasharray=dash)}{_aria(la, r)}/>')
