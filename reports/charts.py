"""Charts drawn as SVG on the server: bar charts and a weekday × hour heat map.

Accessible and printable: each SVG is ``role="img"`` with a <title> and <desc> it is labelled
by, bars and cells carry their value as text (no meaning in colour alone), fills are greys
that survive black-and-white printing. The templates show the same numbers in a table.
"""
import itertools

from markupsafe import Markup, escape

_ids = itertools.count(1)
BAR_FILL = "#2f4f6f"
TEXT = "#1a1a1a"


def _percent(ratio):
    return "–" if ratio is None else f"{ratio * 100:.0f} %"


def _open_svg(width, height, title, desc):
    number = next(_ids)
    title_id, desc_id = f"chart-title-{number}", f"chart-desc-{number}"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width: {width * 1.6:.0f}px" '
        f'preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{title_id} {desc_id}" font-family="sans-serif" font-size="11">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
    ]


def bar_chart(title, desc, labels, ratios, *, label_every=1):
    """Vertical bars of shares (0..1; None: nothing open), a 0-100 % axis, each bar with
    its value printed above it when there is room."""
    count = max(len(labels), 1)
    bar_space = max(14, min(60, 640 // count))
    left, top, plot_height = 40, 20, 160
    width = left + bar_space * count + 10
    height = top + plot_height + 50
    parts = _open_svg(width, height, title, desc)
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_height - plot_height * tick / 100
        parts.append(f'<line x1="{left}" x2="{width - 5}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#bbbbbb" stroke-width="0.5"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'fill="{TEXT}">{tick} %</text>')
    for index, (label, ratio) in enumerate(zip(labels, ratios)):
        x = left + index * bar_space + 2
        bar_width = bar_space - 4
        value = 0 if ratio is None else max(0.0, min(ratio, 1.0))
        bar_height = plot_height * value
        y = top + plot_height - bar_height
        parts.append(f'<rect x="{x}" y="{y:.1f}" width="{bar_width}" height="{bar_height:.1f}" '
                     f'fill="{BAR_FILL}"><title>{escape(label)}: {_percent(ratio)}</title></rect>')
        if bar_space >= 30:
            parts.append(f'<text x="{x + bar_width / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                         f'fill="{TEXT}">{_percent(ratio)}</text>')
        if index % label_every == 0:
            lx, ly = x + bar_width / 2, top + plot_height + 12
            parts.append(f'<text x="{lx:.1f}" y="{ly}" text-anchor="end" fill="{TEXT}" '
                         f'transform="rotate(-45 {lx:.1f} {ly})">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _grey(ratio):
    """Light (empty) to dark (full) grey, and a text colour that stays readable on it."""
    value = 0 if ratio is None else max(0.0, min(ratio, 1.0))
    level = int(245 - 190 * value)
    return f"rgb({level},{level},{level})", ("#ffffff" if level < 140 else TEXT)


def heat_map_chart(title, desc, weekday_names, hours, cells):
    """Rows weekdays, columns hours; each cell shows its occupancy in per cent."""
    cell_w, cell_h, left, top = 38, 22, 44, 22
    width = left + cell_w * max(len(hours), 1) + 4
    height = top + cell_h * 7 + 4
    parts = _open_svg(width, height, title, desc)
    for column, hour in enumerate(hours):
        parts.append(f'<text x="{left + column * cell_w + cell_w / 2}" y="{top - 6}" '
                     f'text-anchor="middle" fill="{TEXT}">{hour:02d}</text>')
    for weekday in range(7):
        y = top + weekday * cell_h
        parts.append(f'<text x="{left - 4}" y="{y + cell_h / 2 + 4}" text-anchor="end" '
                     f'fill="{TEXT}">{escape(weekday_names[weekday])}</text>')
        for column, hour in enumerate(hours):
            cell = cells.get((weekday, hour), {})
            ratio = cell.get("ratio")
            fill, ink = _grey(ratio)
            x = left + column * cell_w
            parts.append(f'<rect x="{x}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}" '
                         f'fill="{fill}" stroke="#999999" stroke-width="0.5"/>')
            text = "" if ratio is None else f"{ratio * 100:.0f}"
            parts.append(f'<text x="{x + cell_w / 2}" y="{y + cell_h / 2 + 4}" '
                         f'text-anchor="middle" fill="{ink}">{text}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
