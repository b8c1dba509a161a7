"""The hand-off to the apps above: a round has ended.

`round_closed` is sent inside the transaction that ends a round, with `round` (the
WrittenRound) and `state` (approved, referred or withdrawn). The offers app connects a receiver
that turns the capacity changes proposed in an approved round into capacity rows; because the
receiver runs in the same transaction, a failure there leaves the round open (nothing
half-written), and the periodic task tries again.
"""

from __future__ import annotations

from django.dispatch import Signal

round_closed = Signal()
