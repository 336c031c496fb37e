"""Running the user's own code (a model file, its constructor and forward, a sweep's space function).

Whatever that code does, cnncalc keeps its word: its ``print`` goes to standard error (standard output
carries cnncalc's report, which a pipe or ``--format json`` reads), and an exit, an interrupt or any
other exception becomes one :class:`~cnncalc.errors.UserCodeError` saying what was running.

>>> import io, contextlib
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out), contextlib.suppress(UserCodeError):
...     with user_code("building Net()"):
...         print("hello from the model")
...         raise SystemExit(3)
>>> out.getvalue()
''
>>> try:
...     with user_code("building Net()"):
...         raise SystemExit(3)
... except UserCodeError as e:
...     print(e)
building Net() stopped: it called sys.exit(3)
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from cnncalc.errors import CnnCalcError, UserCodeError


@contextlib.contextmanager
def user_code(what: str) -> Iterator[None]:
    """Run a block of the user's code: prints to stderr; exits, interrupts and exceptions as a UserCodeError.

    ``what`` says what was running ('importing model.py', 'the forward of Net'). An ordinary
    exception's own message is kept (it is the user's words); only its type is not shown when it is
    one of Python's, as ``stopped: division by zero``. Front-ends that can say more (the line in the
    user's file) catch ``Exception`` themselves inside this block.
    """
    with contextlib.redirect_stdout(sys.stderr):
        try:
            yield
        except CnnCalcError:
            raise
        except SystemExit as e:
            raise UserCodeError(f"{what} stopped: it called sys.exit({e.code!r})") from None
        except KeyboardInterrupt:
            raise UserCodeError(f"{what} was interrupted") from None
        except GeneratorExit:
            raise
        except BaseException as e:  # noqa: BLE001 - the user's code: say what stopped it, in its words
            raise UserCodeError(f"{what} stopped: {described(e)}") from None


def described(e: BaseException) -> str:
    """An exception from the user's code in words: its message, and its class when the class is the user's own.

    >>> described(ZeroDivisionError("division by zero"))
    'division by zero'
    >>> class Refused(Exception): ...
    >>> described(Refused("no GPU"))
    'Refused: no GPU'
    >>> described(KeyError("units"))
    "'units'"
    """
    message = str(e).strip()
    builtin = type(e).__module__ == "builtins"
    if builtin:
        return message or f"an error without a message ({_words(type(e).__name__)})"
    return f"{type(e).__name__}: {message}" if message else type(e).__name__


def _words(name: str) -> str:
    """``ZeroDivisionError`` as 'zero division'."""
    import re

    core = re.sub(r"(Error|Exception)$", "", name)
    return " ".join(w.lower() for w in re.findall(r"[A-Z][a-z]*", core)) or name
