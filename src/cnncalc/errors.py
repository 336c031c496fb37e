"""The errors cnncalc raises for user mistakes.

Every user mistake is a :class:`CnnCalcError`. It carries *where* (line and
column in a text, or the layer's index and label) and *why*, plus a hint, so
that the CLI can print it in one or two lines and callers never parse text.
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
class NotationSyntaxError(CnnCalcError):
    """The text notation does not parse: a caret points at the place."""


class UnknownLayerError(CnnCalcError):
    """A layer name that no kind or alias has; the hint suggests the nearest ones."""


class ArgumentError(CnnCalcError):
    """A layer got an argument it does not take, or a value of the wrong kind."""


class SpecError(CnnCalcError):
    """A spec file, an input shape or an option is malformed."""


# Propagating shapes
class ShapeError(CnnCalcError):
    """A layer cannot be applied to the shape it receives."""
