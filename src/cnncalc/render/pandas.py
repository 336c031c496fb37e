"""A pandas DataFrame: one row per layer, the JSON contract's keys as columns, raw numbers (``cnncalc[pandas]``).

The columns are exactly the keys of ``report.to_dict()["layers"]``, in that order, and each
cell is that row's value: integers stay exact (int64), shapes and inputs are lists, a
missing intensity (the input layer moves nothing) is NaN. The totals, the memory figures and
the conventions are in ``df.attrs`` under the JSON's own keys.

>>> from cnncalc import analyze
>>> df = to_pandas(analyze("input(32,32,3) -> conv(8, f=5) -> pool(2)"))
>>> df[["name", "params", "macs"]].values.tolist()   # (5·5·3 + 1)·8 = 608; 8·(5·5·3)·(28·28) = 470,400
[['input', 0, 0], ['conv', 608, 470400], ['pool', 0, 0]]
>>> df.attrs["totals"]["params"], df.attrs["convention"]
(608, 'seed')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.errors import SpecError
from cnncalc.render.json import as_dict
from cnncalc.report import Report

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def to_pandas(report: Report, by: str | None = None) -> pd.DataFrame:
    """The report's rows as a DataFrame (columns = the JSON layer keys); totals and conventions in ``df.attrs``.

    ``by`` (``kind`` or ``block``): the breakdown's rows instead, columns as its JSON keys.
    """
    try:
        import pandas as pd
    except ImportError:
        raise SpecError(
            "Report.to_pandas() needs pandas, which is not installed", hint="pip install cnncalc[pandas]"
        ) from None
    data = as_dict(report, by)
    layers = data.pop("layers")
    if by is not None:
        layers = data.pop("breakdown")["rows"]
    columns = list(layers[0]) if layers else []
    df = pd.DataFrame.from_records(layers, columns=columns)
    if "intensity" in df:
        df["intensity"] = df["intensity"].astype("float64")  # None (nothing moved) becomes NaN, numbers stay
    df.attrs.update(data)  # convention, layout, batch, totals (with memory), uncounted_ops, dtype
    return df
