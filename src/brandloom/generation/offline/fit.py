"""Fitting copy into a limit without cutting a word.

A part is a sequence of :class:`Slot`\\ s (usually one sentence each). Every option of a slot is a
complete text, so whatever is chosen reads as written; the brief's own texts are never
shortened. When the preferred options do not fit, the choice is a small knapsack problem:
which slots to keep, and in which form, so that the most important ones stay. A slot's worth
grows steeply with its rank -- keeping a must-include term is worth more than keeping the
offer, which is worth more than the facts, the emotional lines and the hook together -- while
the preferred wording of a slot only breaks ties.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from brandloom.documents.formats.sms import GSM7_BASIC, GSM7_EXTENSION, sms_info

Fits = Callable[[str], bool]

_GSM = GSM7_BASIC | GSM7_EXTENSION
_PREFERRED = 1.0
_OTHER = 0.999  # another wording of the same sentence: a tie-breaker only
_FALLBACK = 0.6  # a last resort ("+ term"): better than nothing, worse than the offer


@dataclass(frozen=True, slots=True)
class Slot:
    """A place in a part: ``options`` in order of preference, ``rank`` how much it matters,
    ``sep`` what goes before it, ``fallback`` a last resort, and ``quality`` (optional, one per
    option) how much of the slot's worth each option keeps."""

    options: tuple[str, ...]
    rank: int = 50
    sep: str = " "
    required: bool = False
    fallback: str | None = None
    quality: tuple[float, ...] | None = None

    def choices(self) -> list[tuple[str, float]]:
        """Every option with the share of the slot's worth it keeps."""
        out = [
            (text, self.quality[j] if self.quality else (_PREFERRED if j == 0 else _OTHER))
            for j, text in enumerate(self.options)
        ]
        if self.fallback:
            out.append((self.fallback, _FALLBACK))
        return out


@dataclass(frozen=True, slots=True)
class Budget:
    """Room for a text: ``capacity`` in the units ``measure`` counts, for texts ``allowed``."""

    capacity: int
    measure: Callable[[str], int] = len
    allowed: Callable[[str], bool] = lambda text: True


def chars(limit: int | None) -> list[Budget]:
    """A limit in code points (None: any length)."""
    return [] if limit is None else [Budget(limit)]


def _gsm_units(text: str) -> int:
    return len(text) + sum(1 for ch in text if ch in GSM7_EXTENSION)


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _is_gsm(text: str) -> bool:
    return set(text) <= _GSM


def sms_budget(segments: int) -> list[Budget]:
    """An SMS of at most ``segments`` segments: all in GSM-7, or in UCS-2."""
    single = segments == 1
    return [
        Budget(160 if single else 153 * segments, _gsm_units, _is_gsm),
        Budget(70 if single else 67 * segments, _utf16_units),
    ]


def within(limit: int | None) -> Fits:
    """A check for a limit in code points (None: anything fits)."""
    if limit is None:
        return lambda text: True
    return lambda text: len(text) <= limit


def within_sms(segments: int) -> Fits:
    """A check for an SMS of at most ``segments`` segments (GSM-7 or UCS-2, as sent)."""
    return lambda text: sms_info(text).segments <= segments


def _join(slots: Sequence[Slot], texts: Sequence[str | None]) -> str:
    out: list[str] = []
    for slot, text in zip(slots, texts, strict=True):
        if text is None:
            continue
        if out:
            out.append(slot.sep)
        out.append(text)
    return "".join(out)


def _worth(rank: int) -> float:
    return float(2 ** (rank / 6))


def _best(
    slots: Sequence[Slot], budget: Budget, capacity: int
) -> tuple[float, list[str | None]] | None:
    """The most valuable choice within ``capacity`` (a knapsack over the slots)."""
    # best[c]: (value, choices) using at most c units; None: unreachable.
    best: list[tuple[float, tuple[str | None, ...]] | None] = [None] * (capacity + 1)
    best[0] = (0.0, ())
    for slot in slots:
        worth = _worth(slot.rank)
        options = [
            (text, budget.measure(slot.sep) + budget.measure(text), quality * worth)
            for text, quality in slot.choices()
            if budget.allowed(text)
        ]
        nxt: list[tuple[float, tuple[str | None, ...]] | None] = [None] * (capacity + 1)
        for used, state in enumerate(best):
            if state is None:
                continue
            value, picked = state
            if not slot.required:
                _keep(nxt, used, value, (*picked, None))
            for text, weight, gain in options:
                if used + weight <= capacity:
                    _keep(nxt, used + weight, value + gain, (*picked, text))
        best = nxt
    reached = [state for state in best if state is not None]
    if not reached:
        return None
    value, picked = max(reached, key=lambda state: state[0])
    return value, list(picked)


def _keep(
    table: list[tuple[float, tuple[str | None, ...]] | None],
    at: int,
    value: float,
    picked: tuple[str | None, ...],
) -> None:
    current = table[at]
    if current is None or value > current[0]:
        table[at] = (value, picked)


def fit(slots: Sequence[Slot], budgets: Sequence[Budget], fits: Fits) -> str:
    """The slots' text in their preferred options when that ``fits``, else the most valuable
    choice within one of ``budgets``; ``""`` when nothing fits (or nothing is left)."""
    slots = [s for s in slots if s.options]
    preferred = _join(slots, [s.options[0] for s in slots])
    if fits(preferred):
        return preferred
    best_text, best_value = "", -1.0
    for budget in budgets:
        # The first separator is counted though never written; a text that still overflows
        # (SMS segment packing) is tried again with less room.
        capacity = budget.capacity + 2
        for _ in range(6):
            found = _best(slots, budget, capacity)
            if found is None:
                break
            value, picked = found
            text = _join(slots, picked)
            if fits(text) and budget.allowed(text):
                if text and value > best_value:
                    best_text, best_value = text, value
                break
            capacity -= max(1, budget.measure(text) - budget.capacity)
            if capacity <= 0:
                break
    return best_text
