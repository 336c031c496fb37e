"""Training: what each kind's backward computes and what PyTorch's autograd saves for it.

One rule per kind, read by :func:`cnncalc.analyze` when a report is asked for with
``train=True``. A rule sees the node's arguments, its operands' shapes (per
sample, without the batch or other leading axes), which operands need a gradient
and whether its weights get one, and returns:

- the backward's multiply-accumulates: for a product ``C = A·B``, the gradient
  of ``A`` and the gradient of ``B`` each cost the forward's MACs (FlopCounterMode
  counts them so); a frozen weight computes no weight gradient, an operand that
  needs none no input gradient;
- what autograd keeps for the backward, as PyTorch does: an operand's storage,
  the output's, or a tensor kept for the backward only (batch norm's statistics,
  max pooling's int64 indices, dropout's mask), by its size and dtype.

A kind with no rule here is listed in the report, never counted as a silent zero.

>>> from cnncalc import analyze
>>> t = analyze("input(8,8,3) -> conv(4, f=3) -> relu -> fc(10)", train=True).training
>>> t.backward_flops   # conv: its weight's gradient only (its input needs none) 2·3,888; fc: both, 2·2·1,440
13536
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cnncalc.layers.binding import Args
from cnncalc.layers.calc import Shape, prod

if TYPE_CHECKING:
    from cnncalc.options import Options
    from cnncalc.report import Row, Totals
    from cnncalc.report_extras import Training

# bytes per element of each optimizer's state, per trainable parameter, in units of the parameter's own size
# (Adam's step counter is one float32 scalar per parameter tensor, added by the caller)
OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}
STEP_TENSOR_BYTES = 4  # torch.optim.Adam keeps state["step"] as a float32 scalar tensor per parameter tensor


@dataclass(frozen=True, slots=True)
class Saved:
    """A tensor autograd keeps: an operand's storage (``operand``), the output's (``output``), or one of its own.

    ``numel`` (per sample) and ``dtype`` (None: the activations' dtype) size a tensor of its own.
    """

    what: str
    operand: int = 0
    numel: int = 0
    dtype: str | None = None
    name: str = ""  # what a tensor of its own is (the batch statistics, the indices), for explain
    per_sample: bool = True  # False: one for the whole batch (batch norm's per-channel statistics)


@dataclass(frozen=True, slots=True)
class Pass:
    """What a node's backward sees: the kind's arguments, operand and output shapes per sample, and the gradients."""

    kind: str
    args: Args
    inputs: tuple[Shape, ...]
    output: Shape
    macs: int
    grads: tuple[bool, ...]
    weight: bool  # the weight (the first tensor it reads from the model) gets a gradient
    weights: tuple[bool, ...] = ()  # each of its tensors, weight first, gets a gradient
    repeat: int = 1  # how many times it runs: the batch, and a traced model's leading axes

    def grad(self, i: int) -> bool:
        return i < len(self.grads) and self.grads[i]

    @property
    def any(self) -> bool:
        """Whether any operand needs a gradient (the gradient flows through to the layers before)."""
        return any(self.grads)


@dataclass(frozen=True, slots=True)
class Backward:
    """A node's backward: its MACs per sample, how they are made, what it keeps, whether its output is new memory."""

    macs: int = 0
    formula: str = ""
    saves: tuple[Saved, ...] = ()
    new_storage: bool = False  # a view in inference that makes a tensor in training (dropout)


OUTPUT = Saved("output")


def operand(i: int) -> Saved:
    return Saved("operand", i)


def kept(numel: int, dtype: str | None = None, name: str = "", *, per_sample: bool = True) -> Saved:
    return Saved("kept", numel=numel, dtype=dtype, name=name, per_sample=per_sample)


Rule = Callable[[Pass], Backward]
RULES: dict[str, Rule] = {}


def rule(*kinds: str) -> Callable[[Rule], Rule]:
    """Register a backward rule for kinds; a kind given two rules raises at import."""

    def deco(fn: Rule) -> Rule:
        for kind in kinds:
            if kind in RULES:
                raise RuntimeError(f"kind {kind!r} has two training rules")
            RULES[kind] = fn
        return fn

    return deco


NOTHING = Backward()


def _products(p: Pass, weight_saves: tuple[Saved, ...]) -> Backward:
    """A layer with a weight (conv, dense): the input gradient and the weight gradient each cost the forward MACs."""
    parts = [("input", p.grad(0)), ("weight", p.weight)]
    macs = sum(p.macs for _, needed in parts if needed)
    formula = " + ".join(f"{p.macs:,} ({name} gradient)" for name, needed in parts if needed)
    return Backward(macs, formula, weight_saves)


@rule("conv", "depthwise", "convtranspose")
def conv(p: Pass) -> Backward:
    """Convolutions keep their input (for the weight gradient) whatever needs a gradient, as PyTorch does."""
    return _products(p, (operand(0),))


@rule("dense", "expertdense")
def dense(p: Pass) -> Backward:
    """A linear layer keeps its input only when its weight gets a gradient (``mm``/``addmm`` save conditionally);
    so do the expert layers of a mixture of experts, each routed copy through its expert's matrix."""
    return _products(p, (operand(0),) if p.weight else ())


@rule("matmul", "groupedmm")
def matmul(p: Pass) -> Backward:
    """``A·B``: A's gradient needs B, B's needs A; each costs the forward MACs."""
    macs = p.macs * (int(p.grad(0)) + int(p.grad(1)))
    saves = tuple(operand(i) for i, other in ((0, 1), (1, 0)) if p.grad(other))
    formula = " + ".join(f"{p.macs:,} ({name} gradient)" for name, i in (("left", 0), ("right", 1)) if p.grad(i))
    return Backward(macs, formula, saves)


@rule("sdpa")
def sdpa(p: Pass) -> Backward:
    """Attention as PyTorch's math kernel runs it: ``S = (q·s)(k·s)ᵀ``, ``P = softmax(S)``, ``O = P·v``.

    Kept: the scaled q and k (new tensors), P, v's storage, and with dropout its
    mask and the dropped P. Backward MACs: dS·k and dSᵀ·q for q and k, dO·vᵀ for P
    and Pᵀ·dO for v, each ``b·L·S·E`` or ``b·L·S·Ev``.
    """
    q, k, v = p.inputs[:3]
    e, length = q[0], prod(q[1:])
    keys, ev = prod(k[1:]), v[0]
    heads = p.args.int("heads")
    groups = heads if p.args.raw("kv_heads") is None else p.args.int("kv_heads")  # grouped-query: v shared
    scores = length * keys  # per head: the batch and the heads are leading axes, or heads= splits e
    qk, av = scores * e, scores * ev * heads // groups
    gq, gk, gv = p.grad(0), p.grad(1), p.grad(2)
    macs = qk * (int(gq) + int(gk)) + av * (int(gq or gk) + int(gv))
    probs = heads * scores
    saves: list[Saved] = []
    if gk:
        saves.append(kept(prod(q), name="q scaled"))
    if gq:
        saves.append(kept(prod(k), name="k scaled"))
    if gq or gk:
        saves.append(kept(probs, name="attention probabilities"))
    dropout = p.args.float("dropout", low=0.0, high=1.0)
    if dropout and (gq or gk):
        saves.append(kept(probs, name="dropout mask"))
    if gv and (dropout or not (gq or gk)):
        saves.append(kept(probs, name="probabilities times v"))
    if gq or gk:  # v (or the copy PyTorch makes of it), for P's gradient
        saves.append(kept(prod(v), name="v copied") if p.args.bool("copies_v") else operand(2))
    return Backward(macs, f"{qk:,}·{int(gq) + int(gk)} + {av:,}·{int(gq or gk) + int(gv)}", tuple(saves))


@rule("topk", "dispatch")
def routing(p: Pass) -> Backward:
    """A router's pick and the copies it routes: gradients are scattered back (no MACs); each keeps the int64
    indices of the picks, ``k·L``."""
    positions = prod(p.inputs[0][1:])
    return Backward(0, "", (kept(p.args.int("k") * positions, "int64", "indices"),))


@rule("rotary")
def rotary(p: Pass) -> Backward:
    """``x·cos + rotate_half(x)·sin``: its gradient is the same products (no MACs); the products keep the cos
    and sin tables of the positions, which the forward leaves out too (one pair for the whole model)."""
    return NOTHING


@rule("combine")
def combine(p: Pass) -> Backward:
    """The experts' outputs weighted and summed: the products' gradients need each other's operand, so it
    keeps both (no MACs)."""
    return Backward(0, "", tuple(operand(i) for i, other in ((0, 1), (1, 0)) if p.grad(other)))


@rule("nll")
def nll(p: Pass) -> Backward:
    """The negative log-likelihood (cross-entropy's second half) keeps the log-probabilities, the int64 targets
    and its total weight (a float32 scalar: how many targets count), as ``nll_loss_backward`` reads them."""
    return Backward(0, "", (operand(0), operand(1), kept(1, "float32", "total weight", per_sample=False)))


@rule("mse")
def mse(p: Pass) -> Backward:
    """The mean squared error keeps the prediction and the target (its gradient is ``2·(y − t)/n``)."""
    return Backward(0, "", (operand(0), operand(1)))


@rule("embedding")
def embedding(p: Pass) -> Backward:
    """A lookup: its weight's gradient scatters rows (no MACs); it keeps the int64 indices."""
    return Backward(0, "", (operand(0),) if p.weight else ())


@rule("batchnorm")
def batchnorm(p: Pass) -> Backward:
    """Batch norm keeps its input and two per-channel statistics (the batch mean and inverse deviation, float32)."""
    return Backward(0, "", (operand(0), kept(2 * p.output[0], "float32", "batch statistics", per_sample=False)))


def _rows(p: Pass) -> int:
    """How many vectors a layer norm normalises: the elements over the normalised size."""
    n = p.inputs[0][0] if p.args.raw("shape") is None else prod(_dims(p.args.raw("shape")))
    return prod(p.inputs[0]) // n


def _dims(shape: object) -> tuple[int, ...]:
    return shape if isinstance(shape, tuple) else (shape,)  # type: ignore[return-value]


@rule("layernorm")
def layernorm(p: Pass) -> Backward:
    """Layer norm keeps its input, and a mean and an inverse deviation per normalised vector (float32)."""
    return Backward(0, "", (operand(0), kept(2 * _rows(p), "float32", "statistics")))


@rule("rmsnorm")
def rmsnorm(p: Pass) -> Backward:
    """RMS norm as PyTorch runs it on the CPU: it keeps the input, the inverse RMS per vector, and x·rms."""
    return Backward(
        0, "", (operand(0), kept(_rows(p), "float32", "inverse RMS"), kept(prod(p.inputs[0]), name="x·rms"))
    )


@rule("groupnorm")
def groupnorm(p: Pass) -> Backward:
    """Group norm keeps its input and a mean and an inverse deviation per group (float32)."""
    return Backward(0, "", (operand(0), kept(2 * p.args.int("groups"), "float32", "statistics")))


@rule("instancenorm")
def instancenorm(p: Pass) -> Backward:
    """Instance norm keeps its input and a mean and an inverse deviation per channel (float32)."""
    return Backward(0, "", (operand(0), kept(2 * p.output[0], "float32", "statistics")))


# activations: which tensor PyTorch keeps, the output ("result") or the input ("self")
KEEPS_OUTPUT = {"relu", "sigmoid", "tanh", "softmax", "logsoftmax", "elu", "selu", "celu"}
KEEPS_INPUT = {"relu6", "hardtanh", "leakyrelu", "gelu", "silu", "mish", "hardsigmoid", "hardswish", "softplus"}


@rule(*KEEPS_OUTPUT)
def keeps_output(p: Pass) -> Backward:
    """Activations whose derivative reads their output (ReLU, sigmoid, tanh, softmax)."""
    if p.args.raw("units") is not None:
        return _with_dense(p, OUTPUT)
    return Backward(0, "", (OUTPUT,))


@rule(*KEEPS_INPUT)
def keeps_input(p: Pass) -> Backward:
    """Activations whose derivative reads their input (GELU, SiLU, ReLU6)."""
    if p.args.raw("units") is not None:
        return _with_dense(p, kept(prod(p.output), name="dense output"))
    return Backward(0, "", (operand(0),))


@rule("softsign")
def softsign(p: Pass) -> Backward:
    """softsign = x/(1 + |x|), run as three ops: it keeps x, 1 + |x| and its square's operand."""
    return Backward(
        0, "", (operand(0), kept(prod(p.inputs[0]), name="1 + |x|"), kept(prod(p.inputs[0]), name="(1 + |x|)²"))
    )


def _with_dense(p: Pass, own: Saved) -> Backward:
    """``softmax(10)``: a dense layer and then the activation."""
    dense_part = _products(p, (operand(0),) if p.weight else ())
    return Backward(dense_part.macs, dense_part.formula, (*dense_part.saves, own))


@rule("prelu")
def prelu(p: Pass) -> Backward:
    """PReLU keeps its input (and its slopes, a parameter)."""
    return Backward(0, "", (operand(0),))


@rule("maxpool", "adaptivemaxpool")
def maxpool(p: Pass) -> Backward:
    """Max pooling keeps its input and the int64 index of each output's maximum."""
    return Backward(0, "", (operand(0), kept(prod(p.output), "int64", "indices")))


@rule("avgpool")
def avgpool(p: Pass) -> Backward:
    """Average pooling keeps its input."""
    return Backward(0, "", (operand(0),))


@rule("adaptiveavgpool")
def adaptiveavgpool(p: Pass) -> Backward:
    """Adaptive average pooling keeps its input, except to one value per channel, which PyTorch runs as a mean."""
    return Backward(0, "", () if prod(p.output[1:]) == 1 else (operand(0),))


@rule("globalmaxpool")
def globalmaxpool(p: Pass) -> Backward:
    """Global max pooling (``amax``) keeps its input and its output."""
    return Backward(0, "", (operand(0), OUTPUT))


@rule("dropout")
def dropout(p: Pass) -> Backward:
    """Dropout in training makes a new tensor and keeps its mask (a float mask of the input's size, on the CPU)."""
    if not p.args.float("rate", low=0.0, high=1.0):
        return NOTHING
    return Backward(0, "", (kept(prod(p.inputs[0]), name="mask"),), new_storage=True)


# pointwise ops: what the backward of each reads
POINTWISE_KEEPS = {
    "mul": "products",
    "div": "quotient",
    "pow": "input",
    "abs": "input",
    "sqrt": "output",
    "rsqrt": "output",
    "exp": "output",
    "log": "input",
    "reciprocal": "output",
    "sin": "input",
    "cos": "input",
    "clamp": "input",
    "clamp_min": "input",
    "clamp_max": "input",
    "where": "condition",
    "masked_fill": "mask",
    "maximum": "both",
    "minimum": "both",
    "erf": "input",
    "tanh": "output",
    "sigmoid": "output",
}


@rule("elementwise", "mul")
def pointwise(p: Pass) -> Backward:
    """Pointwise ops: ``a·b`` keeps each operand the other's gradient needs; exp, sqrt keep their output."""
    op = "mul" if p.kind == "mul" else str(p.args.raw("op")).lower()
    keeps = POINTWISE_KEEPS.get(op, "")
    n = len(p.inputs)
    if keeps == "products":
        return Backward(0, "", tuple(operand(i) for i in range(n) if any(p.grad(j) for j in range(n) if j != i)))
    if keeps == "quotient":  # a/b: a's gradient needs b; b's needs a and b
        saves = ((operand(1),) if p.grad(0) or p.grad(1) else ()) + ((operand(0),) if p.grad(1) else ())
        return Backward(0, "", saves)
    return Backward(0, "", _keeps(keeps))


@rule("zero")
def zero(p: Pass) -> Backward:
    """``x.mul(0)`` by a number keeps nothing: its input's gradient is the incoming one times 0."""
    return NOTHING


def _keeps(keeps: str) -> tuple[Saved, ...]:
    return {
        "input": (operand(0),),
        "output": (OUTPUT,),
        "both": (operand(0), operand(1)),
        "condition": (operand(0),),
        "mask": (operand(1),),
    }.get(keeps, ())


@rule("reduce")
def reduce(p: Pass) -> Backward:
    """Sums and means keep nothing; top-k and max along an axis their int64 indices; variance its input;
    amax, norms and log-sum-exp their input and output."""
    op = str(p.args.raw("op")).lower()
    if op in ("sum", "mean", "cumsum"):
        return NOTHING
    if op in ("topk", "kthvalue", "max", "min"):
        return Backward(0, "", (kept(prod(p.output), "int64", "indices"),))
    if op in ("var", "std"):
        return Backward(0, "", (operand(0),))
    return Backward(0, "", (operand(0), OUTPUT))


@rule("sort")
def sort(p: Pass) -> Backward:
    """Sorting keeps the int64 permutation."""
    return Backward(0, "", (kept(prod(p.output), "int64", "permutation"),))


# what moving data keeps: the indices it moved by (operands after the first), or the source too
COPY_KEEPS = {
    "gather": (0, 1),
    "index_select": (1,),
    "index": "indices",
    "_unsafe_index": "indices",
    "scatter": (1,),
    "scatter_add": (1,),
    "index_put": "indices",
    "_index_put_impl": "indices",
    "masked_scatter": (1,),
    "embedding": (1,),
}


@rule("copy")
def copy(p: Pass) -> Backward:
    """Moving data keeps what its backward indexes by: gather its source and index, indexing its indices."""
    keeps = COPY_KEEPS.get(str(p.args.raw("op") or ""), ())
    if keeps == "indices":
        keeps = tuple(range(1, len(p.inputs)))
    return Backward(0, "", tuple(operand(i) for i in keeps if i < len(p.inputs)))  # type: ignore[union-attr]


# kinds whose backward does no multiply-accumulates and keeps nothing: moves, adds, shapes
for _kind in (
    "input output identity flatten reshape permute transpose select split expand concat channelshuffle pixelshuffle "
    "zeropad upsample add tensor constant posembedding classtoken globalavgpool cache".split()
):
    rule(_kind)(lambda p: NOTHING)


RECURRENT_GATES = {"lstm": 4, "gru": 3, "rnn": 1}
RECURRENT_STATES = {"lstm": 2, "gru": 1, "rnn": 1}  # h0 and c0, or h0


@rule("lstm", "gru", "rnn")
def recurrent(p: Pass) -> Backward:
    """LSTM, GRU and RNN as PyTorch runs them on the CPU, per layer and direction over L steps of h units.

    Backward MACs: the input weights' gradient ``L·G·h·in``, the recurrent weights'
    ``L·G·h·h``, the gradient through time ``(L − 1)·G·h·h``, and the input's
    ``L·G·h·in`` when it needs one; a layer whose weights are frozen and whose input
    needs no gradient does none of it. Kept, by a layer with a gradient to compute:
    7·L·h per direction for LSTM and GRU (the gates and states of each step),
    (L + 1)·h for an RNN, where the first step's state (h0, and c0) is one zero tensor for
    every layer and direction, kept whole once; for its weights' gradient, the first layer's input
    (a batch-first batch of several is first made time-major: a copy per
    direction), and each later layer's input.
    """
    d, length = p.inputs[0][0], prod(p.inputs[0][1:])
    h, layers = p.args.int("hidden"), p.args.int("num_layers")
    dirs = 2 if p.args.bool("bidirectional") else 1
    gates = RECURRENT_GATES[p.kind]
    flags = p.weights or (p.weight,)
    per_layer = max(1, len(flags) // layers)  # its tensors in PyTorch's order: layer by layer, direction by direction
    initial = RECURRENT_STATES[p.kind]  # the zero states of every layer and direction: one tensor each
    macs = 0
    saves: list[Saved] = []
    keeps_initial = False
    needs_input = p.grad(0)
    for layer in range(layers):
        trained = any(flags[layer * per_layer : (layer + 1) * per_layer]) if len(flags) > 1 else flags[0]
        n_in = d if layer == 0 else h * dirs
        per = gates * h
        step = length * per * n_in * int(trained) + length * per * h * int(trained)
        through = (length - 1) * per * h if (trained or needs_input) else 0
        into = length * per * n_in if needs_input else 0
        macs += dirs * (step + through + into)
        if trained or needs_input:  # a layer with no gradient to compute keeps nothing
            states = 7 * length * h - initial * h if p.kind != "rnn" else length * h
            saves.append(kept(dirs * states, name="gates and states"))
            keeps_initial = True
        if trained and layer == 0 and p.args.bool("batch_first") and p.repeat > 1:  # made time-major per direction
            saves += [kept(d * length, name="input, time-major")] * dirs
        elif trained and layer == 0:  # the input as it is
            saves.append(operand(0))
        elif trained:
            saves.append(kept(length * h * dirs, name="layer input"))
        needs_input = needs_input or trained  # the next layer's input comes from trainable weights
    if keeps_initial:
        saves.append(kept(initial * layers * dirs * h, name="initial states"))
    return Backward(macs, "", tuple(saves))


def optimizer_bytes(optimizer: str, trainable: int, tensors: int, state_bytes: int) -> int:
    """The optimizer's state: ``state_bytes`` per element per moment, and Adam's float32 step per tensor.

    SGD keeps nothing; SGD with momentum one buffer per parameter; Adam and AdamW
    two moments, and a step counter per parameter tensor.
    """
    moments = OPTIMIZER_STATE[optimizer]
    steps = tensors * STEP_TENSOR_BYTES if optimizer in ("adam", "adamw") else 0
    return moments * trainable * state_bytes + steps


@dataclass
class Ledger:
    """The backward's accounting while the nodes are walked: whose storage each output is, which are kept."""

    storage: dict[str, str | None] = field(default_factory=dict)  # node -> the node whose storage holds its output
    kept: set[str] = field(default_factory=set)  # the storages autograd keeps
    pinned: dict[str, int] = field(default_factory=dict)  # bytes of the tensors a node keeps of its own
    unruled: dict[str, int] = field(default_factory=dict)  # kinds without a training rule, and how often
    recompute: bool = False  # activation checkpointing of each block
    last: Any = None  # the last analysed node's forward steps, kind, Pass, Calc, repeat and figures (for its copies)
    rules: dict[str, Any] = field(default_factory=lambda: RULES)
    blocks: dict[str, int] = field(default_factory=dict)  # what each block would keep, recomputed in its backward
    block_nodes: dict[str, list[tuple[str, int, bool]]] = field(default_factory=dict)  # (node, forward FLOPs, own)
    block_saves: dict[str, set[str]] = field(default_factory=dict)  # the storages a block's backward needs
    composites: dict[str, tuple] = field(default_factory=dict)  # how to sum a composite's row again
    # what the parallel layer (cnncalc.parallel) reads to place each kept tensor on its rank
    keepers: dict[str, list[str]] = field(default_factory=dict)  # storage -> every node that keeps it, in order
    fixed: dict[str, int] = field(default_factory=dict)  # bytes of ``pinned`` kept once per batch (not per sample)
    inside: dict[str, int] = field(default_factory=dict)  # bytes a checkpointed node keeps while its block reruns


def step_peak(rows: list[Row], b: int, ledger: Ledger) -> int:
    """The most activation bytes alive during the forward of a training step.

    As in inference (:func:`cnncalc.memory.liveness`) a tensor lives
    until its last reader, except that what autograd keeps lives on into the
    backward, and the tensors nodes keep of their own accumulate.
    """
    from cnncalc.memory import liveness

    return liveness(rows, b, ledger.storage, ledger.kept, ledger.pinned)[1]


def train_totals(rows: list[Row], totals: Totals, opts: Options, b: int, ledger: Ledger) -> Training:
    """The step's figures from the nodes' rows: FLOPs, kept bytes, parameters, gradients, optimizer, peak.

    Mixed precision (``master_weights``): the parameters and gradients at the
    report's dtype, float32 master copies of the trainable parameters, and the
    optimizer's state in float32.
    """
    from cnncalc.report_extras import Training

    forward = totals.flops
    backward = sum(r.backward_flops for r in rows)
    trainable = totals.trainable_params
    tensors = sum(r.param_tensors for r in rows)
    master = opts.master_weights
    param_bytes = totals.params * b + (trainable * 4 if master else 0)
    gradient_bytes = trainable * b
    state = optimizer_bytes(opts.optimizer, trainable, tensors, 4 if master else b)
    saved = sum(r.saved_bytes for r in rows)
    activations = step_peak(rows, b, ledger)
    if ledger.blocks:  # in the backward, one block's forward runs again and keeps what it keeps
        activations = max(activations, saved + max(ledger.blocks.values()))
    buffers = totals.buffers * b
    peak = param_bytes + buffers + gradient_bytes + state + activations
    return Training(
        forward_flops=forward,
        backward_flops=backward,
        flops=forward + backward,
        saved_activation_bytes=saved,
        param_bytes=param_bytes,
        gradient_bytes=gradient_bytes,
        optimizer_bytes=state,
        peak_bytes=peak,
        buffer_bytes=buffers,
        activation_peak_bytes=activations,
        optimizer=opts.optimizer,
        optimizers=tuple((o, optimizer_bytes(o, trainable, tensors, 4 if master else b)) for o in OPTIMIZER_STATE),
        recompute=opts.recompute,
        unruled=tuple(sorted(ledger.unruled.items())),
    )
