"""`cnncalc web`: finding the built page and serving it on localhost with the types browsers need."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from cnncalc.errors import SpecError
from cnncalc.web import ENV, find_dist, make_server, url_of


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html><title>cnncalc</title>", encoding="utf-8")
    (tmp_path / "app.mjs").write_text("export const x = 1;\n", encoding="utf-8")
    (tmp_path / "engine.wasm").write_bytes(b"\0asm\1\0\0\0")
    return tmp_path


def test_find_dist_takes_the_option_then_the_environment(dist: Path, tmp_path_factory, monkeypatch):
    assert find_dist(dist) == dist.resolve()
    monkeypatch.setenv(ENV, str(dist))
    assert find_dist() == dist.resolve()
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(SpecError, match="holds no built page.*npm ci && npm run build"):
        find_dist(empty)


def test_an_unbuilt_page_says_how_to_build_it(cli, tmp_path: Path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    result = cli("web", "--dist", str(tmp_path), "--no-open")
    assert result.exit_code == 2
    assert "cd web && npm ci && npm run build" in result.stderr


def test_the_server_sends_module_scripts_and_wasm_with_their_types(dist: Path):
    server = make_server(dist, port=0)
    import threading

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = url_of(server)
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url) as r:
            assert b"<title>cnncalc</title>" in r.read()
        with urllib.request.urlopen(url + "app.mjs") as r:
            assert r.headers["Content-Type"] == "text/javascript"
        with urllib.request.urlopen(url + "engine.wasm") as r:
            assert r.headers["Content-Type"] == "application/wasm"
    finally:
        server.shutdown()
        server.server_close()


def test_cnncalc_web_serves_until_stopped(dist: Path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "cnncalc", "web", "--dist", str(dist), "--port", "0", "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "serving the cnncalc page at http://127.0.0.1:" in line
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200 and b"cnncalc" in r.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_busy_port_is_a_clear_error(dist: Path):
    server = make_server(dist, port=0)
    try:
        with pytest.raises(SpecError, match="cannot serve on 127.0.0.1"):
            make_server(dist, port=server.server_address[1])
    finally:
        server.server_close()


def _built(folder: Path) -> Path:
    """A page as ``npm run build`` leaves it in a clone's web/ folder."""
    (folder / "web" / "dist" / "wheels").mkdir(parents=True)
    (folder / "web" / "build.mjs").write_text("// the build\n", encoding="utf-8")
    dist = folder / "web" / "dist"
    (dist / "index.html").write_text("<!doctype html><title>cnncalc</title>", encoding="utf-8")
    (dist / "bridge.py").write_text("# the bridge\n", encoding="utf-8")
    (dist / "wheels" / "manifest.json").write_text("{}\n", encoding="utf-8")
    return dist


def test_after_pip_install_the_page_is_found_in_the_clone_it_runs_in(tmp_path: Path, monkeypatch):
    # `pip install .` copies the package away from the clone: the repository's web/dist is not beside it. The
    # README then builds the page (cd web && npm ci && npm run build) and runs `cnncalc web` there.
    import cnncalc.web as web

    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(web, "REPOSITORY_DIST", tmp_path / "site-packages" / "web" / "dist")
    dist = _built(tmp_path / "clone")
    monkeypatch.chdir(tmp_path / "clone" / "web")  # where the README's `cd web && ... npm run build` leaves you
    assert find_dist() == dist.resolve()
    monkeypatch.chdir(tmp_path / "clone")  # or at the clone's root
    assert find_dist() == dist.resolve()
    monkeypatch.chdir(tmp_path)  # elsewhere: said, with how to build it
    with pytest.raises(SpecError, match="the web page is not built"):
        find_dist()


def test_a_dist_folder_that_is_not_the_page_is_not_served(tmp_path: Path, monkeypatch):
    import cnncalc.web as web

    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(web, "REPOSITORY_DIST", tmp_path / "nowhere")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("<!doctype html><title>another site</title>", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError, match="the web page is not built"):
        find_dist()
