"""Arc-routing moves that the node-based VRP search cannot make: reversing a stretch of services.

On an undirected road graph a stretch of services can be driven backwards with every service
flipped (tail ↔ head) at the same internal cost, so only its two end connections change. In the
generalised-VRP encoding a flipped service is a *different* client (the other member of the
edge's group), so PyVRP's operators would need one move per service to get there and never do.
Two move families, each evaluated for all positions at once with numpy:

* **reversal** (intra-route 2-opt with flip): ``… a [s_i … s_j] b …`` → ``… a [s_j' … s_i'] b …``;
* **cross with flip** (inter-route 2-opt* with flip): route X = P₁ S₁, route Y = P₂ S₂ become
  P₁ + flip(P₂)ᴿ and flip(S₁)ᴿ + S₂ — the head of X's prefix is joined to the head of Y's prefix.

Both are applied best-improvement until no move improves; capacities are kept.

On a mixed graph (one-way streets) a flipped stretch is no longer free inside: every deadheading
leg between two of its services — and, in a cross move, its leg to or from the depot — is driven
the other way round, ``SP(tail_k, head_{k-1})`` instead of ``SP(head_{k-1}, tail_k)``. The move values then add these differences (prefix sums, still
exact), and a stretch holding a one-way service cannot be flipped at all — such moves get the
value :data:`_BIG` and are never chosen. Without one-way edges both corrections are skipped.
"""

from __future__ import annotations

import numpy as np

from .instance import CarpInstance, Service

_BIG = np.iinfo(np.int64).max // 4


def _flip(seq: list[Service]) -> list[Service]:
    return [Service(s.edge, s.head, s.tail) for s in reversed(seq)]


class _Route:
    """A route's node arrays, with the depot at both ends: ``heads[k]`` is the node *before*
    position k (the depot for k = 0), ``tails[k]`` the node *at* position k (the depot for k = n);
    ``cut[k]`` the deadheading cost between them, ``loads[k]`` the demand of ``services[:k]``.

    Directed instances only (else None): ``flip[k]`` = Σ_{m ≤ k} ``SP(tails[m], heads[m]) − cut[m]``
    — what driving the legs 0…k backwards adds (legs 0 and n are the depot legs, reversed when a
    cross move turns a route's start or end part round) — and ``oneway[k]`` the number of
    one-way services in ``services[:k]``."""

    __slots__ = ("services", "heads", "tails", "cut", "loads", "flip", "oneway")

    def __init__(self, inst: CarpInstance, services: list[Service]):
        dep = inst.depot
        self.services = services
        self.heads = np.array([dep] + [s.head for s in services], dtype=np.intp)
        self.tails = np.array([s.tail for s in services] + [dep], dtype=np.intp)
        self.cut = inst.sp[self.heads, self.tails]
        self.loads = np.concatenate(
            ([0], np.cumsum([inst.edges[s.edge].demand for s in services], dtype=np.int64))
        )
        self.flip = self.oneway = None
        if inst.directed:
            self.flip = np.cumsum(inst.sp[self.tails, self.heads] - self.cut)
            fixed = [inst.edges[s.edge].oneway and s.tail != s.head for s in services]
            self.oneway = np.concatenate(([0], np.cumsum(fixed, dtype=np.int64)))


def best_reversal(inst: CarpInstance, r: _Route) -> tuple[int, int, int]:
    """Best (delta, i, j) for reversing services[i..j] with flip; delta ≥ 0: no improvement."""
    n = len(r.services)
    if n < 1:
        return 0, 0, 0
    d = inst.sp
    a, t = r.heads[:n], r.tails[:n]  # node before i, tail of s_i
    h, b = r.heads[1:], r.tails[1:]  # head of s_j, node after j
    delta = d[a[:, None], h] + d[t[:, None], b] - r.cut[:n, None] - r.cut[None, 1:]
    if r.flip is not None:  # directed: inner legs reversed; no one-way service may be flipped
        delta += r.flip[None, :n] - r.flip[:n, None]
        delta[(r.oneway[None, 1:] - r.oneway[:n, None]) > 0] = _BIG
    delta = np.triu(delta)  # only i <= j
    k = int(np.argmin(delta))
    i, j = divmod(k, n)
    return int(delta[i, j]), i, j


def best_cross(inst: CarpInstance, x: _Route, y: _Route) -> tuple[int, int, int]:
    """Best (delta, i, j) for the cross-with-flip move cutting X before position i and Y before
    position j (0 ≤ i ≤ |X|, 0 ≤ j ≤ |Y|): new X = X[:i] + flip(Y[:j]), new Y = flip(X[i:]) + Y[j:]."""
    d = inst.sp
    q = inst.capacity
    delta = d[x.heads[:, None], y.heads] + d[x.tails[:, None], y.tails]
    delta -= x.cut[:, None]
    delta -= y.cut[None, :]
    if x.flip is not None:  # directed: flip(X[i:]) and flip(Y[:j]) drive their legs backwards,
        # inner ones and the depot leg (X's legs i+1…n, Y's legs 0…j−1)
        delta += (x.flip[-1] - x.flip)[:, None] + (y.flip - np.diff(y.flip, prepend=0))[None, :]
        fixed = ((x.oneway[-1] - x.oneway)[:, None] > 0) | (y.oneway[None, :] > 0)
        delta[fixed] = _BIG
    lx, ly = x.loads, y.loads
    ok = (lx[:, None] + ly[None, :] <= q) & ((lx[-1] - lx)[:, None] + (ly[-1] - ly)[None, :] <= q)
    delta[~ok] = _BIG
    k = int(np.argmin(delta))
    i, j = divmod(k, len(y.services) + 1)
    return int(delta[i, j]), i, j


def improve(inst: CarpInstance, routes: list[list[Service]], max_rounds: int = 10_000) -> list[list[Service]]:
    """Apply the best improving reversal or cross-with-flip move until none improves. Move values
    are cached per route and per route pair; a move only re-evaluates what involves the two
    routes it changed."""
    routes_ = {k: _Route(inst, list(r)) for k, r in enumerate(routes) if r}
    rev: dict[int, tuple[int, int, int]] = {}
    cross: dict[tuple[int, int], tuple[int, int, int]] = {}
    next_id = len(routes_)
    for _ in range(max_rounds):
        for k, r in routes_.items():
            if k not in rev:
                rev[k] = best_reversal(inst, r)
        ids = sorted(routes_)
        for ai, a in enumerate(ids):
            for b in ids[ai + 1 :]:
                if (a, b) not in cross:
                    cross[(a, b)] = best_cross(inst, routes_[a], routes_[b])
        best_rev = min(rev.items(), key=lambda kv: kv[1][0], default=None)
        best_cross_ = min(cross.items(), key=lambda kv: kv[1][0], default=None)
        cand = []
        if best_rev and best_rev[1][0] < 0:
            cand.append((best_rev[1][0], "rev", best_rev))
        if best_cross_ and best_cross_[1][0] < 0:
            cand.append((best_cross_[1][0], "cross", best_cross_))
        if not cand:
            break
        _, kind, (key, (_, i, j)) = min(cand, key=lambda c: c[0])
        if kind == "rev":
            r = routes_.pop(key).services
            changed = {key: r[:i] + _flip(r[i : j + 1]) + r[j + 1 :]}
            old = {key}
        else:
            a, b = key
            x, y = routes_.pop(a).services, routes_.pop(b).services
            changed = {next_id: x[:i] + _flip(y[:j]), next_id + 1: _flip(x[i:]) + y[j:]}
            next_id += 2
            old = {a, b}
        rev = {k: v for k, v in rev.items() if k not in old}
        cross = {k: v for k, v in cross.items() if not (old & set(k))}
        for k, r in changed.items():
            if r:
                routes_[k] = _Route(inst, r)
    return [r.services for r in routes_.values()]
