"""The staff dashboard's score chart: an SVG bar chart drawn on the server, with its text alternative.

No chart library reaches the LMS page: the bars are a few rectangles, every label is
escaped, and the same words the chart shows are its accessible name and description.
"""

from __future__ import annotations

import html
import secrets

from . import i18n

WIDTH, HEIGHT, PAD, AXIS = 360, 180, 28, 18


def score_chart(histogram: list[int], language: str) -> str:
    """Learners per tenth of the maximum score, as an accessible SVG."""
    t = i18n.translator(language)
    esc = html.escape
    bins = len(histogram) or 1
    top = max(histogram, default=0) or 1
    step = (WIDTH - 2 * PAD) / bins
    usable = HEIGHT - PAD - AXIS
    bars, labels, described = [], [], []
    for index, count in enumerate(histogram):
        low, high = index * 100 // bins, (index + 1) * 100 // bins
        band = t(i18n.DASHBOARD_STRINGS["band"]).format(low=low, high=high)
        described.append(t(i18n.DASHBOARD_STRINGS["band_count"]).format(band=band, count=count))
        height = usable * count / top
        x = PAD + index * step
        bars.append(f'<rect x="{x + 2:.1f}" y="{PAD + usable - height:.1f}" width="{step - 4:.1f}" '
                    f'height="{height:.1f}" class="sabaq-chart-bar"><title>{esc(described[-1])}</title></rect>')
        if count:
            bars.append(f'<text x="{x + step / 2:.1f}" y="{PAD + usable - height - 3:.1f}" '
                        f'text-anchor="middle" class="sabaq-chart-count">{count}</text>')
        labels.append(f'<text x="{x + step / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle" '
                      f'class="sabaq-chart-label">{low}</text>')
    title = t(i18n.DASHBOARD_STRINGS["chart_title"])
    ref = f"sabaq-chart-{secrets.token_hex(4)}"  # ids unique on a page with several units
    description = "; ".join(described)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sabaq-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ref}-title {ref}-desc" dir="ltr">'
        f'<title id="{ref}-title">{esc(title)}</title><desc id="{ref}-desc">{esc(description)}</desc>'
        f'<line x1="{PAD}" y1="{PAD + usable}" x2="{WIDTH - PAD}" y2="{PAD + usable}" class="sabaq-chart-axis"/>'
        f'{"".join(bars)}{"".join(labels)}</svg>'
    )
