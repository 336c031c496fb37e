"""A language model's training step from its config.json, against the same step run by transformers.

The config front-end builds the network from the config alone; transformers builds the
model from the same config (random init, eager attention, batched experts) and PyTorch
runs a real forward and backward (``support.oracles.real_training``). Forward and
backward FLOPs under ``matmul`` and the gradients' bytes must be equal. (The bytes
autograd keeps depend on the attention and experts implementation transformers picks;
the config front-end counts cnncalc's kinds, docs/training.md.)
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from support.hf_models import SMALL, build  # noqa: E402
from support.oracles import real_training  # noqa: E402

import cnncalc  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")

CONFIGS = {
    "llama": dict(SMALL, model_type="llama"),
    "qwen2": dict(SMALL, model_type="qwen2"),
    "mixtral": dict(SMALL, model_type="mixtral", num_local_experts=4, num_experts_per_tok=2),
    "gpt2": dict(model_type="gpt2", vocab_size=64, n_embd=32, n_layer=2, n_head=4, n_positions=64),  # a tied head
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_training_step_from_a_config_equals_transformers(name):
    data = CONFIGS[name]
    t = cnncalc.from_hf_config(data, (2, 12), flops="matmul", train=True).training
    model = build(data, meta=False)
    real = real_training(model, input_ids=torch.randint(0, 64, (2, 12)), use_cache=False)
    assert (t.forward_flops, t.backward_flops, t.gradient_bytes) == (
        real.forward_flops,
        real.backward_flops,
        real.gradient_bytes,
    )
    assert t.unruled == ()
