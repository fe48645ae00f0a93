"""The demo cards and the feed data each one gets, so every card shows a different outcome.

Card files are the simulator's demo deck, ``readers/simulator/demo_cards/NAME.json``
(synthetic people, valid check digits); this table says what the demo's verifier should know
about each of them.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class DemoCard:
    name: str
    description: str
    code: str | None = "green"
    travel_risk: str | None = None
    card_status: str | None = None


CATALOG: tuple[DemoCard, ...] = (
    DemoCard("green", "绿码居民 · resident, green code"),
    DemoCard("yellow", "黄码 · yellow code", code="yellow"),
    DemoCard("red", "红码 · red code", code="red"),
    DemoCard("no-record", "无健康码记录 · no code on record", code=None),
    DemoCard("expired", "证件过期 · expired card"),
    DemoCard("lost", "已挂失 · card reported lost", card_status="lost"),
    DemoCard("travel", "到访高风险地区 · visited a high-risk area", travel_risk="high"),
    DemoCard("foreigner-2017", "外国人永久居留证 2017 · foreigner card (2017)"),
    DemoCard("foreigner-2023", "外国人永久居留证 2023 · foreigner card (2023)"),
    DemoCard("hkmt", "港澳台居民居住证 · HK/Macao/Taiwan residence permit"),
    DemoCard("elder", "七十岁老人 · elder, 60+"),
)


def descriptions() -> dict[str, str]:
    return {card.name: card.description for card in CATALOG}
