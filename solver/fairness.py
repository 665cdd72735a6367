"""Sums of squares, (base + n)², over counts n that are sums of Booleans, in a form the LP likes.

Each square is written in unary: n = u₁ + … + u_c + overflow, with uⱼ ⇒ uⱼ₋₁ and cost
Σ (2(base + j) − 1)·uⱼ, which is (base + n)² − base². Writing every count in full unary is
large at 500 people, so the unary part stops at a cap c near the water-filling level and the
overflow is priced at the next marginal cost. That price is exact for one unit of overflow and
too low beyond, so the cost is a relaxation that is exact wherever overflow ≤ 1; the caller
widens the encodings that overflow more and solves again.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model


def marginal(base: int, j: int) -> int:
    """(base + j)² − (base + j − 1)²."""
    return 2 * (base + j) - 1


@dataclass
class Square:
    base: int
    terms: Sequence[cp_model.IntVar]
    unary: list[cp_model.IntVar] = field(default_factory=list)
    overflow: cp_model.IntVar | None = None

    def cost(self) -> cp_model.LinearExprT:
        coeffs = [marginal(self.base, j) for j in range(1, len(self.unary) + 1)]
        lin = cp_model.LinearExpr.weighted_sum(self.unary, coeffs)
        if self.overflow is None:
            return lin
        return lin + marginal(self.base, len(self.unary) + 1) * self.overflow


class SquareSum:
    """Σ (base + n)² − base² over items, relaxed as described in the module docstring."""

    def __init__(self, model: cp_model.CpModel, items: list[tuple[int, list, int]]) -> None:
        """items: (base, Boolean terms, cap)."""
        self.model = model
        self.items = [Square(base, terms) for base, terms, _ in items if terms]
        caps = [cap for _, terms, cap in items if terms]
        for item, cap in zip(self.items, caps, strict=True):
            size = len(item.terms)
            c = max(1, min(size, cap))
            item.unary = self._chain(c, None)
            rest = cp_model.LinearExpr.sum(item.unary)
            if size > c:
                item.overflow = model.new_int_var(0, size - c, "")
                rest = rest + item.overflow
            model.add(cp_model.LinearExpr.sum(list(item.terms)) == rest)

    def _chain(self, length: int, after: cp_model.IntVar | None) -> list[cp_model.IntVar]:
        chain = [self.model.new_bool_var("") for _ in range(length)]
        for prev, nxt in zip([after, *chain], chain, strict=False):
            if prev is not None:
                self.model.add_implication(nxt, prev)
        return chain

    def expr(self) -> cp_model.LinearExprT:
        return cp_model.LinearExpr.sum([item.cost() for item in self.items])

    def widen(self, values: Sequence[int]) -> bool:
        """Give full unary to items whose overflow exceeds 1 in `values` (a solution by variable
        index). Returns whether any item changed, i.e. whether the relaxation may have been
        inexact for that solution."""
        changed = False
        for item in self.items:
            if item.overflow is not None and values[item.overflow.index] > 1:
                extra = self._chain(len(item.terms) - len(item.unary), item.unary[-1])
                self.model.add(item.overflow == cp_model.LinearExpr.sum(extra))
                item.unary += extra
                item.overflow = None
                changed = True
        return changed

    def freeze(self, value: int) -> None:
        """Keep this optimum in later stages: with overflow ≤ 1 the relaxed cost is exact."""
        self.model.add(self.expr() <= value)
        for item in self.items:
            if item.overflow is not None:
                self.model.add(item.overflow <= 1)


def water_fill(items: Sequence[tuple[int, int, int]], units: int) -> tuple[int, list[int]]:
    """Cheapest way to hand out `units` to items (base, capacity, cap) at the relaxed marginal
    costs of SquareSum, ignoring which meeting each unit comes from. Returns the cost (a lower
    bound for SquareSum.expr over every plan) and each item's final level base + n."""
    levels = [base for base, _, _ in items]
    heap = [(marginal(base, 1), i, 1) for i, (base, size, _) in enumerate(items) if size > 0]
    heapq.heapify(heap)
    total = 0
    for _ in range(units):
        if not heap:
            break
        cost, i, j = heapq.heappop(heap)
        base, size, cap = items[i]
        total += cost
        levels[i] += 1
        if j < size:
            heapq.heappush(heap, (marginal(base, min(j + 1, max(1, cap) + 1)), i, j + 1))
    return total, levels
