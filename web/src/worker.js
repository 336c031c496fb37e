// The engine: Pyodide in a module worker, so the page stays responsive while Python computes.
// Everything comes from this page's own folder: pyodide/ (the npm package's files) and wheels/
// (cnncalc built from the repository, and lark). Requests are {id, op, args}; answers {id, ok, result|error, ms}.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const here = new URL("./", import.meta.url);

async function boot() {
  const started = performance.now();
  const phases = {};
  // The wheels and the bridge download while Pyodide starts.
  const files = (async () => {
    const manifest = await (await fetch(new URL("wheels/manifest.json", here))).json();
    const wheels = await Promise.all(manifest.wheels.map(async (name) => {
      const response = await fetch(new URL(`wheels/${name}`, here));
      if (!response.ok) throw new Error(`cannot fetch wheels/${name}: ${response.status}`);
      return response.arrayBuffer();
    }));
    const bridge = await (await fetch(new URL("bridge.py", here))).text();
    return { wheels, bridge };
  })();
  const py = await loadPyodide({ indexURL: new URL("pyodide/", here).href });
  phases.pyodideMs = performance.now() - started;
  const { wheels, bridge } = await files;
  for (const wheel of wheels) py.unpackArchive(wheel, "wheel");
  phases.wheelsMs = performance.now() - started - phases.pyodideMs;
  py.FS.writeFile("/home/pyodide/bridge.py", bridge);
  const module = py.pyimport("bridge");
  const versions = py.runPython("import sys, cnncalc; f'cnncalc {cnncalc.__version__}, Python {sys.version.split()[0]}'");
  phases.importMs = performance.now() - started - phases.pyodideMs - phases.wheelsMs;
  const info = { versions, pyodide: py.version, phases, startedAt: performance.timeOrigin + started };
  postMessage({ id: 0, ok: true, result: JSON.stringify(info), ms: performance.now() - started });
  return module;
}

const ready = boot().catch((err) => {
  postMessage({ id: 0, ok: false, error: String(err && err.message ? err.message : err) });
  throw err;
});

onmessage = async (event) => {
  const { id, op, args } = event.data;
  let bridge;
  try {
    bridge = await ready;
  } catch (err) {
    postMessage({ id, ok: false, error: "the engine did not load" });
    return;
  }
  const started = performance.now();
  try {
    const result = bridge[op](JSON.stringify(args ?? {}));
    postMessage({ id, ok: true, result, ms: performance.now() - started });
  } catch (err) {
    postMessage({ id, ok: false, error: String(err && err.message ? err.message : err), ms: performance.now() - started });
  }
};
