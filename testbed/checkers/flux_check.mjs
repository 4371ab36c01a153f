// Checks Flux scripts with InfluxData's own parser and semantic analyser (flux-lsp-browser).
// stdin:  one JSON {"name": ..., "flux": ...} a line
// stdout: one JSON {"name": ..., "valid": bool, "ast": {...}, "error"?: "..."} a line, each
//         answered as soon as its line is read (so one process serves a whole test session)
// The package is a wasm-bindgen "bundler" build that Node cannot import as is, so its glue module
// is patched to receive the wasm exports through a setter (see the project's flux-checker notes).
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const PACKAGE = "@influxdata/flux-lsp-browser";

function replaceOnce(text, search, replacement) {
  if (!text.includes(search)) {
    throw new Error(`${PACKAGE}: glue code changed, cannot find ${JSON.stringify(search)}`);
  }
  return text.replace(search, replacement);
}

function patchGlue(glue) {
  let patched = replaceOnce(
    glue,
    "import * as wasm from './flux-lsp-browser_bg.wasm';",
    "let wasm;\nexport function __setWasm(exports) {\n" +
      "  wasm = exports;\n" +
      "  cachedInt32Memory0 = new Int32Array(wasm.memory.buffer);\n" +
      "  cachedUint8Memory0 = new Uint8Array(wasm.memory.buffer);\n}",
  );
  patched = replaceOnce(patched, "\ncachedInt32Memory0 = new Int32Array(wasm.memory.buffer);", "");
  patched = replaceOnce(patched, "\ncachedUint8Memory0 = new Uint8Array(wasm.memory.buffer);", "");
  return patched.replaceAll("(0, module.require)('util')", "globalThis");
}

async function loadFlux() {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve(`${PACKAGE}/package.json`));
  const glue = patchGlue(readFileSync(join(packageDir, "flux-lsp-browser_bg.js"), "utf8"));
  const module = await import(`data:text/javascript;base64,${Buffer.from(glue).toString("base64")}`);
  const bytes = readFileSync(join(packageDir, "flux-lsp-browser_bg.wasm"));
  const { instance } = await WebAssembly.instantiate(bytes, { "./flux-lsp-browser_bg.js": module });
  module.__setWasm(instance.exports);
  return module;
}

function check(flux, { name, flux: script }) {
  const result = { name, valid: false, ast: null };
  try {
    result.ast = flux.parse(script);
    const program = new flux.Flux(script);
    try {
      result.valid = program.is_valid();
    } finally {
      program.free();
    }
  } catch (error) {
    result.error = String(error);
  }
  return result;
}

const flux = await loadFlux();
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  process.stdout.write(JSON.stringify(check(flux, JSON.parse(line))) + "\n");
}
