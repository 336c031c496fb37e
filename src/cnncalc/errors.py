"""The errors cnncalc raises for user mistakes.

Every user mistake is a :class:`CnnCalcError`. It carries *where* (line and
column in a text, or the layer's index and label) and *why*, plus a hint, so
that the CLI can print it in one or two lines and callers never parse text.

Each is also the built-in exception of its kind, so ``except ValueError`` (a
value that is wrong) and ``except TypeError`` (an argument of the wrong type)
work as they do around any Python library:

>>> issubclass(SpecError, ValueError), issubclass(WrongTypeError, TypeError)
(True, True)
>>> str(LimitError("the table has 9,000 rows", limit="check_rows", cap=5000))
'the table has 9,000 rows, over the limit of 5,000 (check_rows); raise it with CNNCALC_LIMIT_CHECK_ROWS=N'
"""

from __future__ import annotations


class CnnCalcError(Exception):
    """Base class: something in the user's input is wrong."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        line: int | None = None,
        column: int | None = None,
        context: str | None = None,
        layer_index: int | None = None,
        layer_name: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line
        self.column = column
        self.context = context
        self.layer_index = layer_index
        self.layer_name = layer_name

    def where(self) -> str:
        """Where the mistake is, in words: 'line 2, column 5' or 'layer 4 conv(16, f=5)'."""
        if self.layer_index is not None:
            name = f" {self.layer_name}" if self.layer_name else ""
            return f"layer {self.layer_index}{name}"
        if self.line is not None:
            return f"line {self.line}, column {self.column}"
        return ""

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"; {self.hint}"
        if self.context:
            text += "\n" + self.context.rstrip("\n")
        return text

    def at_layer(self, index: int, name: str) -> CnnCalcError:
        """This error, placed at a layer (keeps any place it already has)."""
        if self.layer_index is None:
            self.layer_index = index
            self.layer_name = name
        return self


# Reading the architecture
class NotationSyntaxError(CnnCalcError, ValueError):
    """The text notation does not parse: a caret points at the place."""


class UnknownLayerError(CnnCalcError, ValueError):
    """A layer name that no kind or alias has; the hint suggests the nearest ones."""


class ArgumentError(CnnCalcError, ValueError):
    """A layer got an argument it does not take, or a value of the wrong kind."""


class SpecError(CnnCalcError, ValueError):
    """A spec file, an input shape or an option is malformed."""


class WrongTypeError(ArgumentError, TypeError):
    """A Python caller passed an argument of the wrong type: ``from_onnx(None)``, ``options='x'``."""


# Propagating shapes
class ShapeError(CnnCalcError, ValueError):
    """A layer cannot be applied to the shape it receives."""


# Bounds and the user's own code
class LimitError(CnnCalcError, ValueError):
    """An input would cost more than a named limit allows (:mod:`cnncalc.limits`); the message says how to raise it.

    ``limit`` is the limit's name, ``cap`` its value; ``raisable`` is False for a limit that protects the reader
    itself (then the message names the cap but no way around it).
    """

    def __init__(self, message: str, *, limit: str, cap: int, raisable: bool = True, **where: object) -> None:
        from cnncalc.limits import env_name

        self.limit = limit
        self.cap = cap
        text = f"{message}, over the limit of {cap:,} ({limit})"
        super().__init__(text, **where)  # type: ignore[arg-type]
        if raisable and self.hint is None:
            self.hint = f"raise it with {env_name(limit)}=N"


class UserCodeError(CnnCalcError, RuntimeError):
    """The user's own code (a model file, its constructor or forward) stopped with an error, an exit or an interrupt."""


def type_name(value: object) -> str:
    """A value's type in words for a message: 'None', 'a str', 'a list'.

    >>> type_name(None), type_name("x"), type_name(3.5)
    ('None', 'a str', 'a float')
    """
    if value is None:
        return "None"
    name = type(value).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def wrong_type(what: str, expected: str, value: object) -> WrongTypeError:
    """The error for a Python caller's argument of the wrong type, attrs-style.

    >>> str(wrong_type("options", "an Options", "x"))
    "'options' must be an Options (got 'x', a str)"
    """
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    got = "None" if value is None else f"{shown}, {type_name(value)}"
    return WrongTypeError(f"'{what}' must be {expected} (got {got})")
