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


def label_score(ev: Label, layer: Row) -> float:
    """How well a label fits a layer: its own name or kind +3, the same family +2, a role 0, a clash −4 (−6 when
    the layer has no parameters, so no figure could speak for the pairing)."""
    if not ev.text.strip():
        return 0.0
    if ev.text.strip().lower() == layer.name.lower():
        return 3.0
    if ev.kind == "input" or (layer.kind == "input" and ev.kind is not None):
        return 3.0 if ev.kind == layer.kind else -6.0
    if ev.role:
        return 0.5 if ev.kind == layer.kind else 0.0
    if ev.kind is None:
        return 0.0
    if ev.kind == layer.kind:
        return 3.0
    if family(ev.kind) == family(layer.kind):
        return 2.0
    if family(ev.kind) == ACTIVATION_FAMILY and layer.params:
        return -1.0  # "Softmax" on the row of the dense layer that feeds it, as seed 001 writes it
    return -4.0 if layer.params else -6.0  # a "Flatten" row is not the relu the table left out


def align(
    scores: list[list[float]], layers: tuple[Row, ...], compatible: list[list[bool]]
) -> list[tuple[int | None, int | None]]:
    """The best monotone pairing of table rows to layers; ``None`` marks a row or a layer left unmatched.

    ``scores[i][j]`` is the evidence that row i is layer j (label and cells); ``compatible[i][j]``
    says whether a person could take row i for layer j when both are left over in the same place.
    """
    n, m = len(scores), len(layers)
    skip = [0.0 if r.kind == "input" else SKIPPED if not r.params else MISSING for r in layers]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[""] * (m + 1) for _ in range(n + 1)]
    for j in range(1, m + 1):
        best[0][j] = best[0][j - 1] + skip[j - 1]
        move[0][j] = "r"
    for i in range(1, n + 1):
        best[i][0] = best[i - 1][0] + EXTRA
        move[i][0] = "t"
        row_scores = scores[i - 1]
        prev, here = best[i - 1], best[i]
        for j in range(1, m + 1):
            d = prev[j - 1] + PAIR + row_scores[j - 1]
            t = prev[j] + EXTRA
            r = here[j - 1] + skip[j - 1]
            # on a tie, leave this layer out rather than pair it: the row then goes to the earlier layer,
            # as a person reading the table top down would pair it
            if r >= d and r >= t:
                here[j], move[i][j] = r, "r"
            elif d >= t:
                here[j], move[i][j] = d, "d"
            else:
                here[j], move[i][j] = t, "t"
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        mv = move[i][j]
        if mv == "d":
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif mv == "t":
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    pairs.reverse()
    return _pair_leftovers(pairs, scores, layers, compatible)


def _pair_leftovers(
    pairs: list[tuple[int | None, int | None]],
    scores: list[list[float]],
    layers: tuple[Row, ...],
    compatible: list[list[bool]],
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
        chosen = _best_matching(rows, free, scores, layers, compatible)
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
    rows: list[int], layers_left: list[int], scores: list[list[float]], layers: tuple[Row, ...], ok: list[list[bool]]
) -> list[tuple[int, int]]:
    """The order-keeping pairing of leftover rows and layers with the most pairs, then the best score."""
    n, m = len(rows), len(layers_left)
    big = 1000.0
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[""] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        move[i][0] = "t"
    for j in range(1, m + 1):
        move[0][j] = "r"
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            t, r = rows[i - 1], layers_left[j - 1]
            allowed = layers[r].params > 0 or ok[t][r]
            d = best[i - 1][j - 1] + big + scores[t][r] if allowed else float("-inf")
            options = [(d, "d"), (best[i - 1][j], "t"), (best[i][j - 1], "r")]
            best[i][j], move[i][j] = max(options, key=lambda o: o[0])
    chosen: list[tuple[int, int]] = []
    i, j = n, m
    while i and j:
        mv = move[i][j]
        if mv == "d":
            chosen.append((rows[i - 1], layers_left[j - 1]))
            i, j = i - 1, j - 1
        elif mv == "t":
            i -= 1
        else:
            j -= 1
    chosen.reverse()
    return chosen
