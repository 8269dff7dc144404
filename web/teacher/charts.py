"""Small server-rendered SVG charts: score distribution and per-question success."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..1 of the chart height
    count_text: str


def score_histogram(percentages: list[float], bins: int = 10) -> list[Bar]:
    """Counts of scores per band of 10 %, scaled to the tallest band."""
    counts = [0] * bins
    for pct in percentages:
        counts[min(bins - 1, int(max(0.0, pct) * bins / 100))] += 1
    tallest = max(counts) or 1
    width = 100 // bins
    return [Bar(f"{i * width}–{(i + 1) * width} %", c / tallest, str(c))
            for i, c in enumerate(counts)]


def success_rates(rates: list[tuple[int, float]]) -> list[Bar]:
    """Share of students who got each question right (slot order, 1-based labels)."""
    return [Bar(str(slot + 1), rate, f"{round(rate * 100)} %") for slot, rate in rates]
