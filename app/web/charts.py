"""Bar charts drawn on the server as SVG: no script, no chart library in the page; each chart is followed by its
data table (RGAA: the table is the accessible form, the drawing repeats it) and works without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass

from app.operations.statistics import Indicator

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 260, 58, 34, 12
# DSFR colours with at least 3:1 against white (RGAA 3.3 for graphical objects): bleu France, rouge Marianne, and
# the « illustrative » green-emeraude 425 (dark).
COLOURS = ("#000091", "#c9191e", "#18753c")
MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


@dataclass(frozen=True)
class Drawing:
    indicator: Indicator
    months: list[str]  # as people read them: « déc. 2026 »
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # y, label
    ticks_x: list[tuple[float, str]]
    legend: list[tuple[str, str]]  # colour, label
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: float = HEIGHT - BOTTOM


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def _nice(value: float) -> float:
    """The axis' top: 1, 2 or 5 times a power of ten, at or above ``value``."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def draw(indicator: Indicator, months: list[str]) -> Drawing:
    """Grouped bars for the indicator's count series (a rate, in %, stays in the table only)."""
    drawn = [(label, values) for label, values in indicator.series if "%" not in label]
    top = _nice(max([v for _, values in drawn for v in values if v is not None] or [0]))
    plot_width, plot_height = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    group = plot_width / max(1, len(months))
    bar_width = (group * 0.8) / max(1, len(drawn))
    bars = []
    for index, (label, values) in enumerate(drawn):
        for position, value in enumerate(values):
            if not value:
                continue
            height = plot_height * value / top
            bars.append(Bar(LEFT + position * group + group * 0.1 + index * bar_width, HEIGHT - BOTTOM - height,
                            bar_width, height, COLOURS[index % len(COLOURS)],
                            f"{label}, {month_label(months[position])}\u00a0: {value}"))
    shares = (0, 0.5, 1) if float(top * 0.5).is_integer() else (0, 1)  # counts: whole numbers on the axis
    ticks = [(HEIGHT - BOTTOM - plot_height * share, _number(top * share)) for share in shares]
    ticks_x = [(LEFT + (i + 0.5) * group, MONTHS[int(m[5:]) - 1]) for i, m in enumerate(months)]
    return Drawing(indicator, [month_label(m) for m in months], bars, ticks, ticks_x,
                   [(COLOURS[i % len(COLOURS)], label) for i, (label, _) in enumerate(drawn)])


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")
