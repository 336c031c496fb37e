// The engine: Pyodide in a module worker, so the page stays responsive while Python computes.
// Everything comes from this page's own folder: pyodide/ (the npm package's files), wheels/ (cnncalc built from
// the repository, and lark) and snapshot.bin.gz (Python's memory with cnncalc imported, made by the build).
// Requests are {id, op, args}; answers {id, ok, result|error, ms}. Message 0 says the engine is ready.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const here = new URL("./", import.meta.url);
const indexURL = new URL("pyodide/", here).href;

async function bytes(path, gzipped = false) {
  const response = await fetch(new URL(path, here));
  if (!response.ok) throw new Error(`cannot fetch ${path}: ${response.status}`);
  const body = gzipped ? new Response(response.body.pipeThrough(new DecompressionStream("gzip"))) : response;
  return new Uint8Array(await body.arrayBuffer());
}

// Restoring the snapshot skips CPython's start-up and cnncalc's imports; a fresh start is the fallback.
async function startPython(manifest, phases) {
  if (manifest.snapshot) {
    try {
      const snapshot = await bytes(manifest.snapshot, true);
      phases.snapshotFetchMs = performance.now() - phases.t0;
      const py = await loadPyodide({ indexURL, _loadSnapshot: snapshot });
      phases.snapshot = true;
      return py;
    } catch (err) {
      phases.snapshotError = String(err && err.message ? err.message : err);
    }
  }
  phases.snapshot = false;
  return loadPyodide({ indexURL });
}

async function boot() {
  const t0 = performance.now();
  const phases = { t0 };
  const manifest = await (await fetch(new URL("wheels/manifest.json", here))).json();
  const files = Promise.all([
    Promise.all(manifest.wheels.map((name) => bytes(`wheels/${name}`))),
    fetch(new URL("bridge.py", here)).then((r) => r.text()),
  ]);
  const py = await startPython(manifest, phases);
  phases.pyodideMs = performance.now() - t0;
  const [wheels, bridge] = await files;
  for (const wheel of wheels) py.unpackArchive(wheel, "wheel");
  py.FS.writeFile("/home/pyodide/bridge.py", bridge);
  phases.wheelsMs = performance.now() - t0 - phases.pyodideMs;
  py.runPython("import sys\nif '/home/pyodide' not in sys.path: sys.path.insert(0, '/home/pyodide')");
  const module = py.pyimport("bridge");
  const versions = py.runPython("import sys, cnncalc; f'cnncalc {cnncalc.__version__}, Python {sys.version.split()[0]}'");
  phases.importMs = performance.now() - t0 - phases.pyodideMs - phases.wheelsMs;
  const warmStart = performance.now();
  module.warm(JSON.stringify({ times: 3 }));
  phases.warmMs = performance.now() - warmStart;
  delete phases.t0;
  const info = { versions, pyodide: py.version, phases };
  postMessage({ id: 0, ok: true, result: JSON.stringify(info), ms: performance.now() - t0 });
  return module;
}

const ready = boot().catch((err) => {
  postMessage({ id: 0, ok: false, error: String(err && err.message ? err.message : err) });
  throw err;
});

// An engine failure in one line, without Python's traceback or its exception's name.
function oneLine(err) {
  const text = String(err && err.message ? err.message : err).trim();
  const last = text.split("\n").filter((line) => line.trim()).pop() || "";
  const words = last.replace(/^[A-Za-z_.]*(Error|Exception|Interrupt|Exit)\b:?\s*/, "");
  return `internal error: ${words || "the engine stopped"}`;
}

onmessage = async (event) => {
  const { id, op, args } = event.data;
  let bridge;
  try {
    bridge = await ready;
  } catch {
    postMessage({ id, ok: false, error: "the engine did not load" });
    return;
  }
  const started = performance.now();
  try {
    const result = bridge[op](JSON.stringify(args ?? {}));
    postMessage({ id, ok: true, result, ms: performance.now() - started });
  } catch (err) {
    // The bridge answers every mistake itself; what reaches here is a failure of the engine, said in one line
    // (Pyodide's message is Python's whole traceback: never shown).
    postMessage({ id, ok: false, error: oneLine(err), ms: performance.now() - started });
  }
};
