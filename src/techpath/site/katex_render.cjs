// Typesets TeX with KaTeX for the build. Protocol: one JSON request per line on stdin,
// {"tex": "...", "display": true}, one JSON answer per line on stdout, {"html": "..."} or
// {"error": "..."}. Usage: node katex_render.cjs /path/to/node_modules/katex
"use strict";
const katex = require(process.argv[2]);
const readline = require("readline");

const input = readline.createInterface({ input: process.stdin, terminal: false });
input.on("line", (line) => {
  let answer;
  try {
    const request = JSON.parse(line);
    answer = {
      html: katex.renderToString(request.tex, {
        displayMode: Boolean(request.display),
        output: "htmlAndMathml", // MathML for screen readers, HTML for the eye
        throwOnError: true,
        strict: "ignore",
      }),
    };
  } catch (err) {
    answer = { error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
