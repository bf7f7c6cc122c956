"""Chart geometry for the analytics page: plain numbers that a template draws as SVG. Pure.

The template writes the <svg>, so every label is escaped by Jinja like any other text; this
module only decides where the bars go.
"""
from __future__ import annotations

from dataclasses import dataclass

BAR = 10          # px per bar (a row holds one bar per series)
LABEL = 210       # px kept for the labels on the left
WIDTH = 640       # the whole chart (the SVG scales down on a phone: viewBox)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    series: str   # css class: sent, opened, machine, clicked, replied, deferred, suppressed


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list
    rows: list     # (label, y) for the row labels
    legend: list   # (series, words)
    max_value: int
    title: str


def grouped_bars(title: str, rows: list[tuple[str, dict[str, int]]], series: list[tuple[str, str]]) -> Chart:
    """One row per label, one thin bar per series inside it, all on one scale.

    ``rows``: (label, {series key: value}); ``series``: (key, words for the legend)."""
    top = max([v.get(key, 0) for _, v in rows for key, _ in series] + [1])
    span = WIDTH - LABEL - 50
    row = BAR * len(series) + 10
    bars, labels = [], []
    for i, (label, values) in enumerate(rows):
        y0 = 6 + i * row
        labels.append((label, y0 + BAR * len(series) / 2))
        for j, (key, _) in enumerate(series):
            value = int(values.get(key, 0))
            bars.append(Bar(label, value, LABEL, y0 + j * BAR, round(span * value / top, 1), BAR - 1, key))
    return Chart(WIDTH, 12 + len(rows) * row, bars, labels, series, top, title)


def funnel(title: str, steps: list[dict]) -> Chart:
    """Per step: sent, opened by people, opened by machines, clicked, replied (a series that is
    zero at every step is left out rather than drawn as empty rows)."""
    series = [(key, words) for key, words in (("sent", "sent"), ("opened", "opened by people"),
                                               ("machine_opens", "opened by machines"), ("clicked", "clicked"),
                                               ("replied", "replied"))
              if key == "sent" or any(s.get(key) for s in steps)]
    return grouped_bars(title, [(s["label"], s) for s in steps], series)


def reasons(title: str, counts: dict[str, int], words: dict[str, str]) -> Chart:
    """Why touches waited or were not sent: one bar per reason, largest first, coloured by
    whether the touch waited (deferred) or was not sent (suppressed)."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    chart = grouped_bars(title, [(words.get(k, k.split("_", 1)[-1].replace("_", " ")), {"count": v})
                                 for k, v in ordered],
                         [("count", "")])
    kinds = ["deferred" if k.startswith("deferred") else "suppressed" for k, _ in ordered]
    bars = [Bar(b.label, b.value, b.x, b.y, b.width, b.height, kind) for b, kind in zip(chart.bars, kinds)]
    return Chart(chart.width, chart.height, bars, chart.rows, [("deferred", "waited, then went"),
                                                               ("suppressed", "not sent")], chart.max_value, title)
