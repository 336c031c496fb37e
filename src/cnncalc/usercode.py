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
import os
import sys
from collections.abc import Iterator, Sequence

from cnncalc.errors import CnnCalcError, UserCodeError

_HERE = os.path.dirname(os.path.abspath(__file__))  # cnncalc's own package: never the user's code


@contextlib.contextmanager
def user_code(what: str, *, file: str | None = None, skip: Sequence[str] = ()) -> Iterator[None]:
    """Run a block of the user's code: prints to stderr; exits, interrupts and exceptions as a UserCodeError.

    ``what`` says what was running ('importing model.py', 'the forward of Net'). An ordinary
    exception's own message is kept (it is the user's words); only its type is not shown when it is
    one of Python's, as ``failed: division by zero``. Given the ``file`` the code comes from, or the folders
    to ``skip`` (a framework's own), the message also says where: the innermost line of the user's code in
    the traceback (:func:`user_line`: of ``file``, else outside cnncalc and ``skip``). Front-ends that can
    say more (the module that ran) catch ``Exception`` themselves inside this block.
    """
    with contextlib.redirect_stdout(sys.stderr):
        try:
            yield
        except CnnCalcError:
            raise
        except SystemExit as e:
            raise UserCodeError(f"{what} stopped{_at(e, file, skip)}: it called sys.exit({e.code!r})") from None
        except KeyboardInterrupt as e:
            raise UserCodeError(f"{what} was interrupted{_at(e, file, skip)}") from None
        except GeneratorExit:
            raise
        except Exception as e:  # noqa: BLE001 - the user's code failed: say where, in its words
            raise UserCodeError(f"{what} failed{_at(e, file, skip)}: {described(e)}") from None
        except BaseException as e:  # noqa: BLE001 - the user's code: say what stopped it, in its words
            raise UserCodeError(f"{what} stopped{_at(e, file, skip)}: {described(e)}") from None


def _at(e: BaseException, file: str | None, skip: Sequence[str]) -> str:
    line = user_line(e, file, skip) if file or skip else ""
    return f" at {line}" if line else ""


def user_line(e: BaseException, file: str | None = None, skip: Sequence[str] = ()) -> str:
    """``model.py:13 (x = 1 / 0)``: where in the user's code ``e`` was raised, or '' when no frame is theirs.

    The innermost frame of ``file`` when it is named and in the traceback, else the innermost frame outside
    cnncalc, the folders in ``skip`` and Python's own frozen modules.

    >>> try:
    ...     1 / 0
    ... except ZeroDivisionError as e:
    ...     user_line(e)  # typed at a prompt: no file of the user's to point at
    ''
    """
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    folders = tuple(os.path.join(os.path.abspath(f), "") for f in (_HERE, *skip))
    wanted = [f for f in frames if file and os.path.abspath(f.filename) == os.path.abspath(file)]
    if not wanted:
        wanted = [f for f in frames if not os.path.abspath(f.filename).startswith(folders) and "<" not in f.filename]
    if not wanted:
        return ""
    f = wanted[-1]
    code = f" ({f.line.strip()})" if f.line else ""
    return f"{os.path.basename(f.filename)}:{f.lineno}{code}"


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
