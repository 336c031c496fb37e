// The page: the editor, options and URL on one side; cnncalc's table, a layer's arithmetic and a chart on the other.
// All numbers come from cnncalc running in worker.js; this file only lays them out.

const $ = (id) => document.getElementById(id);

const SEED_001 =
  "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2) -> FC3(120) -> FC4(84) -> softmax(10)";
// the defaults, left out of the URL
const OPTIONS = {
  flops: "seed",
  layout: "hwc",
  dtype: "float32",
  batch: "1",
  units: "raw",
  train: "",
  optimizer: "adam",
  freeze: "",
  recompute: "none",
};
const TRAINING = ["optimizer", "freeze", "recompute"]; // asked for only with the training toggle

function valueOf(id) {
  const node = $(id);
  return node.type === "checkbox" ? (node.checked ? "1" : "") : node.value;
}

function setValue(id, value) {
  const node = $(id);
  if (node.type === "checkbox") node.checked = Boolean(value);
  else node.value = value;
}
const DEBOUNCE_MS = 25; // after the last keystroke; a run in flight coalesces what comes meanwhile into one more

// What the page measured, for people and for the browser test: ms since navigation start, per-update timings.
const stats = (window.__cnncalc = { bootMs: null, firstTableMs: null, updates: [], versions: null });

// ---------------------------------------------------------------- the engine

const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
const pending = new Map();
let nextId = 1;

function call(op, args) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, op, args });
  });
}

worker.onmessage = (event) => {
  const { id, ok, result, error, ms } = event.data;
  if (id === 0) {
    if (ok) {
      const info = JSON.parse(result);
      stats.bootMs = ms;
      stats.versions = info;
      setStatus(`Ready in ${(ms / 1000).toFixed(1)} s: ${info.versions}, Pyodide ${info.pyodide}.`);
    } else {
      setStatus(`The Python engine did not load: ${error}`);
    }
    return;
  }
  const waiting = pending.get(id);
  pending.delete(id);
  if (ok) waiting.resolve({ result, ms });
  else waiting.reject(new Error(error));
};

function setStatus(text) {
  $("status").textContent = text;
}

// ---------------------------------------------------------------- state and the URL

function readState() {
  const state = { spec: $("spec").value };
  for (const key of Object.keys(OPTIONS)) state[key] = valueOf(key);
  for (const key of TRAINING) $(key).disabled = !state.train;
  return state;
}

let exerciseAsk = null; // the columns of an exercise the URL holds (#spec=...&ask=params,macs), or null

function writeURL(state) {
  const params = new URLSearchParams();
  params.set("spec", state.spec);
  for (const [key, value] of Object.entries(OPTIONS)) {
    if (String(state[key]) !== value) params.set(key, state[key]);
  }
  if (exerciseAsk) params.set("ask", exerciseAsk);
  history.replaceState(null, "", `#${params.toString()}`);
}

function readURL() {
  const params = new URLSearchParams(location.hash.slice(1));
  $("spec").value = params.has("spec") ? params.get("spec") : SEED_001;
  for (const [key, value] of Object.entries(OPTIONS)) setValue(key, params.get(key) ?? value);
  exerciseAsk = params.get("ask");
  if (exerciseAsk) $("ask").value = exerciseAsk;
}

// ---------------------------------------------------------------- updating as you type

let timer = null;
let running = false;
let again = false;
let lastInputAt = null;
let last = null; // the last good answer
let selected = null; // the chosen row's index

function schedule() {
  lastInputAt = performance.now();
  clearTimeout(timer);
  timer = setTimeout(update, DEBOUNCE_MS);
}

async function update() {
  if (running) {
    again = true;
    return;
  }
  running = true;
  const inputAt = lastInputAt;
  const state = readState();
  writeURL(state);
  try {
    const { result, ms } = await call("analyze", state);
    const answer = JSON.parse(result);
    const t0 = performance.now();
    if (answer.ok) showReport(answer);
    else showError(answer.error);
    if (answer.ok && $("table").value.trim()) gradeTable(); // a pasted table follows the network it is graded on
    const now = performance.now(); // the table (or the error) is in the page; the chart follows in the next frame
    if (answer.ok && stats.firstTableMs === null) stats.firstTableMs = now;
    stats.updates.push({
      ok: answer.ok,
      rows: answer.ok ? answer.rows.length : 0,
      engineMs: ms,
      renderMs: now - t0,
      sinceInputMs: inputAt === null ? null : now - inputAt,
    });
    $("report").dataset.updates = String(stats.updates.length);
  } catch (err) {
    showError({ text: err.message, context: "" }); // one line: the worker says what failed
  } finally {
    running = false;
    if (again) {
      again = false;
      update();
    }
  }
}

// ---------------------------------------------------------------- the table

function element(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

function showReport(answer) {
  last = answer;
  const hadFocus = document.activeElement && document.activeElement.closest && document.activeElement.closest("#report tbody tr");
  const focusIndex = hadFocus ? Number(document.activeElement.dataset.index) : null;

  const table = element("table");
  if (answer.title) table.append(element("caption", {}, answer.title));
  const head = element("tr");
  answer.headers.forEach((h, i) => head.append(element("th", { scope: "col", class: answer.numeric[i] ? "num" : "" }, h)));
  table.append(element("thead"));
  table.tHead.append(head);
  const body = element("tbody");
  for (const row of answer.rows) {
    const tr = element("tr", { tabindex: "0", "data-index": String(row.index), "aria-selected": String(row.index === selected) });
    row.cells.forEach((c, i) => tr.append(element("td", { class: answer.numeric[i] ? "num" : "" }, c)));
    body.append(tr);
  }
  table.append(body);
  const total = element("tr");
  answer.totals.forEach((c, i) => total.append(element(i === 0 ? "th" : "td", { class: answer.numeric[i] ? "num" : "" }, c)));
  table.append(element("tfoot"));
  table.tFoot.append(total);

  const wrap = element("div", { class: "scroll" });
  wrap.append(table);
  const notes = element("div", { class: "notes" });
  for (const line of answer.footer) notes.append(element("p", {}, line));

  const report = $("report");
  report.replaceChildren(wrap, notes);
  report.hidden = false;
  report.setAttribute("aria-busy", "false");
  $("error").hidden = true;
  $("error").replaceChildren();
  for (const id of ["download-csv", "download-json", "download-markdown"]) $(id).disabled = false;

  if (focusIndex !== null) report.querySelector(`tbody tr[data-index="${focusIndex}"]`)?.focus();
  if (selected !== null) {
    if (answer.rows.some((r) => r.index === selected)) explain(selected);
    else clearExplain();
  }
  $("chart-panel").hidden = false;
  $("explain").hidden = false;
  requestAnimationFrame(drawChart);
}

function showError(error) {
  const box = $("error");
  const parts = [element("p", { class: "error-text" }, error.text)];
  if (error.line && !error.text.startsWith("line ")) {
    parts.push(element("p", { class: "where" }, `at line ${error.line}, column ${error.column}`));
  }
  if (error.context) parts.push(element("pre", {}, error.context));
  box.replaceChildren(...parts);
  box.hidden = false;
  $("report").hidden = true; // the error takes the table's place, and the chart goes with the table
  $("chart-panel").hidden = true;
  $("explain").hidden = true;
  for (const id of ["download-csv", "download-json", "download-markdown"]) $(id).disabled = true;
}

// ---------------------------------------------------------------- a row's arithmetic

function clearExplain() {
  selected = null;
  $("explain").replaceChildren(element("p", { class: "help" }, "Choose a row (click it, or focus it and press Enter) to see its arithmetic."));
}

async function explain(index) {
  selected = index;
  for (const tr of $("report").querySelectorAll("tbody tr")) tr.setAttribute("aria-selected", String(Number(tr.dataset.index) === index));
  let e;
  try {
    e = JSON.parse((await call("explain", { index })).result);
  } catch (err) {
    e = { ok: false, error: { text: err.message } };
  }
  if (!e.ok) {
    $("explain").replaceChildren(element("p", { class: "error-text" }, e.error.text));
    return;
  }
  const list = element("ul");
  for (const step of e.steps) {
    const item = element("li");
    item.append(element("code", {}, step));
    list.append(item);
  }
  for (const note of e.notes) list.append(element("li", { class: "note" }, `note: ${note}`));
  $("explain").replaceChildren(element("h2", {}, e.title), list);
  await showWindow(index, null);
}

// ---------------------------------------------------------------- a conv or pool row's window, sliding

let windowState = null; // {index, axis, positions, position}

async function showWindow(index, axis) {
  const { result } = await call("window", { index, axis });
  const answer = JSON.parse(result);
  if (!answer.ok || selected !== index) {
    windowState = null;
    return;
  }
  windowState = { index, axis: answer.axis, positions: answer.positions, position: 0 };
  const box = element("div", { id: "window" });
  box.append(element("h3", {}, `The window along ${answer.axis}`));
  const controls = element("div", { class: "controls" });
  if (answer.axes.length > 1) {
    for (const a of answer.axes) {
      const b = element("button", { type: "button", class: "axis", "aria-pressed": String(a === answer.axis) }, a);
      b.addEventListener("click", () => showWindow(index, a));
      controls.append(b);
    }
  }
  const prev = element("button", { type: "button", id: "window-prev", "aria-label": "Previous position" }, "◀");
  const next = element("button", { type: "button", id: "window-next", "aria-label": "Next position" }, "▶");
  const where = element("span", { id: "window-position", "aria-live": "polite" });
  prev.addEventListener("click", () => stepWindow(-1));
  next.addEventListener("click", () => stepWindow(1));
  controls.append(prev, next, where);
  const figure = element("div", {
    class: "figure",
    id: "window-figure",
    tabindex: "0",
    "aria-label": "The window: left and right arrows step through the output positions",
  });
  figure.innerHTML = answer.svg; // drawn by cnncalc itself, every text escaped
  figure.addEventListener("keydown", (event) => {
    const steps = { ArrowLeft: -1, ArrowRight: 1, Home: -Infinity, End: Infinity };
    if (event.key in steps) {
      event.preventDefault();
      stepWindow(steps[event.key]);
    }
  });
  box.append(controls, figure, element("p", { class: "help" }, "Step with ◀ ▶, or focus the drawing and use the arrow keys."));
  const before = $("window");
  if (before) before.replaceWith(box); // another axis of the same row
  else $("explain").append(box);
  stepWindow(0);
}

function stepWindow(delta) {
  if (!windowState) return;
  const s = windowState;
  s.position = Math.min(s.positions - 1, Math.max(0, s.position + delta));
  for (const g of $("window-figure").querySelectorAll("g.window")) {
    g.classList.toggle("current", Number(g.dataset.position) === s.position);
  }
  $("window-position").textContent = `position ${s.position + 1} of ${s.positions}`;
  $("window-prev").disabled = s.position === 0;
  $("window-next").disabled = s.position === s.positions - 1;
}

// ---------------------------------------------------------------- grading a pasted table

let gradeTimer = null;

async function gradeTable() {
  const text = $("table").value;
  if (!text.trim()) {
    $("graded").replaceChildren();
    return;
  }
  const state = readState();
  const { result } = await call("grade", { table: text, spec: state.spec, flops: state.flops, layout: state.layout });
  showGrades(JSON.parse(result));
}

function showGrades(answer) {
  const box = $("graded");
  if (!answer.ok) {
    box.replaceChildren(element("p", { class: "error-text" }, answer.error.text));
    return;
  }
  const parts = [];
  const allRight = answer.wrong === 0 && answer.extra.length === 0;
  parts.push(element("p", { class: `summary ${allRight ? "all-right" : "some-wrong"}` }, answer.summary));
  if (answer.spec) parts.push(element("p", { class: "help" }, `Graded against the exercise's network (${answer.format}).`));
  const table = element("table");
  const head = element("tr");
  for (const h of answer.headers) head.append(element("th", { scope: "col" }, h));
  table.append(head);
  for (const row of answer.rows) {
    const tr = element("tr");
    row.cells.forEach((text, i) => {
      const mark = row.marks[i];
      const td = element("td", mark ? { class: mark.ok ? "right" : "wrong" } : {});
      if (mark && !mark.ok) {
        td.append(element("span", { class: "written" }, text || "(blank)"));
        td.append(element("span", { class: "expected" }, `right: ${mark.expected}`));
        td.append(element("span", { class: "why" }, mark.why));
        td.title = mark.why;
      } else {
        td.textContent = text;
        if (mark) td.title = "right";
      }
      tr.append(td);
    });
    table.append(tr);
  }
  parts.push(table);
  for (const t of answer.totals) {
    const line = t.ok ? `${t.column}: ${t.written} is right` : `${t.column}: written ${t.written}, right ${t.expected} (${t.why})`;
    parts.push(element("p", { class: t.ok ? "total right" : "total wrong" }, line));
  }
  for (const m of answer.missing) parts.push(element("p", { class: "missing" }, `missing: ${m} (a layer with parameters no row gives)`));
  for (const x of answer.extra) parts.push(element("p", { class: "extra" }, `extra: ${x} matches no layer`));
  box.replaceChildren(...parts);
}

async function blankExercise() {
  const { result } = await call("exercise", { spec: $("spec").value, ask: $("ask").value });
  const answer = JSON.parse(result);
  if (!answer.ok) {
    $("graded").replaceChildren(element("p", { class: "error-text" }, answer.error.text));
    return;
  }
  $("table").value = answer.text;
  exerciseAsk = $("ask").value;
  writeURL(readState());
  gradeTable();
}

$("table").addEventListener("input", () => {
  clearTimeout(gradeTimer);
  gradeTimer = setTimeout(gradeTable, 150);
});
$("grade-button").addEventListener("click", gradeTable);
$("exercise-button").addEventListener("click", blankExercise);
$("table").addEventListener("dragover", (event) => {
  event.preventDefault();
  $("table").classList.add("drop");
});
$("table").addEventListener("dragleave", () => $("table").classList.remove("drop"));
$("table").addEventListener("drop", async (event) => {
  event.preventDefault();
  $("table").classList.remove("drop");
  const file = event.dataTransfer.files[0];
  if (!file) return;
  $("table").value = await file.text();
  gradeTable();
});

function rowOf(event) {
  return event.target.closest && event.target.closest("#report tbody tr");
}

$("report").addEventListener("click", (event) => {
  const tr = rowOf(event);
  if (tr) explain(Number(tr.dataset.index));
});

$("report").addEventListener("keydown", (event) => {
  const tr = rowOf(event);
  if (!tr) return;
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    explain(Number(tr.dataset.index));
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    (event.key === "ArrowDown" ? tr.nextElementSibling : tr.previousElementSibling)?.focus();
  }
});

// ---------------------------------------------------------------- the chart

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

function drawChart() {
  if (!last) return;
  const metric = $("chart-metric").value;
  const log = $("chart-log").checked;
  const { labels } = last.chart;
  const values = last.chart[metric];
  const positive = values.filter((v) => v > 0);
  const max = Math.max(1, ...positive);
  const min = positive.length ? Math.min(...positive) : 1;
  const lo = Math.log10(min) - 0.3;
  const scale = (v) => (v <= 0 ? 0 : log ? (Math.log10(v) - lo) / (Math.log10(max) - lo || 1) : v / max);
  const barH = 14;
  const gap = 4;
  const width = Math.max(300, $("chart").clientWidth - 2); // drawn at the box's own pixel width: text stays 11px
  const labelW = Math.min(190, Math.round(width * 0.34));
  const barW = width - labelW - 90;
  const height = labels.length * (barH + gap) + gap;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height });
  const format = new Intl.NumberFormat("en-US");
  labels.forEach((label, i) => {
    const y = gap + i * (barH + gap);
    const w = Math.max(0, scale(values[i]) * barW);
    const group = svg("g");
    group.append(svg("title", {}, `${label}: ${format.format(values[i])}`));
    const room = Math.floor(labelW / 6.5);
    const shown = label.length > room ? `${label.slice(0, room - 1)}…` : label;
    group.append(svg("text", { x: labelW - 6, y: y + barH - 3, "text-anchor": "end", class: "label" }, shown));
    group.append(svg("rect", { x: labelW, y, width: w.toFixed(1), height: barH, class: "bar" }));
    group.append(svg("text", { x: labelW + w + 4, y: y + barH - 3, class: "value" }, format.format(values[i])));
    chart.append(group);
  });
  $("chart").replaceChildren(chart);
  $("chart").setAttribute("aria-label", `Bar chart of ${$("chart-metric").selectedOptions[0].textContent} per layer${log ? ", log scale" : ""}`);
}

$("chart-metric").addEventListener("change", drawChart);
let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(drawChart, 100);
});
$("chart-log").addEventListener("change", drawChart);

// ---------------------------------------------------------------- downloads, presets, link

const TYPES = { csv: ["text/csv", "csv"], json: ["application/json", "json"], markdown: ["text/markdown", "md"] };

async function download(format) {
  let answer;
  try {
    answer = JSON.parse((await call("download", { format })).result);
  } catch (err) {
    answer = { ok: false, error: { text: err.message } };
  }
  if (!answer.ok) {
    setStatus(`No download: ${answer.error.text}`);
    return;
  }
  const [type, ext] = TYPES[format];
  const url = URL.createObjectURL(new Blob([answer.text], { type }));
  const a = element("a", { href: url, download: `${(last && last.title) || "cnncalc"}.${ext}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

for (const format of Object.keys(TYPES)) $(`download-${format}`).addEventListener("click", () => download(format));

$("copy-link").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(location.href);
    setStatus("Link copied: it holds the network and the options.");
  } catch {
    setStatus("Copy the address bar: it holds the network and the options.");
  }
});

async function loadPresets() {
  const { result } = await call("presets", {});
  const select = $("preset");
  const texts = new Map();
  const dtypes = new Map();
  for (const model of JSON.parse(result)) {
    texts.set(model.name, model.text);
    if (model.dtype) dtypes.set(model.name, model.dtype); // a language model comes in bfloat16 at 4,096 positions
    select.append(element("option", { value: model.name }, `${model.name} — ${model.description}`));
  }
  select.addEventListener("change", () => {
    if (!texts.has(select.value)) return;
    $("spec").value = texts.get(select.value);
    if (dtypes.has(select.value)) $("dtype").value = dtypes.get(select.value);
    clearExplain();
    schedule();
  });
}

// ---------------------------------------------------------------- start

readURL();
$("spec").addEventListener("input", schedule);
for (const id of Object.keys(OPTIONS)) {
  $(id).addEventListener(["batch", "freeze"].includes(id) ? "input" : "change", schedule);
}
window.addEventListener("hashchange", () => {
  readURL();
  schedule();
});
update().then(() => {
  if (exerciseAsk && !$("table").value.trim()) blankExercise(); // the URL holds an exercise: its blank table
});
loadPresets();
