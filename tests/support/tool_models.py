"""The models of torchinfo's, fvcore's and ptflops' own test suites, rebuilt in plain torch from their structure.

Each is a :class:`Case`: how to build the model, the example inputs its tool's test gives it, and the figures the
tool's test publishes (when it publishes any). The torch front-end's tests hold cnncalc to PyTorch itself on every
one (parameters to ``numel``, MACs to ``FlopCounterMode`` on a real forward on the same inputs, per module where
the tool shows per-module figures): ``tests/frontends/test_torch_tool_suites.py``.

The first group (``RAN_NOT``) did not run in cnncalc before it ran value-reading forwards for real, scripted
modules, 0-d inputs, lazy modules and modules without a forward; the others are a representative set of the rest.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

try:  # under pytest, skip cleanly without torch
    import pytest

    torch = pytest.importorskip("torch")
except ImportError:  # pragma: no cover
    import torch

import torch.nn.utils.prune  # noqa: E402 - the pruning case's module
from torch.distributions import Categorical, Normal  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence  # noqa: E402

nn = torch.nn
F = torch.nn.functional


@dataclass
class Case:
    """One test model: ``build()`` makes it, ``args()``/``kwargs()`` its example inputs (tensors, and values its
    forward takes as they are); ``params`` and ``macs`` are the tool's published figures, where its test states
    them and they count what PyTorch counts; ``fixed`` is False when which work runs depends on values the
    weights decide (then cnncalc counts one of the paths, see ``paths``)."""

    tool: str
    build: Callable[[], nn.Module]
    args: Callable[[], tuple[Any, ...]] = tuple
    kwargs: Callable[[], dict[str, Any]] = dict
    params: int | None = None
    macs: int | None = None
    fixed: bool = True
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _x(*size: int) -> Callable[[], tuple[torch.Tensor]]:
    return lambda: (torch.randn(*size),)


def _ids(*size: int, high: int = 10) -> Callable[[], tuple[torch.Tensor]]:
    return lambda: (torch.randint(0, high, size),)


# ---------------------------------------------------------------- torchinfo (tests/fixtures/models.py)


class LeNetLike(nn.Module):
    """torchinfo's SingleInputNet: two convolutions with max pools, dropout, two linear layers, log-softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.conv2_drop = nn.Dropout2d(0.3)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = F.relu(self.fc1(x.view(-1, 320)))
        return F.log_softmax(self.fc2(x), dim=1)


class TwoDtypes(nn.Module):
    """A float input and an integer input cast to float, each through two linear layers, then concatenated."""

    def __init__(self):
        super().__init__()
        self.fc1a, self.fc1b = nn.Linear(300, 50), nn.Linear(50, 10)
        self.fc2a, self.fc2b = nn.Linear(300, 50), nn.Linear(50, 10)

    def forward(self, x1, x2):
        a = self.fc1b(F.relu(self.fc1a(x1)))
        b = self.fc2b(F.relu(self.fc2a(x2.float())))
        return F.log_softmax(torch.cat((a, b), 0), dim=1)


class SeqLSTM(nn.Module):
    """Embedding, a two-layer LSTM over (length, batch), a linear decoder; returns the output and the state."""

    def __init__(self, vocab=20, dim=300, hidden=512, layers=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.encoder = nn.LSTM(dim, hidden, num_layers=layers)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, x):
        out, state = self.encoder(self.embedding(x))
        out = self.decoder(out)
        return out.view(-1, out.size(2)), state


class SameConvSixTimes(nn.Module):
    """One convolution applied six times in a loop (its parameters counted once)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(64, 64, 3, 1, 1)

    def forward(self, x, args1=None, args2=None):
        for _ in range(6):
            x = self.conv1(x)
        return x


class Siamese(nn.Module):
    """Two images through the same four convolutions and pools, their features' distance through two linears."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 64, 10), nn.Conv2d(64, 128, 7)
        self.conv3, self.conv4 = nn.Conv2d(128, 128, 4), nn.Conv2d(128, 256, 4)
        self.pooling = nn.MaxPool2d(2, 2)
        self.fc1, self.fc2 = nn.Linear(256, 4096), nn.Linear(4096, 1)
        self.dropout = nn.Dropout(0.5)

    def features(self, x):
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            x = self.pooling(F.relu(conv(x)))
        return self.fc1(x.view(x.size(0), -1))

    def forward(self, x1, x2):
        return torch.sigmoid(self.fc2(self.dropout(torch.abs(self.features(x1) - self.features(x2)))))


class DictOut(nn.Module):
    """A LeNet-like net that returns its activations in a dict, wrapped in a module that takes an unused input."""

    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 10, 5), nn.Conv2d(10, 20, 5)
            self.fc1, self.fc2 = nn.Linear(320, 50), nn.Linear(50, 10)

        def forward(self, x):
            out = {"conv1": self.conv1(x)}
            out["conv2"] = self.conv2(F.relu(F.max_pool2d(out["conv1"], 2)))
            out["fc1"] = F.relu(self.fc1(F.relu(F.max_pool2d(out["conv2"], 2)).view(-1, 320)))
            out["fc2"] = self.fc2(out["fc1"])
            out["output"] = F.log_softmax(out["fc2"], dim=1)
            return out

    def __init__(self):
        super().__init__()
        self.return_dict = DictOut.Inner()

    def forward(self, x, y):
        return self.return_dict(x)


class DictIn(nn.Module):
    """A dict of tensors (one in a list) and a scale as inputs."""

    def __init__(self):
        super().__init__()
        self.constant = 5

    def forward(self, x, scale_factor):
        return scale_factor * (x[256] + x[512][0]) * self.constant


class Choices(nn.Module):
    """A layer and an activation picked by name from ModuleDicts."""

    def __init__(self):
        super().__init__()
        self.choices = nn.ModuleDict({"conv": nn.Conv2d(10, 10, 3), "pool": nn.MaxPool2d(3)})
        self.activations = nn.ModuleDict({"lrelu": nn.LeakyReLU(), "prelu": nn.PReLU()})

    def forward(self, x, layer_type, activation_type):
        return self.activations[activation_type](self.choices[layer_type](x))


class Holder:
    """A plain object holding a tensor (an output no pytree knows)."""

    def __init__(self, tensors):
        self.tensors = tensors


class NestedOut(nn.Module):
    """Returns a dict of a tuple of a dict of a list of plain objects holding the output."""

    def __init__(self):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(10, 10), nn.Linear(10, 10)

    def forward(self, x):
        return {"foo": ({"bar": [Holder(F.softmax(self.lin2(self.lin1(x)), dim=0))]},)}


class IntHolding(int):
    """An int that holds a tensor: making it reads the tensor's value."""

    def __new__(cls, tensor):
        obj = super().__new__(cls, int(tensor.sum()))
        obj.tensor = tensor
        return obj


class IntOut(nn.Module):
    """Given an empty dict, makes its own input (ones) and returns an int holding the output (a custom object)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)

    def forward(self, input_list):
        x = input_list["foo"] if input_list else torch.ones(3)
        return {"foo": IntHolding(self.linear(x))}


class NamedTupleIn(nn.Module):
    """Two inputs and a named tuple of sizes: the sum of the first and a tensor of ones of a given size."""

    Point = namedtuple("Point", ["x", "y"])

    def forward(self, x, y, z):
        return self.Point(x, y).x + torch.ones(z.x)


class ReturnsWeight(nn.Module):
    """Ignores its input and returns its own parameter."""

    def __init__(self, input_size=8, attention_size=4):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(attention_size, input_size))

    def forward(self, x):
        return self.weight


class UnusedParameterList(nn.Module):
    """A ParameterList the forward never reads."""

    def __init__(self):
        super().__init__()
        self.weights = nn.ParameterList(nn.Parameter(w) for w in torch.empty(100, 300).split([100, 200], dim=1))

    def forward(self, x):
        return x


class Containers(nn.Module):
    """A ModuleList with a None in it, a child calling a Sequential whole and then its layers one by one."""

    class Child(nn.Module):
        def __init__(self):
            super().__init__()
            self._sequential = nn.Sequential(nn.Linear(5, 5), nn.Linear(5, 5))
            self._between = nn.Linear(5, 5)

        def forward(self, x):
            out = self._between(self._sequential(x))
            for layer in self._sequential:
                out = layer(out)
            out = self._sequential(x)
            for layer in self._sequential:
                out = layer(out)
            return out

    def __init__(self):
        super().__init__()
        self._layers = nn.ModuleList([nn.Linear(5, 5), Containers.Child(), nn.Linear(5, 5)])
        self._layers.append(None)

    def forward(self, x):
        for layer in self._layers:
            if layer is not None:
                x = layer(x)
        return x


class Unpooling(nn.Module):
    """Conv, max pool with indices, max unpool back to the size, conv."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU())
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, 2)
        self.decode = nn.Sequential(nn.Conv2d(16, 3, 3, padding=1), nn.ReLU())

    def forward(self, x):
        x = self.encoder(x)
        size = x.size()
        x, indices = self.pool(x)
        return self.decode(self.unpool(x, indices=indices, output_size=size))


class ScriptedParts(nn.Module):
    """torchinfo's PartialJITModel: a LeNet-like net whose two linear layers are scripted."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 10, 5), nn.Conv2d(10, 20, 5)
        self.conv2_drop = nn.Dropout2d(0.3)
        self.fc1 = torch.jit.script(nn.Linear(320, 50))
        self.fc2 = torch.jit.script(nn.Linear(50, 10))

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        return F.log_softmax(self.fc2(F.relu(self.fc1(x.view(-1, 320)))), dim=1)


class MLP(nn.Module):
    """torchinfo's LinearModel: three linear layers with ReLUs in a Sequential."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 1))

    def forward(self, x):
        return self.layers(x)


class HalfFrozen(nn.Module):
    """A scale and a shift, one trainable and one frozen."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(10), requires_grad=True)
        self.b = nn.Parameter(torch.empty(10), requires_grad=False)

    def forward(self, x):
        return self.w * x + self.b


class FrozenConvs(nn.Module):
    """Three 1x1 convolutions: trainable, half frozen (its bias), frozen; then dropout."""

    def __init__(self):
        super().__init__()
        self.fully_trainable = nn.Conv1d(1, 1, 1)
        self.partially_trainable = nn.Conv1d(1, 1, 1)
        self.partially_trainable.bias.requires_grad = False
        self.non_trainable = nn.Conv1d(1, 1, 1)
        self.non_trainable.weight.requires_grad = False
        self.non_trainable.bias.requires_grad = False
        self.dropout = nn.Dropout()

    def forward(self, x):
        return self.dropout(self.non_trainable(self.partially_trainable(self.fully_trainable(x))))


def reused_linear():
    """One Linear four times in a Sequential, with in-place ReLUs between."""
    linear = nn.Linear(10, 10)
    return nn.Sequential(*(m for _ in range(4) for m in (linear, nn.ReLU(True))))


def reused_relu():
    """A reflection pad, 1x1 convolutions with batch norms, one in-place ReLU module used after each."""
    act = nn.ReLU(True)
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(4, 1, 1), nn.BatchNorm2d(1), act]
    for i in range(3):
        layers += [nn.Conv2d(2**i, 2 ** (i + 1), 1, stride=2, padding=1), nn.BatchNorm2d(2 ** (i + 1)), act]
    return nn.Sequential(*layers)


class GatedBlocks(nn.Sequential):
    """A Sequential with a weight per block: x += w[k]·block(x), in place on its input."""

    def __init__(self, *blocks):
        super().__init__(*blocks)
        self.register_parameter("weights", nn.Parameter(torch.zeros(len(blocks))))

    def forward(self, x):
        for k, block in enumerate(self):
            x += self.weights[k] * block(x)
        return x


class MatrixNet(nn.Module):
    """A matrix and a bias as bare parameters (torch.mm), then an optional linear layer."""

    def __init__(self, input_dim=128, hidden_dim=64, output_dim=None):
        super().__init__()
        self.output_dim = output_dim
        self.a = nn.Parameter(torch.randn(input_dim, hidden_dim))
        self.b = nn.Parameter(torch.randn(hidden_dim))
        if output_dim is not None:
            self.fc2 = nn.Linear(hidden_dim, output_dim)

    def forward(self, x):
        h = torch.mm(x, self.a) + self.b
        return h if self.output_dim is None else self.fc2(h)


class Outer(nn.Module):
    """Parameters held by non-leaf modules: a scale in the outer module and in its inner one."""

    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.l_1 = nn.Linear(1, 1)
            self.param_1 = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return self.l_1(x) * self.param_1

    def __init__(self):
        super().__init__()
        self.l_0 = nn.Linear(2, 1)
        self.param_0 = nn.Parameter(torch.ones(2))
        self.inside = Outer.Inner()

    def forward(self, x):
        return self.inside(self.l_0(x)) * self.param_0


class DilatedBlocks(nn.Module):
    """Convolutions with 'same' padding and growing then shrinking dilations, picked by name from ModuleDicts."""

    def __init__(self):
        super().__init__()
        self.out_conv0, self.out_bn0 = nn.Conv2d(3, 8, 5, padding="same"), nn.BatchNorm2d(8)
        self.block0, self.block1 = nn.ModuleDict(), nn.ModuleDict()
        for i in range(1, 4):
            self.block0.add_module(f"in_conv{i}", nn.Conv2d(8, 8, 3, padding="same", dilation=2**i))
            self.block0.add_module(f"in_bn{i}", nn.BatchNorm2d(8))
        for i in range(4, 7):
            self.block1.add_module(f"in_conv{i}", nn.Conv2d(8, 8, 3, padding="same", dilation=2 ** (7 - i)))
            self.block1.add_module(f"in_bn{i}", nn.BatchNorm2d(8))
        self.out_conv7, self.out_bn7 = nn.Conv2d(8, 1, 1, padding="same"), nn.BatchNorm2d(1)

    def forward(self, x):
        x = torch.relu(self.out_bn0(self.out_conv0(x)))
        for block, ids in ((self.block0, range(1, 4)), (self.block1, range(4, 7))):
            for i in ids:
                x = torch.relu(block[f"in_bn{i}"](block[f"in_conv{i}"](x)))
        return torch.relu(self.out_bn7(self.out_conv7(x)))


class ConvList(nn.Module):
    """Five conv-ReLU-pool blocks in a ModuleList."""

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.relu, self.pool = nn.Conv1d(1, 1, 1), nn.ReLU(), nn.MaxPool1d(1)

        def forward(self, x):
            return self.pool(self.relu(self.conv(x)))

    def __init__(self):
        super().__init__()
        self.ml = nn.ModuleList(ConvList.Block() for _ in range(5))

    def forward(self, x):
        for layer in self.ml:
            x = layer(x)
        return x


class SharedActivation(nn.Module):
    """Three blocks of two linear layers each, all sharing one ReLU module."""

    class Block(nn.Module):
        def __init__(self, act):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(2))
            self.act = act

        def forward(self, x):
            for layer in self.layers:
                x = self.act(layer(x))
            return x

    def __init__(self):
        super().__init__()
        act = nn.ReLU()
        self.blocks = nn.ModuleList(SharedActivation.Block(act) for _ in range(3))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class TiedHead(nn.Module):
    """An embedding and an output head sharing one weight."""

    def __init__(self, vocab=1000, dim=64):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.embedding.weight

    def forward(self, x):
        return self.head(self.embedding(x))


class CellLoop(nn.Module):
    """An LSTMCell run four times from a random state, with a tanh, then optionally a projection."""

    def __init__(self, repeat_outside_loop=False):
        super().__init__()
        self.repeat_outside_loop = repeat_outside_loop
        self.lstm = nn.LSTMCell(3, 2)
        self.activation = nn.Tanh()
        self.projection = nn.Linear(2, 3)

    def forward(self, x):
        hx, cx = torch.randn(x.size(0), 2), torch.randn(x.size(0), 2)
        for _ in range(4):
            hx, cx = self.lstm(x, (hx, cx))
            hx = self.activation(hx)
        if self.repeat_outside_loop:
            hx = self.activation(self.projection(hx))
        return hx


class TensorKernel(nn.Module):
    """A convolution in a module that also holds its kernel size as a 0-d tensor attribute."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 1, kernel_size=3, padding=1)
        self.kernel_size = torch.tensor(3)

    def forward(self, x):
        return self.conv(x)


class TimesScalar(nn.Module):
    """A linear layer's output times a 0-d tensor input (a diffusion model's timestep)."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(10, 5)

    def forward(self, x, scalar_t):
        return self.linear(x) * scalar_t


class CategoricalOut(nn.Module):
    """Returns a torch.distributions.Categorical over log-softmax logits (which checks its argument's values)."""

    def __init__(self, input_dim=10, output_dim=5):
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim)
        self.log_softmax = nn.LogSoftmax(dim=-1)

    def forward(self, x):
        return Categorical(logits=self.log_softmax(self.linear(x)))


class NormalOut(nn.Module):
    """Returns a torch.distributions.Normal: a mean and a softplus scale from two linear layers."""

    def __init__(self, input_dim=10, output_dim=5):
        super().__init__()
        self.mean_layer = nn.Linear(input_dim, output_dim)
        self.std_layer = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        return Normal(loc=self.mean_layer(x), scale=F.softplus(self.std_layer(x)))


class PackedLSTM(nn.Module):
    """Token ids of sequences of given lengths packed (pack_padded_sequence) into an LSTM; its last state classified."""

    def __init__(self, vocab=60, dim=128, out=18, hidden=32):
        super().__init__()
        self.hidden = hidden
        self.embedding = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, num_layers=1)
        self.hidden2out = nn.Linear(hidden, out)
        self.dropout_layer = nn.Dropout(p=0.2)

    def forward(self, batch, lengths):
        h0 = torch.ones(1, batch.size(-1), self.hidden)
        c0 = torch.ones(1, batch.size(-1), self.hidden)
        packed = pack_padded_sequence(self.embedding(batch), lengths)
        _, (ht, _) = self.lstm(packed, (h0, c0))
        return F.log_softmax(self.hidden2out(self.dropout_layer(ht[-1])), dim=1)


PACKED_LENGTHS = [13, 12] + [11] * 8 + [10] * 14 + [9] * 14 + [8] * 9 + [7] * 19 + [6] * 26 + [5] * 20 + [4] * 16


class MadeInForward(nn.Module):
    """An uninitialised parameter that the forward replaces with a real one (128 values), returning its input."""

    def __init__(self):
        super().__init__()
        self.param = nn.UninitializedParameter()

    def forward(self, x):
        self.param = nn.Parameter(torch.zeros(128))
        return x


class LazyNet(nn.Module):
    """Lazy layers (sizes from the first input): LazyConv2d, LazyBatchNorm2d, LazyLinear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.LazyConv2d(8, 3)
        self.bn = nn.LazyBatchNorm2d()
        self.fc = nn.LazyLinear(10)

    def forward(self, x):
        return self.fc(torch.flatten(F.relu(self.bn(self.conv(x))), 1))


class NoInput(nn.Module):
    """A forward that takes no input and sums a tensor attribute (not a registered parameter)."""

    def __init__(self):
        super().__init__()
        self.parameter = torch.rand(3, 3, requires_grad=True)

    def forward(self):
        return {"loss": self.parameter.sum()}


class OneParameter(nn.Module):
    """A module without a forward, holding one parameter (torchinfo still lists it)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1024))


class ParameterAndConv(OneParameter):
    """A module without a forward, holding a parameter and a Conv2d."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)


def pruned_lenet():
    """LeNet-like with half of each conv's and linear's weights pruned (torch.nn.utils.prune: a forward pre-hook
    computes weight = weight_orig · weight_mask)."""
    model = LeNetLike()
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            torch.nn.utils.prune.l1_unstructured(m, "weight", 0.5)
    return model


def weight_normed():
    """Two linear layers under the old torch.nn.utils.weight_norm (a forward pre-hook computes w = g·v/‖v‖)."""
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    for i in (0, 2):
        torch.nn.utils.weight_norm(model[i])
    return model


# ---------------------------------------------------------------- fvcore (test_flop_count.py and the like)


class ConvPoolTwoLinear(nn.Module):
    """fvcore's ThreeNet: a 1x1 convolution, an adaptive average pool to 1x1, two linear layers."""

    def __init__(self, input_dim=2, conv_dim=5, linear_dim=3):
        super().__init__()
        self.conv = nn.Conv2d(input_dim, conv_dim, 1, 1)
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear1 = nn.Linear(conv_dim, linear_dim)
        self.linear2 = nn.Linear(linear_dim, 1)

    def forward(self, x):
        return self.linear2(self.linear1(torch.flatten(self.pool(self.conv(x)), 1)))


class OneConv(nn.Module):
    """One convolution of 1, 2 or 3 spatial axes, plain or transposed, grouped or not."""

    def __init__(self, nd, cin, cout, k, stride, padding, groups, transpose=False, output_padding=0):
        super().__init__()
        kinds = (
            [nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d]
            if transpose
            else [
                nn.Conv1d,
                nn.Conv2d,
                nn.Conv3d,
            ]
        )
        extra = {"output_padding": output_padding} if transpose else {}
        self.conv = kinds[nd - 1](cin, cout, k, stride, padding, groups=groups, **extra)

    def forward(self, x):
        return self.conv(x)


class Einsum(nn.Module):
    """torch.einsum of two inputs by an equation."""

    def __init__(self, equation):
        super().__init__()
        self.eq = equation

    def forward(self, x, y):
        return torch.einsum(self.eq, x, y)


class Matmul(nn.Module):
    """torch.matmul of two inputs (broadcasting)."""

    def forward(self, x, y):
        return torch.matmul(x, y)


class Bmm(nn.Module):
    """torch.bmm of two inputs."""

    def forward(self, x, y):
        return torch.bmm(x, y)


class LinearSigmoid(nn.Module):
    """fvcore's CustomNet: a linear layer and a sigmoid."""

    def __init__(self, input_dim=5, output_dim=4):
        super().__init__()
        self.conv = nn.Linear(input_dim, output_dim)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        return self.sigmoid(self.conv(x))


class NestedInner(nn.Module):
    """fvcore's NestedNetInnerModule: reshape, a 1-d convolution, flatten, 3·linear + 1."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 2, 1)
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        x = torch.flatten(self.conv(x.reshape(-1, 2, 5)), 1)
        return 3 * self.fc(x) + 1


class Nested(nn.Module):
    """fvcore's NestedNet: a 1-d convolution, flatten, a linear layer, the inner module, squared."""

    def __init__(self):
        super().__init__()
        self.submod = NestedInner()
        self.fc = nn.Linear(20, 10)
        self.conv = nn.Conv1d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.submod(self.fc(torch.flatten(self.conv(x), 1))) ** 2


# fvcore's published per-module MACs of NestedNet on (1, 4, 5) (it counts one multiply-add as one flop)
NESTED_MACS = {"": 20 * 10 + 5 * 3 * 4 * 4 + 10 * 10 + 5 * 2 * 2, "fc": 200, "conv": 240, "submod": 120}
NESTED_MACS |= {"submod.fc": 100, "submod.conv": 20}


class Unused(nn.Module):
    """Two linear layers and a third the forward never calls."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.unused = nn.Linear(10, 10), nn.Linear(10, 1), nn.Linear(20, 20)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Repeated(nn.Module):
    """One linear layer called three times, another twice."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(10, 10), nn.Linear(10, 10)

    def forward(self, x):
        for _ in range(3):
            x = self.fc1(x)
        for _ in range(2):
            x = self.fc2(x)
        return x


class OtherMethod(nn.Module):
    """A submodule whose own forward is the identity; the parent calls another of its methods, which runs a linear."""

    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(10, 1)

        def forward(self, x):
            return x

        def other_func(self, x):
            return self.fc(x)

    def __init__(self):
        super().__init__()
        self.submod = OtherMethod.Inner()
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        return self.submod.other_func(self.fc(x))


class SharedInner(nn.Module):
    """One linear layer held by two submodules, another under two names."""

    class Holder(nn.Module):
        def __init__(self, submod):
            super().__init__()
            self.submod = submod

        def forward(self, x):
            return self.submod(x)

    def __init__(self):
        super().__init__()
        inner = nn.Linear(10, 10)
        self.submod1, self.submod2 = SharedInner.Holder(inner), SharedInner.Holder(inner)
        multiname = nn.Linear(10, 1)
        self.multiname1, self.multiname2 = multiname, multiname

    def forward(self, x):
        x = self.submod1(x) + self.submod2(x)
        return self.multiname1(x) + self.multiname2(x)


class CallsItself(nn.Module):
    """A forward that calls the module itself three times over before its linear layer runs."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 1)

    def forward(self, x, count=3):
        if count > 0:
            return self(x, count - 1)
        return self.fc(x)


class ItemBranch(nn.Module):
    """fvcore's TraceWarningNet: a linear layer's value read with .item() decides whether a second one runs."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(10, 1), nn.Linear(10, 10)

    def forward(self, x):
        y = self.fc1(x).item()
        if y < 0.0:
            x = self.fc2(x)
        return x + 2


class _PassThrough(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return torch.ones_like(grad)


class AutogradFunction(nn.Module):
    """A custom autograd Function that returns its input."""

    def forward(self, x):
        return _PassThrough.apply(x)


def _square_matmul(x):
    return x @ x


class ScriptedFunction(nn.Module):
    """A function scripted inside the forward (torch.jit.script), run on x·x."""

    def forward(self, x):
        return torch.jit.script(_square_matmul)(x * x)


class TwoConvs(nn.Module):
    """fvcore's NetWithReuse: two 3x3 convolutions of 100 channels and no forward; ``reuse`` ties their weights."""

    def __init__(self, reuse=False):
        super().__init__()
        self.conv1 = nn.Conv2d(100, 100, 3)
        self.conv2 = nn.Conv2d(100, 100, 3)
        if reuse:
            self.conv2.weight = self.conv1.weight


class SmallConvNet(nn.Module):
    """fvcore's activation-count net: three 1x1 convolutions, strides 1, 2, 2."""

    def __init__(self, input_dim=3):
        super().__init__()
        self.conv1 = nn.Conv2d(input_dim, 8, 1, 1)
        self.conv2 = nn.Conv2d(8, 4, 1, 2)
        self.conv3 = nn.Conv2d(4, 2, 1, 2)

    def forward(self, x):
        return self.conv3(self.conv2(self.conv1(x)))


# ---------------------------------------------------------------- ptflops (tests/common_test.py)


class SelfMatmul(nn.Module):
    """x @ xᵀ of one input."""

    def forward(self, x):
        return x.matmul(x.t())


class Bilinear(nn.Module):
    """Bilinear interpolation to a size."""

    def __init__(self, size=(20, 20)):
        super().__init__()
        self.size = size

    def forward(self, x):
        return F.interpolate(input=x, size=self.size, mode="bilinear", align_corners=False)


def _lengths() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.ones(20, 128, dtype=torch.long), torch.tensor(PACKED_LENGTHS)


RAN_NOT: dict[str, Case] = {
    "torchinfo_pack_padded": Case("torchinfo", PackedLSTM, _lengths),
    "torchinfo_categorical_output": Case("torchinfo", CategoricalOut, _x(1, 10), params=55),
    "torchinfo_normal_output": Case("torchinfo", NormalOut, _x(1, 10), params=110),
    "torchinfo_int_output": Case("torchinfo", IntOut, kwargs=lambda: {"input_list": {}}),
    "torchinfo_jit": Case("torchinfo", lambda: torch.jit.script(MLP()), _x(64, 128)),
    "torchinfo_partial_jit": Case("torchinfo", ScriptedParts, _x(2, 1, 28, 28), params=21_840),
    "torchinfo_scalar_tensor_input": Case(
        "torchinfo", TimesScalar, lambda: (torch.rand(1, 10), torch.rand(())), params=55
    ),
    "torchinfo_uninitialized_parameter": Case("torchinfo", MadeInForward, _x(2, 2)),
    "torchinfo_single_parameter": Case("torchinfo", OneParameter),
    "torchinfo_parameter_and_conv": Case("torchinfo", ParameterAndConv),
    "torchinfo_empty_module": Case("torchinfo", NoInput, lambda: [], params=0),
    "torchinfo_lazy_layers": Case("torchinfo", LazyNet, _x(2, 3, 12, 12)),
    "fvcore_item_branch": Case("fvcore", ItemBranch, _x(1, 10), fixed=False),
    "fvcore_net_with_reuse": Case("fvcore", lambda: TwoConvs(reuse=True), params=90_200),
    "fvcore_net_without_reuse": Case("fvcore", TwoConvs, params=180_200),
}
"""The models that did not run at all before (a value read, a scripted module, a 0-d input, a lazy or uninitialised
parameter, a module without forward)."""

OTHERS: dict[str, Case] = {
    "torchinfo_single_input": Case("torchinfo", LeNetLike, _x(16, 1, 28, 28), params=21_840),
    "torchinfo_pruned": Case("torchinfo", pruned_lenet, _x(16, 1, 28, 28)),
    "torchinfo_multiple_input_dtypes": Case(
        "torchinfo", TwoDtypes, lambda: (torch.randn(1, 300), torch.randn(1, 300).long()), params=31_120
    ),
    "torchinfo_lstm": Case("torchinfo", SeqLSTM, _ids(1, 100, high=20)),
    "torchinfo_recursive": Case("torchinfo", SameConvSixTimes, _x(1, 64, 28, 28), params=36_928),
    "torchinfo_siamese": Case("torchinfo", Siamese, lambda: (torch.randn(1, 1, 88, 88), torch.randn(1, 1, 88, 88))),
    "torchinfo_return_dict": Case("torchinfo", DictOut, lambda: (torch.randn(1, 1, 28, 28), torch.randn(1, 12))),
    "torchinfo_dict_parameters": Case(
        "torchinfo",
        DictIn,
        kwargs=lambda: {"x": {256: torch.randn(10, 1), 512: [torch.randn(10, 1)]}, "scale_factor": 5},
    ),
    "torchinfo_module_dict_conv": Case(
        "torchinfo", Choices, _x(1, 10, 3, 3), lambda: {"layer_type": "conv", "activation_type": "lrelu"}
    ),
    "torchinfo_module_dict_pool": Case(
        "torchinfo", Choices, _x(1, 10, 3, 3), lambda: {"layer_type": "pool", "activation_type": "prelu"}
    ),
    "torchinfo_highly_nested_dict": Case("torchinfo", NestedOut, lambda: (torch.ones(10),)),
    "torchinfo_namedtuple": Case(
        "torchinfo",
        NamedTupleIn,
        lambda: (torch.randn(2, 1, 28, 28), torch.randn(2, 1, 28, 28)),
        lambda: {"z": NamedTupleIn.Point((2, 1, 28, 28), (2, 1, 28, 28))},
    ),
    "torchinfo_custom_parameter": Case("torchinfo", ReturnsWeight, _x(1)),
    "torchinfo_parameter_list": Case("torchinfo", UnusedParameterList, _x(100, 100)),
    "torchinfo_container": Case("torchinfo", Containers, _x(1, 5)),
    "torchinfo_autoencoder": Case("torchinfo", Unpooling, _x(1, 3, 64, 64)),
    "torchinfo_mixed_trainable_parameters": Case("torchinfo", HalfFrozen, _x(1, 10)),
    "torchinfo_trainable_column": Case("torchinfo", FrozenConvs, _x(1, 1, 1)),
    "torchinfo_too_many_linear": Case("torchinfo", reused_linear, _x(2, 10)),
    "torchinfo_too_many_relus": Case("torchinfo", reused_relu, _x(4, 4, 64, 64)),
    "torchinfo_register_parameter": Case(
        "torchinfo", lambda: GatedBlocks(nn.Linear(2, 2), nn.Linear(2, 2)), _x(1, 2), params=14
    ),
    "torchinfo_parameters_with_other_layers": Case("torchinfo", lambda: MatrixNet(128, 64, 32), _x(3, 128)),
    "torchinfo_nested_leftover_params": Case("torchinfo", Outer, _x(100, 2), params=8),
    "torchinfo_recursive_with_missing_layers": Case("torchinfo", DilatedBlocks, _x(2, 3, 32, 32)),
    "torchinfo_cnn_module_list": Case("torchinfo", ConvList, _x(1, 1, 10)),
    "torchinfo_shared_module_in_nested_list": Case("torchinfo", SharedActivation, _x(1, 4), params=120),
    "torchinfo_tied_weights": Case("torchinfo", TiedHead, _ids(2, 8, high=1000), params=64_000),
    "torchinfo_hide_recursive_layers": Case("torchinfo", lambda: CellLoop(True), _x(2, 3)),
    "torchinfo_tensor_kernel_size": Case("torchinfo", TensorKernel, _x(1, 1, 16)),
    "torchinfo_weight_norm": Case("torchinfo", weight_normed, _x(4, 16)),
    "fvcore_three_net": Case("fvcore", ConvPoolTwoLinear, _x(4, 2, 10, 10), macs=4 * 5 * 2 * 100 + 4 * 5 * 3 + 4 * 3),
    "fvcore_conv2d_grouped": Case("fvcore", lambda: OneConv(2, 10, 6, 3, 2, 1, 2), _x(5, 10, 15, 15)),
    "fvcore_conv1d": Case("fvcore", lambda: OneConv(1, 10, 3, 3, 1, 1, 1), _x(5, 10, 15)),
    "fvcore_conv3d_depthwise": Case("fvcore", lambda: OneConv(3, 8, 8, 3, 1, 1, 8), _x(2, 8, 7, 7, 7)),
    "fvcore_conv_transpose2d": Case("fvcore", lambda: OneConv(2, 10, 3, 3, 2, 1, 1, True, 1), _x(5, 10, 9, 9)),
    "fvcore_linear": Case("fvcore", lambda: nn.Linear(10, 20), _x(5, 10), macs=5 * 10 * 20),
    "fvcore_linear_3d": Case("fvcore", lambda: nn.Linear(10, 20), _x(5, 5, 10), macs=5 * 5 * 10 * 20),
    "fvcore_matmul": Case("fvcore", Matmul, lambda: (torch.randn(20, 10), torch.randn(10, 100)), macs=20 * 10 * 100),
    "fvcore_matmul_broadcast": Case(
        "fvcore", Matmul, lambda: (torch.randn(2, 20, 10), torch.randn(10, 100)), macs=2 * 20 * 10 * 100
    ),
    "fvcore_bmm": Case("fvcore", Bmm, lambda: (torch.randn(2, 5, 2), torch.randn(2, 2, 12)), macs=2 * 2 * 12 * 5),
    "fvcore_einsum": Case(
        "fvcore", lambda: Einsum("nct,ncp->ntp"), lambda: (torch.randn(1, 5, 2), torch.randn(1, 5, 12)), macs=120
    ),
    "fvcore_einsum_2": Case(
        "fvcore", lambda: Einsum("ntg,ncg->nct"), lambda: (torch.randn(1, 2, 6), torch.randn(1, 5, 6)), macs=60
    ),
    "fvcore_custom_net": Case("fvcore", LinearSigmoid, _x(10, 5)),
    "fvcore_batchnorm2d": Case("fvcore", lambda: nn.BatchNorm2d(10, affine=False), _x(10, 10, 5, 5)),
    "fvcore_nested_net": Case("fvcore", Nested, _x(1, 4, 5), macs=NESTED_MACS[""], extra={"per_module": NESTED_MACS}),
    "fvcore_unused_net": Case("fvcore", Unused, _x(1, 10)),
    "fvcore_repeated_net": Case("fvcore", Repeated, _x(1, 10), macs=5 * 100),
    "fvcore_non_forward_net": Case("fvcore", OtherMethod, _x(1, 10), macs=100 + 10),
    "fvcore_shared_module_net": Case("fvcore", SharedInner, _x(1, 10), macs=2 * 100 + 2 * 10),
    "fvcore_recursive_scope_net": Case("fvcore", CallsItself, _x(1, 10), macs=10),
    "fvcore_autograd_function": Case("fvcore", AutogradFunction, _x(4, 5)),
    "fvcore_scripted_function": Case("fvcore", ScriptedFunction, _x(5, 5), macs=125),
    "fvcore_small_conv_net": Case("fvcore", SmallConvNet, _x(1, 3, 32, 32)),
    "ptflops_conv": Case("ptflops", lambda: nn.Sequential(nn.Conv2d(3, 2, 3)), _x(1, 3, 224, 224), params=56),
    "ptflops_conv_t": Case("ptflops", lambda: nn.ConvTranspose2d(3, 2, 3, stride=(2, 2)), _x(1, 3, 224, 224)),
    "ptflops_fc": Case("ptflops", lambda: nn.Sequential(nn.Linear(3, 2)), _x(1, 3), params=8, macs=6),
    "ptflops_fc_multidim": Case(
        "ptflops", lambda: nn.Sequential(nn.Linear(3, 2, bias=False)), _x(1, 4, 5, 3), params=6, macs=6 * 4 * 5
    ),
    "ptflops_interpolate": Case("ptflops", Bilinear, _x(1, 3, 10, 10), params=0),
    "ptflops_ten_matmul": Case("ptflops", SelfMatmul, _x(1, 10), params=0, macs=10),
}
"""A representative set of the models that ran before too."""

CASES = {**RAN_NOT, **OTHERS}
