// Build the static page into dist/: the page's files, Pyodide from node_modules, and the wheels it runs:
// cnncalc built from this checkout and lark (the version the Python building it has, so the page runs what
// the tests ran). Nothing is fetched at run time from anywhere but the page's own folder.
//
//   npm ci && npm run build     # PYTHON=/path/to/python chooses the interpreter (default: ../.venv, else python3)
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const web = dirname(fileURLToPath(import.meta.url));
const repo = resolve(web, "..");
const dist = join(web, "dist");
// The interpreter that builds the wheels: $PYTHON, else the checkout's .venv (the README's set-up), else python3.
const venvPython = join(repo, ".venv", "bin", "python");
const python = process.env.PYTHON
  ? (process.env.PYTHON.includes("/") ? resolve(process.env.PYTHON) : process.env.PYTHON)
  : existsSync(venvPython) ? venvPython : "python3";

// The Pyodide runtime files the page loads (the npm package ships no package wheels: the page needs none).
const PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"];

function run(args) {
  console.log(`$ ${python} ${args.join(" ")}`);
  return execFileSync(python, args, { cwd: repo, stdio: ["ignore", "pipe", "inherit"], encoding: "utf-8" });
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "pyodide"), { recursive: true });
mkdirSync(join(dist, "wheels"), { recursive: true });

cpSync(join(web, "src"), dist, { recursive: true });

const pyodide = join(web, "node_modules", "pyodide");
if (!existsSync(pyodide)) {
  console.error("node_modules/pyodide is missing: run `npm ci` in web/ first");
  process.exit(1);
}
for (const name of PYODIDE_FILES) cpSync(join(pyodide, name), join(dist, "pyodide", name));
const pyodideVersion = JSON.parse(readFileSync(join(pyodide, "package.json"), "utf-8")).version;

// setuptools builds in the checkout's build/ (ignored by git); clear it first, so that a module removed from src/
// cannot linger in the wheel from an earlier build.
const wheels = join(dist, "wheels");
rmSync(join(repo, "build"), { recursive: true, force: true });
run(["-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", wheels, repo]);
rmSync(join(repo, "build"), { recursive: true, force: true });
const larkVersion = run([
  "-c",
  "import importlib.metadata as m\ntry:\n    print(m.version('lark'))\nexcept m.PackageNotFoundError:\n    print('')",
]).trim();
run([
  "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest", wheels,
  larkVersion ? `lark==${larkVersion}` : "lark>=1.1",
]);

const names = readdirSync(wheels).filter((n) => n.endsWith(".whl")).sort();
for (const prefix of ["cnncalc-", "lark-"]) {
  if (!names.some((n) => n.startsWith(prefix))) {
    console.error(`no ${prefix}*.whl was built into dist/wheels`);
    process.exit(1);
  }
  if (!names.every((n) => n.endsWith("-py3-none-any.whl"))) {
    console.error(`a wheel is not pure Python, so Pyodide cannot load it: ${names.join(", ")}`);
    process.exit(1);
  }
}
// A memory snapshot of Python with cnncalc imported and its parser built, made here by the same Pyodide under
// Node: the page restores it instead of starting CPython and importing (about a tenth of the time). It holds
// the interpreter's memory only; the page still unpacks the wheels for the files read later (the zoo, lazy
// imports). The environment is set explicitly, so nothing of the building machine's gets in.
const { loadPyodide } = await import(join(pyodide, "pyodide.mjs"));
const py = await loadPyodide({ _makeSnapshot: true, env: { HOME: "/home/pyodide" }, stdout: () => {}, stderr: () => {} });
for (const name of names) py.unpackArchive(new Uint8Array(readFileSync(join(wheels, name))), "wheel");
py.FS.writeFile("/home/pyodide/bridge.py", readFileSync(join(web, "src", "bridge.py")));
py.runPython(`
import os, sys
sys.path.insert(0, "/home/pyodide")
os.environ.pop("_", None)
import bridge, cnncalc
cnncalc.analyze("input(8,8,1) -> conv(2, f=3) -> fc(2)")  # builds the notation's parser once, here
`);
const snapshot = gzipSync(py.makeMemorySnapshot(), { level: 6 });
writeFileSync(join(dist, "snapshot.bin.gz"), snapshot);

const manifest = { pyodide: pyodideVersion, wheels: names, snapshot: "snapshot.bin.gz" };
writeFileSync(join(wheels, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`dist/ written: Pyodide ${pyodideVersion}; ${names.join(", ")}; snapshot ${(snapshot.length / 1e6).toFixed(1)} MB`);
