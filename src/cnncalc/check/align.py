"""Which layer each table row is: the best alignment over the whole table.

A row is matched to a layer on everything it shows: the kind its label names
(``CONV1``, ``conv2d_1 (Conv2D)``, ``MaxPool2d-4``, ``Fully connected``), the numbers
written in it (a right figure is strong evidence, a nonzero count against a
parameter-free layer is evidence against), its shape, and the order of the rows.
A role word (Output, Output layer, Classifier, Hidden 2, Logits) names no kind, so
the numbers decide. Leaving out a layer without parameters (relu, dropout, pool,
flatten) costs almost nothing, so a table that lists only the layers the student
counts aligns to those; a table row that matches no layer costs more than a
pairing, and a row and a layer left over between the same two matched rows are
paired, so a row a person would match is never "missing" and "extra" at once.

>>> label_kind("conv2d_1 (Conv2D)"), label_kind("Fully connected"), label_kind("Hidden 2")
('conv', 'dense', None)
>>> is_role("Output layer"), is_role("Hidden 2"), is_role("CONV1")
(True, True, False)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from cnncalc.layers import REGISTRY, resolve
from cnncalc.report import Row

ROLE_WORDS = {
    "output",
    "out",
    "result",
    "classifier",
    "head",
    "hidden",
    "logits",
    "logit",
    "prediction",
    "predictions",
    "final",
    "top",
    "readout",
    "score",
    "scores",
}
INPUT_WORDS = {"input", "inputlayer", "inputs", "image", "data"}
ACTIVATION_FAMILY = "activation"

# Scores (a log-odds feel: a right nonzero figure is strong evidence, a label weaker, order is implicit)
PAIR = 1.0  # any pairing beats leaving both the row and the layer unmatched
EXTRA = -3.0  # a table row that matches no layer
MISSING = -2.0  # a layer with parameters that no row gives
SKIPPED = -0.3  # a layer without parameters left out (tables often list only the layers with weights)


@lru_cache(maxsize=4096)
def label_kind(label: str) -> str | None:
    """The layer kind a row label names (``CONV1 (f=5, s=1)`` → conv, ``MaxPool2d-4`` → maxpool), or None.

    Keras' ``name (ClassName)`` is read by its class; otherwise the words are read in
    order, two or three together first (``max pool``, ``batch norm``, ``fully connected``),
    each also without a trailing number (``FC3``, ``conv2d_1``).
    """
    text = re.sub(r"[*`$]", " ", label)
    m = re.search(r"\(\s*([A-Za-z][A-Za-z0-9_]*)\s*\)\s*$", text)
    if m:
        kind = _word_kind(m.group(1))
        if kind is not None:
            return kind
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    for i in range(len(words)):
        for n in (3, 2, 1):
            if i + n > len(words):
                continue
            kind = _word_kind("".join(words[i : i + n]))
            if kind is not None:
                return kind
    return None


def _word_kind(word: str) -> str | None:
    w = word.lower()
    for candidate in (w, re.sub(r"[_-]?\d+$", "", w), w.replace("_", ""), re.sub(r"[_-]?\d+$", "", w).replace("_", "")):
        if len(candidate) < 2:
            continue
        if candidate in INPUT_WORDS:
            return "input"
        if candidate in ROLE_WORDS and candidate not in ("output", "out", "result"):
            return None
        alias = resolve(candidate)
        if alias is not None:
            return alias.kind
    return None


@lru_cache(maxsize=4096)
def is_role(label: str) -> bool:
    """Whether a label names the layer's role rather than its kind: Output, Output layer, Classifier, Hidden 2."""
    words = re.findall(r"[A-Za-z]+", label.lower())
    return bool(words) and words[0] in ROLE_WORDS


def family(kind: str) -> str:
    k = REGISTRY.get(kind)
    return k.family if k else kind


@dataclass(frozen=True, slots=True)
class Label:
    """What a row's label says: the text, the kind it names (or None) and whether it is a role word."""

    text: str
    kind: str | None
    role: bool

    @classmethod
    def of(cls, text: str) -> Label:
        return cls(text, label_kind(text) if text.strip() else None, is_role(text))

    @property
    def key(self) -> str:
        """The text as a layer's name is compared with it."""
        return self.text.strip().lower()


def label_score(ev: Label, layer: Row, key: str | None = None, name: str | None = None) -> float:
    """How well a label fits a layer: its own name or kind +3, the same family +2, a role 0, a clash −4 (−6 when
    the layer has no parameters, so no figure could speak for the pairing).

    ``key`` and ``name`` are the label's key and the layer's name in lower case, when the caller has them.
    """
    key = ev.key if key is None else key
    if not key:
        return 0.0
    if key == (layer.name.lower() if name is None else name):
        return 3.0
    return kind_score(ev.kind, ev.role, layer.kind, layer.params > 0)


@lru_cache(maxsize=65536)
def kind_score(kind: str | None, role: bool, layer_kind: str, has_params: bool) -> float:
    """:func:`label_score` past the name: what the kind a label names says of a layer's kind."""
    if kind == "input" or (layer_kind == "input" and kind is not None):
        return 3.0 if kind == layer_kind else -6.0
    if role:
        return 0.5 if kind == layer_kind else 0.0
    if kind is None:
        return 0.0
    if kind == layer_kind:
        return 3.0
    if family(kind) == family(layer_kind):
        return 2.0
    if family(kind) == ACTIVATION_FAMILY and has_params:
        return -1.0  # "Softmax" on the row of the dense layer that feeds it, as seed 001 writes it
    return -4.0 if has_params else -6.0  # a "Flatten" row is not the relu the table left out


# The alignment's cost is bounded: a table and a network whose every row-layer pair fits in FULL_CELLS are
# aligned over all pairs; a larger one within a band around the diagonal the two sizes draw, BAND_CELLS pairs
# in all (the path a table takes through its network stays near that diagonal: rows follow the layers in order,
# leaving out some). Memory is one byte a pair in the band, time one score a pair.
FULL_CELLS = 2_000_000
BAND_CELLS = 2_000_000
BAND_MIN = 64  # the band's half-width at least: a table may leave out this many layers in a row, and more
GAP_CELLS = 1_000_000  # leftovers between two matched rows are paired by the best order-keeping matching up to this

Score = Callable[[int, int], float]
Fits = Callable[[int, int], bool]


def band(n: int, m: int) -> list[tuple[int, int]]:
    """For each of ``n + 1`` row counts, the layers ``(lo, hi)`` the alignment considers there.

    >>> band(2, 3)  # small: every pair
    [(0, 3), (0, 3), (0, 3)]
    >>> b = band(10_000, 10_000); b[5_000], len(b)
    ((4901, 5099), 10001)
    """
    if (n + 1) * (m + 1) <= FULL_CELLS:
        return [(0, m)] * (n + 1)
    half = max(BAND_MIN, BAND_CELLS // (2 * (n + 1)), -(-m // max(n, 1)))
    out = []
    for i in range(n + 1):
        centre = i * m // n if n else m
        out.append((max(0, centre - half), min(m, centre + half)))
    return out


D, T, R = 1, 2, 3  # a row paired with a layer; a row matching no layer; a layer left out


def align(n: int, layers: tuple[Row, ...], score: Score, compatible: Fits) -> list[tuple[int | None, int | None]]:
    """The best monotone pairing of ``n`` table rows to layers; ``None`` marks a row or a layer left unmatched.

    ``score(i, j)`` is the evidence that row i is layer j (label and cells); ``compatible(i, j)``
    says whether a person could take row i for layer j when both are left over in the same place.
    Both are asked only for the pairs the alignment considers (see :func:`band`).
    """
    m = len(layers)
    skip = [0.0 if r.kind == "input" else SKIPPED if not r.params else MISSING for r in layers]
    lanes = band(n, m)
    nothing = float("-inf")
    lo, hi = lanes[0]
    prev = [0.0] * (hi - lo + 1)  # best[0][j] for j in lo..hi: the first layers left out
    for j in range(lo + 1, hi + 1):
        prev[j - lo] = prev[j - 1 - lo] + skip[j - 1]
    moves: list[bytearray] = [bytearray([R]) * (hi - lo + 1)]
    prev_lo, prev_hi = lo, hi
    for i in range(1, n + 1):
        lo, hi = lanes[i]
        here = [nothing] * (hi - lo + 1)
        move = bytearray(hi - lo + 1)
        for j in range(lo, hi + 1):
            d = t = r = nothing
            if j and prev_lo <= j - 1 <= prev_hi:
                d = prev[j - 1 - prev_lo] + PAIR + score(i - 1, j - 1)
            if prev_lo <= j <= prev_hi:
                t = prev[j - prev_lo] + EXTRA
            if j > lo:
                r = here[j - 1 - lo] + skip[j - 1]
            # on a tie, leave this layer out rather than pair it: the row then goes to the earlier layer,
            # as a person reading the table top down would pair it
            if r >= d and r >= t and r > nothing:
                here[j - lo], move[j - lo] = r, R
            elif d >= t and d > nothing:
                here[j - lo], move[j - lo] = d, D
            else:
                here[j - lo], move[j - lo] = t, T
        moves.append(move)
        prev, prev_lo, prev_hi = here, lo, hi
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        mv = moves[i][j - lanes[i][0]] if i else R
        if not i or not j:
            mv = R if not i else T
        if mv == D:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif mv == T:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    pairs.reverse()
    return _pair_leftovers(pairs, score, layers, compatible)


def _pair_leftovers(
    pairs: list[tuple[int | None, int | None]], score: Score, layers: tuple[Row, ...], compatible: Fits
) -> list[tuple[int | None, int | None]]:
    """Between two matched rows, pair the rows left over with the layers left over, in order.

    A layer with parameters takes any leftover row there; one without takes only a row whose label
    does not name another kind (a "Flatten" row is not the relu that the table skipped).
    """
    out: list[tuple[int | None, int | None]] = []
    gap: list[tuple[int | None, int | None]] = []

    def flush() -> None:
        rows = [t for t, r in gap if r is None]
        free = [r for t, r in gap if t is None]
        if not rows or not free:
            out.extend(gap)
            return
        chosen = _best_matching(rows, free, score, layers, compatible)
        matched_rows = {t for t, _ in chosen}
        matched_layers = {r for _, r in chosen}
        merged = chosen + [(t, None) for t in rows if t not in matched_rows]
        merged += [(None, r) for r in free if r not in matched_layers]
        merged.sort(key=lambda p: (p[1] if p[1] is not None else _before(p[0], chosen), p[0] is not None))
        out.extend(merged)

    for p in pairs:
        if p[0] is not None and p[1] is not None:
            flush()
            gap = []
            out.append(p)
        else:
            gap.append(p)
    flush()
    return out


def _before(row: int | None, chosen: list[tuple[int, int]]) -> float:
    """Where an unmatched row sorts among the layers: just after the layer of the matched row before it."""
    earlier = [r for t, r in chosen if row is not None and t < row]
    return (max(earlier) + 0.5) if earlier else -0.5


def _best_matching(
    rows: list[int], layers_left: list[int], score: Score, layers: tuple[Row, ...], ok: Fits
) -> list[tuple[int, int]]:
    """The order-keeping pairing of leftover rows and layers with the most pairs, then the best score.

    A gap larger than GAP_CELLS pairs is paired in order instead, each row with the next layer it may be.
    """
    n, m = len(rows), len(layers_left)

    def allowed(t: int, r: int) -> bool:
        return layers[r].params > 0 or ok(t, r)

    if n * m > GAP_CELLS:
        chosen: list[tuple[int, int]] = []
        k = 0
        for t in rows:
            while k < m and not allowed(t, layers_left[k]):
                k += 1
            if k == m:
                break
            chosen.append((t, layers_left[k]))
            k += 1
        return chosen
    big = 1000.0
    nothing = float("-inf")
    prev = [0.0] * (m + 1)
    moves = [bytearray([R]) * (m + 1)]
    for i in range(1, n + 1):
        here = [0.0] * (m + 1)
        move = bytearray(m + 1)
        move[0] = T
        t = rows[i - 1]
        for j in range(1, m + 1):
            r = layers_left[j - 1]
            d = prev[j - 1] + big + score(t, r) if allowed(t, r) else nothing
            best, mv = d, D
            if prev[j] > best:
                best, mv = prev[j], T
            if here[j - 1] > best:
                best, mv = here[j - 1], R
            here[j], move[j] = best, mv
        moves.append(move)
        prev = here
    chosen = []
    i, j = n, m
    while i and j:
        mv = moves[i][j]
        if mv == D:
            chosen.append((rows[i - 1], layers_left[j - 1]))
            i, j = i - 1, j - 1
        elif mv == T:
            i -= 1
        else:
            j -= 1
    chosen.reverse()
    return chosen
