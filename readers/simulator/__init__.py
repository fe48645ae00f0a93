"""A SAM-module simulator faithful to the protocol notes, for demos, tests and benchmarks.

```python
deck = CardDeck.from_dir(path)                  # *.json virtual card files, name = file stem
deck = CardDeck.from_dir("demo")                # the shipped demo cards (DEMO_CARDS)
sim = SamSimulator(deck)
port = await sim.serve_tcp("127.0.0.1", 0)      # returns the bound port
path = sim.serve_pty()                          # returns /dev/pts/N (raw mode)
sim.insert("green"); sim.remove(); sim.inject(Fault.BAD_CHECKSUM, times=1)
await sim.aclose()
```
"""

from readers.simulator.deck import DEMO_CARDS, CardDeck, DeckError
from readers.simulator.module import Fault, SamModule
from readers.simulator.server import SamSimulator

__all__ = ["DEMO_CARDS", "CardDeck", "DeckError", "Fault", "SamModule", "SamSimulator"]
