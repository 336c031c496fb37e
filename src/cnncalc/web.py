"""Serve the built web page (``web/dist``: cnncalc itself running in the browser with Pyodide) on localhost.

The page is static: ``cd web && npm ci && npm run build`` writes ``web/dist`` in a clone of the
repository, and any static file server can serve it. ``cnncalc web`` finds it in this order:
``--dist PATH``, the ``CNNCALC_WEB_DIST`` environment variable, the ``web/dist`` folder of the
repository this package was installed from (an editable install or a run from the checkout),
then the clone the command runs in: ``dist`` in its ``web`` folder (where the README's build
leaves you) or ``web/dist`` at its root, so ``pip install .`` followed by the README's build
serves the page. A folder counts as a built page when it holds ``index.html`` (docs/web.md);
one found in the working folder must also hold what the build writes (``wheels/manifest.json``
and ``bridge.py``), so that no other ``dist`` is served by mistake.

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     _ = (pathlib.Path(d) / "index.html").write_text("<!doctype html>")
...     find_dist(d) == pathlib.Path(d).resolve()
True
"""

from __future__ import annotations

import os
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cnncalc.errors import SpecError

ENV = "CNNCALC_WEB_DIST"
REPOSITORY_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
BUILD_HINT = "build it in a clone of the repository with: cd web && npm ci && npm run build (or pass --dist PATH)"

# Types a browser insists on: module scripts need a JavaScript type, and WebAssembly.instantiateStreaming needs
# application/wasm; Python's own table lacks some of these on older versions.
TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
}


def _is_file(path: Path) -> bool:
    from cnncalc.frontends import path_kind

    return path_kind(path) == "file"


def is_cnncalc_page(folder: Path) -> bool:
    """Whether ``folder`` is the page ``npm run build`` writes: its index, its bridge, its wheels' manifest."""
    return all(_is_file(folder / name) for name in ("index.html", "bridge.py", "wheels/manifest.json"))


def in_a_clone(cwd: Path | None = None) -> Path | None:
    """The built page of the clone the command runs in: ``./dist`` inside its ``web`` folder, or ``./web/dist``."""
    here = Path.cwd() if cwd is None else cwd
    for folder in (here / "dist", here / "web" / "dist", here.parent / "web" / "dist"):
        if _is_file(folder.parent / "build.mjs") and is_cnncalc_page(folder):
            return folder.resolve()
    return None


def find_dist(path: str | os.PathLike[str] | None = None) -> Path:
    """The folder of the built page: ``path``, else ``$CNNCALC_WEB_DIST``, else the repository's ``web/dist``, else
    the clone's the command runs in."""
    if path is not None:
        where, origin = Path(path), "--dist"
    elif os.environ.get(ENV):
        where, origin = Path(os.environ[ENV]), ENV
    else:
        if _is_file(REPOSITORY_DIST / "index.html"):
            return REPOSITORY_DIST.resolve()
        found = in_a_clone()
        if found is not None:
            return found
        raise SpecError(
            "the web page is not built: no web/dist here (in a clone of cnncalc, or beside this installation)",
            hint=BUILD_HINT + "; then run cnncalc web in the clone",
        )
    if _is_file(where / "index.html"):
        return where.resolve()
    shown = str(where) if len(str(where)) <= 200 else str(where)[:197] + "..."
    raise SpecError(f"{shown} (from {origin}) holds no built page: no index.html there", hint=BUILD_HINT)


class Handler(SimpleHTTPRequestHandler):
    """Static files with the types browsers need, and no log line per request."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def make_server(dist: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A threaded HTTP server for ``dist`` on ``host:port`` (port 0: any free one); call ``serve_forever()``."""
    try:
        return ThreadingHTTPServer((host, port), partial(Handler, directory=str(dist)))
    except OSError as e:
        raise SpecError(f"cannot serve on {host}:{port}: {e.strerror or e}", hint="try another --port") from None


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"
