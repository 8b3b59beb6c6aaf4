"""The HTML page of a quarterly bulletin, rendered from its figures with a Jinja2 template
(every text escaped; no scripts, no external files): the same figures give the same bytes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

_templates = Environment(
    loader=PackageLoader("api", "templates"),
    autoescape=True,
    keep_trailing_newline=True,
    undefined=StrictUndefined,
)
_templates.filters["thousands"] = lambda n: f"{n:,}"


@dataclass(frozen=True)
class Bar:
    y: int
    length: int
    label: str
    value: str
    cases: str


@dataclass(frozen=True)
class Chart:
    """An inline SVG bar chart of seizure value by case type."""

    bars: list[Bar]
    width: int = 640
    bar_height: int = 26
    gap: int = 10
    label_width: int = 230

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * (self.bar_height + self.gap) + self.gap


def _chart(seizures: list[dict[str, Any]]) -> Chart:
    shape = Chart([])
    values = [Decimal(s["value"]) for s in seizures]
    top = max(values, default=Decimal(0)) or Decimal(1)
    room = shape.width - shape.label_width - 120
    bars = [
        Bar(
            y=shape.gap + i * (shape.bar_height + shape.gap),
            length=int((value / top) * room),
            label=s["label"],
            value=s["value"],
            cases=s["quantity"]["cases"],
        )
        for i, (s, value) in enumerate(zip(seizures, values, strict=True))
    ]
    return Chart(bars)


def bulletin_html(figures: dict[str, Any], unit_name: str) -> bytes:
    """The bulletin as an HTML document, in the unit's name."""
    page = _templates.get_template("bulletin.html").render(
        unit_name=unit_name,
        data=figures,
        leads=figures["leads"],
        ack=figures["leads"]["acknowledgement"],
        fb=figures["leads"]["feedback"],
        cases=figures["cases"],
        seizures=figures["seizures"],
        chart=_chart(figures["seizures"]["by_case_type"]),
    )
    return page.encode()
