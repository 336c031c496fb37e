"""The web page in a real browser: Debian's chromium, driven by Playwright, against web/dist served on 127.0.0.1.

Every number on the page comes from cnncalc running in the browser (Pyodide); the test types
as a person would and reads the page. It needs the built page (``cd web && npm ci && npm run
build``) and ``/usr/bin/chromium``; ``.ci/run`` installs both, and under CI a missing one is a
failure, not a skip. Screenshots and the timings measured here go to ``web/test-output/``
(the timings are recorded, never asserted).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.web import make_server, url_of

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "web" / "dist"
OUT = REPO / "web" / "test-output"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEED_001 = (
    "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2)"
    " -> FC3(120) -> FC4(84) -> softmax(10)"
)
BOOT_MS = 60_000  # generous: a loaded 2-core machine; the time is recorded, not judged here


def _missing() -> str | None:
    if not (DIST / "index.html").is_file():
        return "web/dist is not built (cd web && npm ci && npm run build)"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


if _missing():
    reason = _missing()
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"the browser test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import BrowserContext, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = make_server(DIST, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url_of(server)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(timings: dict) -> Iterator[BrowserContext]:
    OUT.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="cnncalc-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS, viewport={"width": 1280, "height": 900}
        )
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)
    (OUT / "timings.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")


@pytest.fixture
def page(browser: BrowserContext, site: str) -> Iterator[Page]:
    """A fresh tab; every request it makes is checked to stay on the page's own server."""
    tab = browser.new_page()
    requests: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    tab.close()
    elsewhere = [u for u in requests if not u.startswith((site, "data:", "blob:"))]
    assert elsewhere == [], "the page fetched from elsewhere than its own server"
    assert errors == [], errors


def stats(page: Page) -> dict:
    return page.evaluate("JSON.parse(JSON.stringify(window.__cnncalc))")


def type_spec(page: Page, text: str) -> None:
    """Clear the editor and type ``text`` key by key, as a person would."""
    editor = page.locator("#spec")
    editor.click()
    editor.press("Control+a")
    editor.press("Delete")
    editor.press_sequentially(text)


def totals(page: Page) -> dict[str, str]:
    """The totals row by column title: {"Params": "62,958", ...}."""
    heads = page.locator("#report thead th").all_inner_texts()
    cells = page.locator("#report tfoot tr > *").all_inner_texts()
    return dict(zip(heads, cells))


def params_column(page: Page) -> list[str]:
    heads = page.locator("#report thead th").all_inner_texts()
    i = heads.index("Params") + 1
    return page.locator(f"#report tbody tr td:nth-child({i})").all_inner_texts()


def test_the_calculator_in_the_browser(page: Page, site: str, timings: dict):
    started = time.perf_counter()
    page.goto(site + "#spec=" + quote("input(8,8,1) -> fc(2)"))
    expect(page.locator("#report tfoot")).to_contain_text("130", timeout=BOOT_MS)  # (8·8·1 + 1)·2
    timings["first_table_s_from_goto"] = round(time.perf_counter() - started, 2)
    measured = stats(page)
    timings["first_table_ms_since_navigation"] = round(measured["firstTableMs"])
    timings["engine_boot_ms"] = round(measured["bootMs"])
    phases = measured["versions"]["phases"]
    assert phases["snapshot"] is True, phases.get("snapshotError")  # the built snapshot restored, not a cold start
    timings["engine_boot_phases_ms"] = {k: round(v) for k, v in phases.items() if k.endswith("Ms")}
    timings["engine"] = f"{measured['versions']['versions']}, Pyodide {measured['versions']['pyodide']}"

    # seed 001's LeNet, typed key by key: its table, 62,958 parameters
    type_spec(page, SEED_001)
    expect(page.locator("#report tfoot")).to_contain_text("62,958")
    assert params_column(page) == ["0", "608", "0", "3,216", "0", "48,120", "10,164", "850"]
    assert totals(page)["FLOPs"] == "1,700,608"  # seed convention: 2·849,320 MACs + 1,568 + 400 pooling outputs
    page.screenshot(path=str(OUT / "lenet.png"), full_page=True)

    # a misspelt layer: the error, located, in place of the table
    type_spec(page, "input(32,32,3) -> cnov(8, f=5)")
    error = page.locator("#error")
    expect(error).to_contain_text("did you mean conv")
    expect(error).to_contain_text("line 1, column 19")
    assert re.search(r"cnov\(8, f=5\)\n\s*\^", error.locator("pre").inner_text())
    expect(page.locator("#report")).to_be_hidden()
    page.screenshot(path=str(OUT / "error.png"), full_page=True)

    # another FLOPs convention: the numbers change (matmul counts 2·MACs only: 2·849,320)
    type_spec(page, SEED_001)
    expect(page.locator("#report tfoot")).to_contain_text("1,700,608")
    page.select_option("#flops", "matmul")
    expect(page.locator("#report tfoot")).to_contain_text("1,698,640")
    assert totals(page)["Params"] == "62,958"

    # a row's arithmetic: by click, and from the keyboard
    page.locator("#report tbody tr", has_text="CONV1").click()
    expect(page.locator("#explain")).to_contain_text("params = (5·5·3 + 1)·8 = 608")
    expect(page.locator("#explain")).to_contain_text("MACs = 8·(5·5·3)·(28·28) = 470,400")
    row = page.locator("#report tbody tr", has_text="CONV2")
    row.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#explain")).to_contain_text("params = (5·5·8 + 1)·16 = 3,216")
    page.keyboard.press("ArrowDown")
    page.keyboard.press(" ")
    expect(page.locator("#explain h2")).to_contain_text("POOL2")
    page.screenshot(path=str(OUT / "explain.png"), full_page=True)

    # the downloads are cnncalc's own CSV and JSON of the same network (computed here by CPython)
    expected = cnncalc.analyze(SEED_001, flops="matmul")
    with page.expect_download() as download:
        page.click("#download-csv")
    assert Path(download.value.path()).read_text(encoding="utf-8") == expected.to_csv()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [r["params"] for r in rows] == ["0", "608", "0", "3216", "0", "48120", "10164", "850"]
    with page.expect_download() as download:
        page.click("#download-json")
    assert json.loads(Path(download.value.path()).read_text(encoding="utf-8")) == json.loads(expected.to_json())
    with page.expect_download() as download:
        page.click("#download-markdown")
    assert Path(download.value.path()).read_text(encoding="utf-8") == expected.to_markdown()

    # the URL holds the spec and the options: a reload brings both back
    assert "spec=" in page.url and "flops=matmul" in page.url
    page.reload()
    expect(page.locator("#report tfoot")).to_contain_text("1,698,640", timeout=BOOT_MS)
    assert page.input_value("#spec") == SEED_001
    assert page.input_value("#flops") == "matmul"


def test_a_shared_link_opens_the_same_network(browser: BrowserContext, page: Page, site: str):
    link = site + "#spec=" + quote("input(28,28,1) -> conv(5, f=3) -> conv(5, f=3) -> fc(128) -> fc(10)") + "&batch=2"
    page.goto(link)
    # seed 000's network: 370,338 parameters; batch 2 doubles the FLOPs (2·(60,840 + 259,200 + 737,280 + 2,560))
    expect(page.locator("#report tfoot")).to_contain_text("370,338", timeout=BOOT_MS)
    assert totals(page)["FLOPs"] == f"{2 * (60_840 + 259_200 + 737_280 + 2_560):,}"
    assert page.input_value("#batch") == "2"


def test_resnet50_follows_each_keystroke(page: Page, site: str, timings: dict):
    text = zoo.model("resnet50").text  # what `cnncalc zoo resnet50 --show` prints
    page.goto(site + "#spec=" + quote(text))
    expect(page.locator("#report tfoot")).to_contain_text("25,557,032", timeout=BOOT_MS)  # torchvision's resnet50
    assert page.locator("#report tbody tr").count() == len(zoo.analyze("resnet50").rows)

    # Edit "classes=1000" key by key: 100, 10, 1, 10, 100, 1000 classes. Every state is a whole ResNet-50,
    # whose parameters are 25,557,032 - 2,049,000 (the 1000-way fc) + 2049·classes.
    end = text.index("classes=1000") + len("classes=1000")
    page.locator("#spec").evaluate("(el, at) => { el.focus(); el.setSelectionRange(at, at); }", end)
    keystrokes = []
    for key, classes in [("Backspace", 100), ("Backspace", 10), ("Backspace", 1), ("0", 10), ("0", 100), ("0", 1000)]:
        before = len(stats(page)["updates"])
        t0 = time.perf_counter()
        page.keyboard.press(key)
        expect(page.locator("#report tfoot")).to_contain_text(f"{25_557_032 - 2_049_000 + 2049 * classes:,}")
        wall_ms = (time.perf_counter() - t0) * 1000
        update = stats(page)["updates"][-1]
        assert len(stats(page)["updates"]) > before
        keystrokes.append(
            {
                "key": key,
                "classes": classes,
                "since_input_ms": round(update["sinceInputMs"]),  # input event -> table replaced, in the page
                "engine_ms": round(update["engineMs"]),  # cnncalc in the worker (parse, analyze, pack)
                "render_ms": round(update["renderMs"]),  # table, chart and explain in the DOM
                "wall_ms_seen_by_test": round(wall_ms),
            }
        )
    page.screenshot(path=str(OUT / "resnet50.png"))
    timings["resnet50_keystrokes"] = keystrokes
    since = [k["since_input_ms"] for k in keystrokes]
    timings["resnet50_keystroke_ms_median_max"] = [round(statistics.median(since)), max(since)]
    print("resnet50 keystroke updates (ms, input event to table):", since)


def test_readable_on_a_phone(page: Page, site: str):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site + "#spec=" + quote(SEED_001))
    expect(page.locator("#report tfoot")).to_contain_text("62,958", timeout=BOOT_MS)
    # the page itself never scrolls sideways: the wide table scrolls inside its own box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    font = page.locator("#report td").first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert font >= 12
    page.screenshot(path=str(OUT / "phone.png"), full_page=True)


def test_keyboard_alone_reaches_the_editor_the_options_and_the_rows(page: Page, site: str):
    page.goto(site + "#spec=" + quote(SEED_001))
    expect(page.locator("#report tfoot")).to_contain_text("62,958", timeout=BOOT_MS)
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        if reached[-1] == "TR":
            break
    assert {"preset", "spec", "flops", "layout", "dtype", "batch"} <= set(reached)
    assert reached[-1] == "TR"
    page.keyboard.press("Enter")
    expect(page.locator("#explain h2")).to_contain_text("1. input")
    # the focus ring is visible on the focused row
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def notes(page: Page) -> list[str]:
    return page.locator("#report .notes p").all_inner_texts()


def test_the_training_toggle_gives_the_clis_training_step(page: Page, site: str, cli):
    page.goto(site + "#spec=" + quote(SEED_001))
    expect(page.locator("#report tfoot")).to_contain_text("62,958", timeout=BOOT_MS)
    page.check("#train")
    page.select_option("#optimizer", "sgd")
    page.fill("#freeze", "CONV1")
    expect(page.locator("#report .notes")).to_contain_text("Training memory (sgd)")
    heads = page.locator("#report thead th").all_inner_texts()
    assert "Backward FLOPs" in heads and "Saved for backward" in heads
    # the same spec through the command line: its training lines are the page's, word for word
    result = cli("summary", SEED_001, "--train", "--optimizer", "sgd", "--freeze", "CONV1")
    assert result.exit_code == 0, result.output
    expected = [line for line in result.stdout.splitlines() if line.startswith(("Training step", "Training memory"))]
    assert len(expected) == 2 and all(line in notes(page) for line in expected)
    # and its per-layer backward FLOPs are the JSON report's
    report = json.loads(
        cli("summary", SEED_001, "--train", "--optimizer", "sgd", "--freeze", "CONV1", "-f", "json").stdout
    )
    i = heads.index("Backward FLOPs") + 1
    shown = page.locator(f"#report tbody tr td:nth-child({i})").all_inner_texts()
    assert shown == [f"{layer['backward_flops']:,}" for layer in report["layers"]]
    assert "train=1" in page.url and "optimizer=sgd" in page.url
    page.screenshot(path=str(OUT / "training.png"), full_page=True)


def test_units_and_language_model_presets(page: Page, site: str):
    page.goto(site + "#spec=" + quote(SEED_001))
    expect(page.locator("#report tfoot")).to_contain_text("62,958", timeout=BOOT_MS)
    page.select_option("#units", "auto")
    expect(page.locator("#report tfoot")).to_contain_text("1.70 M")  # 1,700,608 FLOPs, as the CLI's --units auto
    assert totals(page)["Params"] == "63.0 k"
    page.select_option("#preset", "llama2_7b")
    # Llama 2 7B served: bfloat16 at 4,096 positions, its 32 decoder layers one row
    expect(page.locator("#report tbody")).to_contain_text("decoder × 32", timeout=BOOT_MS)
    assert page.input_value("#dtype") == "bfloat16"
    assert "length=4096" in page.input_value("#spec")
    expect(page.locator("#report .notes")).to_contain_text("6,738,415,616 (6.74 G, 12.6 GiB at bfloat16)")


def test_every_mistake_reaches_the_page_as_one_message(page: Page, site: str):
    page.goto(site + "#spec=" + quote(SEED_001))
    expect(page.locator("#report tfoot")).to_contain_text("62,958", timeout=BOOT_MS)
    error = page.locator("#error")

    # the batch box read as the command line reads --batch (before: "the engine failed: Traceback..." for nan)
    for typed, says in (
        ("nan", "the batch must be a whole number (got 'nan')"),
        ("٣", "the batch must be a whole number written with the digits 0-9"),
        ("0", "the batch must be positive (got '0')"),
    ):
        page.fill("#batch", typed)
        expect(error).to_contain_text(says)
        expect(page.locator("#report")).to_be_hidden()
    page.fill("#batch", "1")
    expect(page.locator("#report tfoot")).to_contain_text("62,958")

    # a mistake in the spec is the spec's message (before: "the batch must be a whole number (got '1')")
    type_spec(page, "input(8) -> fc(nan)")
    expect(error).to_contain_text("fc(nan)")
    expect(error).not_to_contain_text("batch")
    for text in (error.inner_text(),):
        assert "Traceback" not in text and "Error" not in text and "engine failed" not in text

    # a network longer than the page analyses: said at once, counted before anything is parsed or analysed
    long_chain = "input(8) -> " + " -> ".join(["fc(8)"] * 100_000)
    page.goto(site + "#spec=" + quote(long_chain))
    expect(error).to_contain_text(
        "this network has 100,001 layers or more, over the limit of 10,000 (page_layers)", timeout=BOOT_MS
    )
    expect(error).to_contain_text("the command line up to 250,000")
