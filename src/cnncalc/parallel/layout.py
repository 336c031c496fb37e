"""A parallel layout: how one training or serving step is spread over many devices.

``"dp=8,zero=3,tp=4,sp,pp=4,microbatches=16,schedule=1f1b,ep=8,cp=2"`` reads as: 8 data-parallel replicas whose
model states are sharded as FSDP2 does (zero=3), each replica's layers split over 4 tensor-parallel ranks with
sequence parallelism in the norm regions, 4 pipeline stages fed 16 micro-batches by the 1F1B schedule, the experts
of a mixture spread over 8 ranks, and the sequence over 2 context-parallel ranks. The world is
``dp·tp·pp·cp`` ranks (here 256); ``ep`` is drawn from the data-parallel replicas, as Megatron and DeepSpeed-MoE do.

>>> layout = parse_layout("dp=4, zero=3, tp=2, sp")
>>> layout.world_size, layout.zero, layout.sp
(8, 3, True)
>>> str(layout)
'dp=4,zero=3,tp=2,sp'
>>> parse_layout("dp=nan")
Traceback (most recent call last):
    ...
cnncalc.errors.ArgumentError: --parallel dp must be a whole number (got 'nan')
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields, replace
from typing import Any

from cnncalc.errors import ArgumentError, wrong_type

SCHEDULES = ("gpipe", "1f1b", "interleaved")
# every word a layout takes, and the other names people write for it
WORDS = {
    "dp": ("data", "ddp", "fsdp"),
    "zero": ("zero_stage", "shard"),
    "tp": ("tensor", "mp"),
    "sp": ("sequence", "sequence_parallel"),
    "pp": ("pipeline", "stages"),
    "microbatches": ("mb", "micro_batches", "microbatch", "chunks", "n_microbatches"),
    "schedule": (),
    "vpp": ("virtual", "virtual_stages"),
    "ep": ("expert", "experts"),
    "cp": ("context", "context_parallel"),
}
_NAMES = {alias: word for word, aliases in WORDS.items() for alias in (word, *aliases)}
_SCHEDULE_NAMES = {"gpipe": "gpipe", "1f1b": "1f1b", "interleaved": "interleaved", "interleaved1f1b": "interleaved"}


@dataclass(frozen=True, slots=True)
class ParallelLayout:
    """The degrees of each kind of parallelism, checked (see :func:`parse_layout`).

    ``microbatches``: how many micro-batches each replica's share is cut into (gradient accumulation without a
    pipeline; the pipeline's micro-batches with one); ``vpp``: stages per pipeline rank (the interleaved schedule).
    """

    dp: int = 1
    zero: int = 0
    tp: int = 1
    sp: bool = False
    pp: int = 1
    microbatches: int = 1
    schedule: str = "1f1b"
    vpp: int = 1
    ep: int = 1
    cp: int = 1

    @property
    def world_size(self) -> int:
        """The ranks the layout needs: ``dp·tp·pp·cp`` (expert parallelism reuses the data-parallel ranks)."""
        return self.dp * self.tp * self.pp * self.cp

    def as_dict(self) -> dict[str, Any]:
        """Every degree by its word, as JSON writes the layout."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __str__(self) -> str:
        """The layout as it would be written, the degrees that are not 1 (``dp=8,zero=3,tp=4,sp``)."""
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "sp":
                parts += ["sp"] if value else []
            elif f.name == "schedule":
                parts += [f"schedule={value}"] if self.pp > 1 else []
            elif f.name == "zero":
                parts += [f"zero={value}"] if value else []
            elif value != 1:
                parts.append(f"{f.name}={value}")
        return ",".join(parts) or "dp=1"


def parse_layout(value: object, *, what: str = "--parallel") -> ParallelLayout:
    """A layout from its text (``"dp=8,zero=3,tp=4,sp,pp=4"``), a dict of the same words, or a ParallelLayout.

    Every degree is a positive whole number written with the digits 0-9 (``zero`` 0 to 3); a word twice, an
    unknown word, an empty item or a schedule without a pipeline is an error that names it.
    """
    if isinstance(value, ParallelLayout):
        return _checked(value, what)
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, str):
        items = []
        for raw in value.split(","):
            item = raw.strip()
            if not item:
                raise ArgumentError(f"{what} has an empty item (got {value!r})", hint='e.g. "dp=8,zero=3,tp=4,sp"')
            key, eq, text = item.partition("=")
            items.append((key.strip(), text.strip() if eq else True))
    else:
        raise wrong_type("parallel", 'a layout such as "dp=8,zero=3,tp=4", a dict or a ParallelLayout', value)
    given: dict[str, Any] = {}
    for key, text in items:
        word = _NAMES.get(key.lower().replace("-", "_"))
        if word is None:
            near = difflib.get_close_matches(key.lower(), list(_NAMES), n=2, cutoff=0.6)
            hint = f"did you mean {' or '.join(_NAMES[n] for n in near)}? " if near else ""
            raise ArgumentError(f"{what}: unknown word {key!r}", hint=f"{hint}the words are {', '.join(WORDS)}")
        if word in given:
            raise ArgumentError(f"{what} gives {word} twice")
        given[word] = text
    layout = ParallelLayout(**{word: _read(word, text, what) for word, text in given.items()})
    if "microbatches" not in given and layout.pp > 1:  # the least that keeps every stage busy
        layout = replace(layout, microbatches=layout.pp)
    if layout.schedule == "interleaved" and "vpp" not in given:
        layout = replace(layout, vpp=2)
    if "schedule" in given and layout.pp == 1:
        raise ArgumentError(f"{what}: schedule={layout.schedule} orders a pipeline's stages; it goes with pp=2 or more")
    return _checked(layout, what)


def _read(word: str, text: object, what: str) -> Any:
    """One degree's value, checked as a number entering cnncalc is."""
    from cnncalc.numbers import whole

    name = f"{what} {word}"
    if word == "sp":
        if text is True:
            return True
        flag = str(text).strip().lower()
        if flag in ("true", "yes", "on", "1"):
            return True
        if flag in ("false", "no", "off", "0"):
            return False
        raise ArgumentError(f"{name} is a flag: write sp, or sp=true / sp=false (got {text!r})")
    if text is True:
        raise ArgumentError(f"{name} needs a value, e.g. {word}={'1f1b' if word == 'schedule' else 2}")
    if word == "schedule":
        key = str(text).strip().lower().replace("-", "").replace("_", "")
        if key not in _SCHEDULE_NAMES:
            raise ArgumentError(f"{name}: unknown schedule {text!r} (choose {', '.join(SCHEDULES)})")
        return _SCHEDULE_NAMES[key]
    if isinstance(text, bool):
        raise ArgumentError(f"{name} must be a whole number (got {text!r})")
    if word == "zero":
        n = whole(text, name, minimum=0)
        if n > 3:
            raise ArgumentError(f"{name} is 0, 1, 2 or 3 (got {text!r})")
        return n
    return whole(text, name, minimum=1)


def _checked(layout: ParallelLayout, what: str) -> ParallelLayout:
    """The rules between the degrees, and each degree within the cap on ranks."""
    from cnncalc.limits import guard

    for f in fields(layout):
        value = getattr(layout, f.name)
        if f.name in ("sp", "schedule"):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if f.name == "zero" else 1):
            raise ArgumentError(f"{what} {f.name} must be a positive whole number (got {value!r})")
    guard("ranks", layout.world_size, f"{what} {layout} asks for {layout.world_size:,} ranks")
    guard("microbatches", layout.microbatches * layout.vpp, f"{what} asks for {layout.microbatches:,} micro-batches")
    if layout.schedule not in SCHEDULES:
        raise ArgumentError(f"{what}: unknown schedule {layout.schedule!r} (choose {', '.join(SCHEDULES)})")
    if layout.zero > 3:
        raise ArgumentError(f"{what} zero is 0, 1, 2 or 3 (got {layout.zero})")
    if layout.sp and layout.tp == 1:
        raise ArgumentError(f"{what}: sp splits the norm regions over the tensor-parallel ranks; it needs tp=2 or more")
    if layout.vpp > 1 and layout.schedule != "interleaved":
        raise ArgumentError(f"{what}: vpp={layout.vpp} virtual stages go with schedule=interleaved")
    if layout.pp > 1 and layout.schedule in ("1f1b", "interleaved") and layout.microbatches < layout.pp:
        raise ArgumentError(
            f"{what}: the {layout.schedule} schedule needs at least as many micro-batches as stages "
            f"(microbatches={layout.microbatches}, pp={layout.pp}), as torch.distributed.pipelining requires"
        )
    if layout.schedule == "interleaved" and layout.pp > 1:
        rounds = max(1, layout.microbatches // layout.pp)
        if layout.microbatches % rounds:
            raise ArgumentError(
                f"{what}: the interleaved schedule runs micro-batches in rounds of pp={layout.pp}; "
                f"microbatches={layout.microbatches} is not a multiple of its {rounds} rounds"
            )
    if layout.ep > 1 and layout.dp % layout.ep:
        raise ArgumentError(
            f"{what}: ep={layout.ep} spreads the experts over data-parallel replicas, so it must divide dp={layout.dp}"
        )
    return layout
