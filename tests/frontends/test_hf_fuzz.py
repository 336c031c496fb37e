"""Fuzzing the config front-end: real configs with keys dropped, renamed or given the wrong type.

Every mutation gives a report or a CnnCalcError, never another exception; when a key the
front-end reads is dropped or given a value of the wrong type, the message names that key.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hf_configs import config, names

import cnncalc

EXAMPLES = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WRONG = st.sampled_from(["4096", -1, 0, 1.5, [], {}, True, None, 10**30, "silu"])


NEEDED = ("hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size")  # every family reads these


@st.composite
def mutated(draw: st.DrawFn) -> tuple[dict, str, str, object]:
    data = dict(config(draw(st.sampled_from(names()))))
    key = draw(st.sampled_from(sorted(data)))
    how = draw(st.sampled_from(["drop", "rename", "wrong"]))
    value = None
    if how == "drop":
        del data[key]
    elif how == "rename":
        data[key + "_x"] = data.pop(key)
    else:
        value = data[key] = draw(WRONG)
    return data, key, how, value


@FUZZ
@given(mutated())
def test_a_mutated_config_gives_a_report_or_names_what_is_wrong(case):
    data, key, how, value = case
    try:
        report = cnncalc.from_hf_config(data, (1, 16))
    except cnncalc.CnnCalcError as e:
        text = str(e)
        if key == "model_type":
            assert "model_type" in text
        elif key in NEEDED and (how != "wrong" or not isinstance(value, int) or isinstance(value, bool)):
            assert f"'{key}'" in text  # a needed key that is missing or not a number is named
        return
    assert key not in NEEDED or (how == "wrong" and isinstance(value, int) and not isinstance(value, bool))
    assert report.totals.params > 0
    report.to_json()
