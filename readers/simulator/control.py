"""Commands that drive a running simulator, typed on stdin or sent as JSON lines.

Text (stdin)                        JSON (control socket, one object a line)
``insert NAME``                     ``{"cmd": "insert", "card": "NAME"}``
``remove``                          ``{"cmd": "remove"}``
``fault bad-checksum [N]``          ``{"cmd": "fault", "fault": "bad-checksum", "times": N}``
``fault split [N]``                 ``{"cmd": "fault", "fault": "split", "times": N}``
``fault silence [N]``               ``{"cmd": "fault", "fault": "silence", "times": N}``
``fault noise [N]``                 ``{"cmd": "fault", "fault": "noise", "times": N}``
``fault sw3 XX [COMMAND]``          ``{"cmd": "fault", "fault": "sw3", "sw3": "XX",
                                      "command": "read"}``
``fault pull``                      ``{"cmd": "fault", "fault": "pull"}``
``clear``                           ``{"cmd": "clear"}`` (drop queued faults)
``list``                            ``{"cmd": "list"}``
``quit``                            ``{"cmd": "quit"}``

Every command gets one reply: ``Reply(ok, message)``; JSON replies are
``{"ok": bool, "message": str, "card": NAME|null, "cards": [...]}``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from readers.simulator.deck import DeckError
from readers.simulator.module import COMMANDS, Fault
from readers.simulator.server import SamSimulator

FAULTS = {fault.value: fault for fault in Fault}
USAGE = (
    "commands: insert NAME · remove · fault bad-checksum|split|silence|noise [N] · "
    "fault sw3 XX [find|select|read|address|status|any] · fault pull · clear · list · quit"
)


@dataclasses.dataclass(frozen=True, slots=True)
class Command:
    name: str
    card: str | None = None
    fault: str | None = None
    times: int = 1
    sw3: int = 0x24
    target: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Reply:
    ok: bool
    message: str
    quit: bool = False

    def as_json(self, sim: SamSimulator) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "card": sim.card, "cards": sim.deck.names}


class CommandError(ValueError):
    """A command line or JSON object that is not a valid command; the message says why."""


def parse_text(line: str) -> Command:
    """``insert green`` → ``Command("insert", card="green")``; raises ``CommandError``."""
    words = line.split()
    if not words:
        raise CommandError(USAGE)
    name, args = words[0].lower(), words[1:]
    if name == "insert":
        if len(args) != 1:
            raise CommandError("insert needs one card name: insert NAME")
        return Command("insert", card=args[0])
    if name in {"remove", "clear", "list", "quit"}:
        if args:
            raise CommandError(f"{name} takes no arguments")
        return Command(name)
    if name == "fault" and args:
        return _fault(args[0].lower(), args[1:])
    raise CommandError(f"unknown command {line.strip()!r}; {USAGE}")


def _fault(kind: str, args: list[str]) -> Command:
    if kind not in FAULTS:
        raise CommandError(f"unknown fault {kind!r}; expected one of {', '.join(FAULTS)}")
    if kind == "sw3":
        if not args or len(args) > 2:
            raise CommandError("fault sw3 needs a hex code: fault sw3 33 [read]")
        return Command("fault", fault=kind, sw3=_hex_byte(args[0]), target=_target(args[1:]))
    if len(args) > 1 or (args and not args[0].isdigit()):
        raise CommandError(f"fault {kind} takes an optional count: fault {kind} 2")
    return Command("fault", fault=kind, times=int(args[0]) if args else 1)


def _hex_byte(text: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        raise CommandError(f"SW3 code {text!r} is not hex; expected 00..FF, e.g. 33") from None
    if not 0 <= value <= 0xFF:
        raise CommandError(f"SW3 code {text!r} is not one byte; expected 00..FF")
    return value


def _target(args: list[str]) -> str | None:
    if not args:
        return None
    target = args[0].lower()
    if target not in (*COMMANDS, "any"):
        raise CommandError(f"unknown command {target!r}; expected {', '.join(COMMANDS)} or any")
    return target


def parse_json(obj: object) -> Command:
    """``{"cmd": "insert", "card": "green"}`` → a ``Command``; raises ``CommandError``."""
    if not isinstance(obj, dict) or not isinstance(obj.get("cmd"), str):
        raise CommandError('expected a JSON object with a "cmd" string, e.g. {"cmd": "list"}')
    name = obj["cmd"].lower()
    if name == "insert":
        if not isinstance(obj.get("card"), str):
            raise CommandError('insert needs "card": a card name')
        return Command("insert", card=obj["card"])
    if name == "fault":
        words = [str(obj.get("fault", ""))]
        if words[0] == "sw3":
            words += [str(obj[key]) for key in ("sw3", "command") if key in obj]
        elif "times" in obj:
            words.append(str(obj["times"]))
        return _fault(words[0].lower(), words[1:])
    return parse_text(name)


def apply(sim: SamSimulator, command: Command) -> Reply:
    """Carry out ``command`` on ``sim``; problems become a ``Reply`` with ``ok=False``."""
    if command.name == "insert" and command.card is not None:
        try:
            sim.insert(command.card)
        except DeckError as error:
            return Reply(False, str(error))
        return Reply(True, f"card {command.card} placed on the reader")
    if command.name == "remove":
        sim.remove()
        return Reply(True, "reader field empty")
    if command.name == "clear":
        sim.clear_faults()
        return Reply(True, "no faults queued")
    if command.name == "list":
        on = sim.card or "none"
        return Reply(True, f"cards: {', '.join(sim.deck.names) or 'none'} · on reader: {on}")
    if command.name == "quit":
        return Reply(True, "bye", quit=True)
    fault = FAULTS[command.fault or ""]
    sim.inject(fault, command.times, sw3=command.sw3, command=command.target)
    what = f"sw3 {command.sw3:02X}" if fault is Fault.SW3 else fault.value
    return Reply(True, f"fault {what} queued for the next {command.times} answer(s)")
