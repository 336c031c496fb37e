"""The figures a Report carries only when they are asked for: a training step's, a language model's serving
figures, a run's budget. :mod:`cnncalc.report` gives each by name; this module is imported when one is
first used, so a summary of a network does not define them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Training:
    """One training step's figures (see :mod:`cnncalc.training`).

    FLOPs at the report's convention: the forward's, the backward's (input and
    weight gradients; frozen weights get none; with activation checkpointing,
    the recomputed forward too), and their sum. Bytes: what autograd keeps for
    the backward, the parameters (and float32 master weights), their gradients,
    the optimizer's state, and the peak of the step: parameters, buffers,
    gradients, optimizer state and the activations at their largest.
    """

    forward_flops: int
    backward_flops: int
    flops: int
    saved_activation_bytes: int
    param_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    peak_bytes: int
    buffer_bytes: int = 0  # in the peak beside the parameters
    activation_peak_bytes: int = 0  # the activations in the peak: at their largest, what autograd keeps included
    optimizer: str = "adam"
    optimizers: tuple[tuple[str, int], ...] = ()  # the state every optimizer would keep: (name, bytes)
    recompute: str = "none"
    unruled: tuple[tuple[str, int], ...] = ()  # kinds without a training rule (their backward is not counted)
    loss: str = "sum"  # the loss the step computes (cnncalc.loss): sum, cross_entropy, mse, none
    loss_note: str = ""  # how it is computed, for the footer


@dataclass(frozen=True, slots=True)
class LlmFigures:
    """A language model's serving figures (see :mod:`cnncalc.llm` for how each is counted).

    Bytes are at the report's dtype (weights at ``quantization`` when one is
    given); ``context`` is the positions a sequence holds at decode time.
    """

    active_params: int
    kv_cache_bytes_per_token: int
    kv_cache_bytes: int
    prefill_flops: int
    decode_flops_per_token: int | None
    context: int
    weight_bytes: int
    inference_bytes: int
    quantization: str | None = None
    notes: tuple[str, ...] = ()
    causal_half: bool = False  # the prefill counts only the query-key pairs a causal mask keeps


@dataclass(frozen=True, slots=True)
class Budget:
    """A run in FLOPs and time (see :mod:`cnncalc.budget`): a training run over ``tokens``, else one step.

    ``what`` is ``training run``, ``training step`` or ``forward``; ``flops`` its FLOPs at the
    report's convention; ``six_nd_flops`` the rule of thumb 6·N·D beside it (N =
    ``six_nd_params``); ``seconds`` at ``hardware``'s ``peak_flops`` (FLOP/s at ``dtype``)
    times ``mfu``.
    """

    what: str
    flops: int
    tokens: int | None = None
    tokens_per_step: int | None = None
    steps: float | None = None
    six_nd_flops: int | None = None
    six_nd_params: int | None = None
    hardware: str | None = None
    peak_flops: float | None = None
    mfu: float | None = None
    seconds: float | None = None
    dtype: str = "float32"
