"""The fairness sums of the spec, Σ (base + n)² over counts n that are sums of Booleans.

Two ways to their optimum. The band test (see `bands`) usually settles a sum with one
feasibility solve. When it fails, the sum is minimised in unary: n = u₁ + … + u_J with
uⱼ ⇒ uⱼ₋₁ and cost Σ (2(base + j) − 1)·uⱼ, which is (base + n)² − base², plus the
water-filling lower bound as a cut.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence

from ortools.sat.python import cp_model


def marginal(base: int, j: int) -> int:
    """(base + j)² − (base + j − 1)²."""
    return 2 * (base + j) - 1


class SquareSum:
    """Σ (base + n)² − base² over items (base, Boolean terms), as a linear expression."""

    def __init__(self, model: cp_model.CpModel, items: list[tuple[int, Sequence]]) -> None:
        self.model = model
        units, costs = [], []
        for base, terms in items:
            if not terms:
                continue
            chain = [model.new_bool_var("") for _ in terms]
            for prev, nxt in itertools.pairwise(chain):
                model.add_implication(nxt, prev)
            model.add(cp_model.LinearExpr.sum(list(terms)) == cp_model.LinearExpr.sum(chain))
            units += chain
            costs += [marginal(base, j) for j in range(1, len(chain) + 1)]
        self._expr = cp_model.LinearExpr.weighted_sum(units, costs)

    def expr(self) -> cp_model.LinearExprT:
        return self._expr


def water_fill(items: Sequence[tuple[int, int]], units: int) -> int:
    """The least Σ (base + n)² − base² over items (base, capacity) with Σ n = units, ignoring
    which meeting each unit comes from: a lower bound for every plan."""
    heap = [(marginal(base, 1), i, 1) for i, (base, size) in enumerate(items) if size > 0]
    heapq.heapify(heap)
    total = 0
    for _ in range(units):
        if not heap:
            break
        cost, i, j = heapq.heappop(heap)
        total += cost
        base, size = items[i]
        if j < size:
            heapq.heappush(heap, (marginal(base, j + 1), i, j + 1))
    return total


def bands(items: Sequence[tuple[int, int]], units: int) -> tuple[int, list[tuple[int, int]]]:
    """The least Σ (base + n)² − base² over items (base, capacity) with Σ n = units, and, per
    item, the range lo..hi its n may take in such a least allocation.

    For separable convex costs an allocation is least exactly when there is a threshold θ such
    that every unit given costs ≤ θ and every unit not given costs ≥ θ; so the least ones are
    precisely those with each n in its band and Σ n = units. If a plan's counts fit the bands,
    no plan does better, whatever else binds."""
    if units <= 0:
        return 0, [(0, 0)] * len(items)
    costs = sorted(marginal(base, j) for base, size in items for j in range(1, size + 1))
    threshold = costs[units - 1]
    out = []
    for base, size in items:
        below = sum(1 for j in range(1, size + 1) if marginal(base, j) < threshold)
        at = sum(1 for j in range(1, size + 1) if marginal(base, j) == threshold)
        out.append((below, below + at))
    return sum(costs[:units]), out


class Fairness:
    """One fairness sum of the spec, Σ (base + n)² over items whose counts n are sums of
    Booleans, the items falling into pools whose counts add up to a known number of seats.

    The cheap way to its optimum is the band test: if some plan has every count in its band
    (see `bands`), those plans are exactly the optimal ones, so the bands can simply become
    constraints. Only when no plan fits them is the sum minimised, through `squares()`."""

    def __init__(self, model: cp_model.CpModel, items: list, pools: list) -> None:
        """items: (key, base, terms); pools: (item indices, seats)."""
        self.model = model
        self.items = items
        self.constant = sum(base * base for _, base, _ in items)
        self.band = model.new_bool_var("")
        self.bound = 0  # on Σ (base + n)² − base²
        self.ranges: list[tuple[int, int]] = [(0, len(terms)) for _, _, terms in items]
        for indices, seats in pools:
            cost, ranges = bands([(items[i][1], len(items[i][2])) for i in indices], seats)
            self.bound += cost
            for i, (lo, hi) in zip(indices, ranges, strict=True):
                self.ranges[i] = (lo, hi)
                terms = items[i][2]
                if lo > 0:
                    model.add(cp_model.LinearExpr.sum(terms) >= lo).only_enforce_if(self.band)
                if hi < len(terms):
                    model.add(cp_model.LinearExpr.sum(terms) <= hi).only_enforce_if(self.band)
        self.pools = pools
        self.index = {key: i for i, (key, _, _) in enumerate(items)}
        self.banded = False
        self._squares: SquareSum | None = None

    def keep_bands(self) -> None:
        self.model.add_bool_and([self.band])
        self.banded = True

    def most(self, key) -> int:
        """An upper bound on an item's count in every plan still allowed."""
        i = self.index.get(key)
        if i is None:
            return 0
        return self.ranges[i][1] if self.banded else len(self.items[i][2])

    def squares(self) -> SquareSum:
        """The sum as an objective, with the water-filling lower bound added as a cut."""
        if self._squares is None:
            self._squares = SquareSum(self.model, [(base, terms) for _, base, terms in self.items])
            cut = sum(
                water_fill([(self.items[i][1], len(self.items[i][2])) for i in ix], seats)
                for ix, seats in self.pools
            )
            self.model.add(self._squares.expr() >= cut)
        return self._squares
