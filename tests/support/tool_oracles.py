"""The other tools themselves as oracles: each run on a real forward, giving its total and its figure per module.

Every function returns ``(total, per_module)``: the tool's own total, and a dict from a module's
path (``""`` for the model) to the figure the tool gives that module, its children's included:

- torchinfo: ``summary(...).total_mult_adds``; per leaf module, the sum of its calls' ``macs`` (the
  figures torchinfo prints; a module with modules inside it has none of its own);
- fvcore: ``FlopCountAnalysis.total()`` and ``by_module()``;
- ptflops: ``get_model_complexity_info`` (pytorch backend); per module its ``__flops__`` as its printed
  statistics accumulate them (divided by the batch), plus the patched functions it ran, which
  ptflops adds to its total only (this file notes the module each ran in);
- thop: ``profile(..., ret_layer_info=True)``;
- calflops: ``calculate_flops``; per module its ``__flops__`` summed over its subtree (as calflops
  prints them), and the MACs beside them.

Only the tools' public entry points run; their own per-module attributes are read before they are
removed, through one function of each tool's module replaced for the call.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Any

import pytest

torch = pytest.importorskip("torch")


def quiet(call: Any) -> Any:
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


def _paths(model: Any) -> dict[int, str]:
    return {id(m): p for p, m in model.named_modules(remove_duplicate=False)}


def torchinfo_run(model: Any, x: Any) -> tuple[int, dict[str, int]]:
    torchinfo = pytest.importorskip("torchinfo")
    summary = quiet(lambda: torchinfo.summary(model, input_data=[x], verbose=0, depth=99))
    paths = _paths(model)
    per: dict[str, int] = {}
    for layer in summary.summary_list:
        if layer.is_leaf_layer:
            path = paths[id(layer.module)]
            per[path] = per.get(path, 0) + layer.macs
    return summary.total_mult_adds, per


def fvcore_run(model: Any, x: Any) -> tuple[int, dict[str, int]]:
    fvcore = pytest.importorskip("fvcore.nn")
    analysis = fvcore.FlopCountAnalysis(model, (x,))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    return int(quiet(analysis.total)), {k: int(v) for k, v in quiet(analysis.by_module).items()}


def ptflops_run(model: Any, x: Any) -> tuple[int, dict[str, int]]:
    ptflops = pytest.importorskip("ptflops")
    from ptflops import pytorch_engine

    paths = _paths(model)
    stack: list[str] = []
    functional: list[tuple[tuple[str, ...], float]] = []  # each patched function's count, with the modules it ran in
    per: dict[str, int] = {}

    def pre(module: Any, args: Any) -> None:
        stack.append(paths.get(id(module), "?"))

    def post(module: Any, args: Any, out: Any) -> None:
        stack.pop()

    wrapper = pytorch_engine.torch_function_wrapper
    original_call = wrapper.__call__

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        before = len(self.collector)
        out = original_call(self, *args, **kwargs)
        if len(self.collector) > before:
            functional.append((tuple(stack), float(self.collector[-1])))
        return out

    def capture(flops_model: Any, *args: Any, **kwargs: Any) -> None:
        batch = flops_model.__batch_counter__

        def accumulate(m: Any) -> float:
            if pytorch_engine.is_supported_instance(m):
                return m.__flops__
            return sum(accumulate(c) for c in m.children())

        for path, m in flops_model.named_modules():
            per[path] = accumulate(m) / batch

    handles = [
        torch.nn.modules.module.register_module_forward_pre_hook(pre),
        torch.nn.modules.module.register_module_forward_hook(post),
    ]
    printer = pytorch_engine.print_model_with_flops
    pytorch_engine.print_model_with_flops = capture
    wrapper.__call__ = call
    try:
        macs, _ = quiet(
            lambda: ptflops.get_model_complexity_info(
                model,
                tuple(x.shape[1:]),
                as_strings=False,
                print_per_layer_stat=True,
                backend="pytorch",
                input_constructor=lambda _: x,
            )
        )
    finally:
        pytorch_engine.print_model_with_flops = printer
        wrapper.__call__ = original_call
        for h in handles:
            h.remove()
    for where, flops in functional:  # a function counts for every module it ran inside
        for path in {*where, ""}:
            per[path] = per.get(path, 0) + flops
    return macs, {k: int(v) for k, v in per.items()}


def thop_run(model: Any, x: Any) -> tuple[int, dict[str, int]]:
    thop = pytest.importorskip("thop")
    total, _, layers = quiet(lambda: thop.profile(model, inputs=(x,), verbose=False, ret_layer_info=True))

    def walk(tree: dict[str, Any], prefix: str = ""):
        for child, (ops, _params, below) in tree.items():
            path = f"{prefix}{child}"
            yield path, int(ops)
            yield from walk(below, path + ".")

    return int(total), {"": int(total), **dict(walk(layers))}


MACS: dict[int, tuple[int, dict[str, int]]] = {}
"""calflops' MACs beside its FLOPs, by the id of the model of its last run: the total and per module."""


def calflops_run(model: Any, x: Any) -> tuple[int, dict[str, int]]:
    calflops = pytest.importorskip("calflops")
    from calflops import calculate_pipline, utils

    per: dict[str, int] = {}
    macs: dict[str, int] = {}
    pipeline = calculate_pipline.CalFlopsPipline
    end = pipeline.end_flops_calculate

    def capture(self: Any) -> None:
        for path, m in self.model.named_modules():
            per[path] = int(utils.get_module_flops(m))
            macs[path] = int(utils.get_module_macs(m))
        end(self)

    pipeline.end_flops_calculate = capture
    try:
        flops, total_macs, _ = quiet(
            lambda: calflops.calculate_flops(
                model=model, args=[x], output_as_string=False, print_results=False, print_detailed=False
            )
        )
    finally:
        pipeline.end_flops_calculate = end
    MACS[id(model)] = (int(total_macs), macs)
    return int(flops), per


RUNS = {
    "torchinfo": torchinfo_run,
    "fvcore": fvcore_run,
    "ptflops": ptflops_run,
    "thop": thop_run,
    "calflops": calflops_run,
}


def tool_run(tool: str, model: Any, x: Any) -> tuple[int, dict[str, int]]:
    """The tool's total and per-module figures for ``model`` on the input ``x`` (a real forward, in eval mode)."""
    model.eval()
    return RUNS[tool](model, x)
