"""Card bytes → ``IdCard``: parse and validate time per card (DESIGN.md §8: ≤ 50 µs per card).

Times ``parse_text_block`` for each card type and ``parse_record`` for a whole ``30 01`` answer
(text, photo) with ``timeit``, best of several repeats. The baseline, measured in the same run,
is the least any parser must do: ``bytes.decode("utf-16-le")`` of the same 256-byte block; the
ratio says how many such decodes one validated parse costs.

Run: ``python -m benchmarks.bench_parse [--repeat N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import timeit
from collections.abc import Callable

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from readers.card import CardType, Gender, IdCard, Photo
from readers.idnumber import check_digit
from readers.record import encode_record, parse_record
from readers.textblock import encode_text_block, parse_text_block

BUDGET_US = 50.0
WLT = Photo(wlt=bytes.fromhex("574c66007e00") + bytes(1018))


def _number(prefix: str) -> str:
    return prefix + check_digit(prefix)


def sample_cards() -> dict[CardType, IdCard]:
    """One realistic card of each type, long fields filled so the parser does full work."""
    card = functools.partial(
        IdCard, photo=WLT, valid_from=dt.date(2016, 5, 20), birth_date=dt.date(1950, 3, 7)
    )
    return {
        CardType.RESIDENT: card(
            card_type=CardType.RESIDENT,
            name="欧阳小明",
            gender=Gender.MALE,
            id_number=_number("44010619500307013"),
            valid_until=None,
            ethnicity_code="01",
            ethnicity="汉",
            address="广东省广州市天河区体育西路123号华庭苑东座2101房",
            issuer="广州市公安局天河分局",
        ),
        CardType.HKMT_RESIDENCE: card(
            card_type=CardType.HKMT_RESIDENCE,
            name="陈大文",
            gender=Gender.MALE,
            id_number=_number("81000019500307013"),
            valid_until=dt.date(2029, 3, 1),
            address="广东省深圳市福田区福华三路88号",
            issuer="深圳市公安局",
            pass_number="H60123456",
            issue_count=1,
        ),
        CardType.FOREIGN_PERMANENT: card(
            card_type=CardType.FOREIGN_PERMANENT,
            name="史密斯约翰",
            name_en="SMITH, JOHN ALEXANDER WILLIAM",
            gender=Gender.MALE,
            id_number="USA445003070001",
            valid_until=dt.date(2029, 7, 1),
            nationality="USA",
            card_version="01",
            issuing_office="1500",
        ),
        CardType.FOREIGN_PERMANENT_2023: card(
            card_type=CardType.FOREIGN_PERMANENT_2023,
            name="安娜",
            name_en="MUELLER-LUDENSCHEID, ANNA MARIA KATHARINA ELSE",
            gender=Gender.FEMALE,
            id_number=_number("91127619500307012"),
            valid_until=dt.date(2034, 1, 10),
            nationality="DEU",
            renewal_count=0,
        ),
    }


def best_us(call: Callable[[], object], repeat: int) -> float:
    """Best time of one call in µs: ``timeit`` picks the loop count, the minimum of repeats."""
    timer = timeit.Timer(call)
    loops, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=loops)) / loops * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats (best is kept)")
    args = parser.parse_args()
    cards = sample_cards()
    blocks = {card_type: encode_text_block(card) for card_type, card in cards.items()}
    record = encode_record(cards[CardType.RESIDENT], with_fingerprint=False)
    resident = blocks[CardType.RESIDENT]
    cases: list[tuple[str, Callable[[], object]]] = [
        ("baseline: decode 256 bytes", lambda: resident.decode("utf-16-le")),
        *[
            (f"parse_text_block {card_type.value}", lambda b=block: parse_text_block(b))
            for card_type, block in blocks.items()
        ],
        ("parse_record 30 01 (1284 B)", lambda: parse_record(record, with_fingerprint=False)),
    ]
    results: list[tuple[str, float]] = []
    with Progress(transient=True) as progress:
        task = progress.add_task("timing", total=len(cases))
        for label, call in cases:
            results.append((label, best_us(call, args.repeat)))
            progress.advance(task)
    _report(results)


def _report(results: list[tuple[str, float]]) -> None:
    baseline = results[0][1]
    table = Table(title=f"card bytes → IdCard (budget ≤ {BUDGET_US:g} µs per card)")
    for column in ("operation", "µs/card", "cards/s", "× baseline", "budget"):
        table.add_column(column, justify="left" if column == "operation" else "right")
    for label, us in results:
        verdict = "" if label.startswith("baseline") else ("ok" if us <= BUDGET_US else "OVER")
        table.add_row(label, f"{us:.2f}", f"{1e6 / us:,.0f}", f"{us / baseline:.1f}", verdict)
    console = Console()
    console.print(table)
    worst = max(us for label, us in results[1:])
    console.print(
        f"slowest parse {worst:.1f} µs = {worst / BUDGET_US:.0%} of the budget; "
        "next: python -m benchmarks.bench_sam_read for the whole read over the SAM protocol"
    )


if __name__ == "__main__":
    main()
