// The CSS browser floor (issue 16, item 17): every feature that an engine of .browserslistrc
// lacks must come with a fallback that works there, or the check fails.
//
//   node lint/css-floor.mjs static/*.css      (make lint-css)
//
// doiuse (caniuse data) names each feature the floor lacks. A use is accepted when
//   - it is a declaration with an earlier declaration of the same property in the same rule
//     that the floor does understand (`min-height: 60px; min-height: max(60px, var(--t));`:
//     an old engine drops the second line and keeps the first), or
//   - its feature is in ACCEPTED below, with the reason why the floor loses nothing that
//     matters (partial support whose missing part this stylesheet does not use).
// Anything else — a selector the floor cannot parse (`:has()`, `:where()`, `:focus-visible`,
// a `:not()` list: the whole rule vanishes), flex `gap`, a modern value with no plain one
// before it — fails the check with its file and line.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import postcss from "postcss";
import doiuse from "doiuse";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

//: Features the floor supports only in part, where the missing part is not what we use.
export const ACCEPTED = {
  "css-overflow": "partial: the two-value `overflow` shorthand; we write overflow-x alone",
  "css-sticky": "partial: sticky on <thead>/<tr>; we make blocks sticky (with -webkit-sticky before it for iOS 12)",
  "css-paged-media": "@page only sets the print margins; without it the browser's own margins apply",
  "extended-system-fonts": "a font list falls back to its next family (`ui-monospace, monospace`)",
  "css-page-break": "partial: `avoid` for page-break-before/-after and the newer break-* names; we print with page-break-inside: avoid, which the floor honours",
};

//: doiuse reads the grid track function `minmax()` (Chrome 57, Safari 10.1) as `max()`.
function isMathFunctionUse(decl) {
  return /(^|[^\w-])(min|max|clamp)\(/.test(decl.value);
}

export function browsersOfFloor(file = path.join(ROOT, ".browserslistrc")) {
  return readFileSync(file, "utf8").split("\n")
    .map((line) => line.replace(/#.*/, "").trim()).filter(Boolean).join(", ");
}

function declFlaggedKey(node) {
  const start = node.source && node.source.start;
  return start ? `${start.line}:${start.column}` : "";
}

/** The uses of `css` (text) that the floor lacks without a fallback: [{line, feature, message}]. */
export async function problems(css, { from = "input.css", browsers = browsersOfFloor() } = {}) {
  const uses = [];
  await postcss([doiuse({ browsers, onFeatureUsage: (info) => uses.push(info) })])
    .process(css, { from });
  const real = uses.filter(({ feature, usage }) =>
    !Object.prototype.hasOwnProperty.call(ACCEPTED, feature)
    && !(feature === "css-math-functions" && usage.type === "decl" && !isMathFunctionUse(usage)));
  const flagged = new Set(real.filter((u) => u.usage.type === "decl").map((u) => declFlaggedKey(u.usage)));
  const out = [];
  for (const { feature, usage, featureData } of real) {
    if (usage.type === "decl" && hasFallback(usage, flagged)) { continue; }
    const start = usage.source && usage.source.start;
    const what = usage.type === "decl" ? `${usage.prop}: ${usage.value}`
      : usage.type === "rule" ? usage.selector : `@${usage.name} ${usage.params}`;
    const missing = featureData ? [featureData.missing && `not in ${featureData.missing}`,
      featureData.partial && `partly in ${featureData.partial}`].filter(Boolean).join("; ") : "";
    out.push({ line: start ? start.line : 0, feature,
      message: `${what} — ${feature} (${missing}) with no fallback` });
  }
  return out;
}

function hasFallback(decl, flagged) {
  for (let node = decl.prev(); node; node = node.prev()) {
    if (node.type === "decl" && node.prop === decl.prop && !flagged.has(declFlaggedKey(node))) {
      return true;
    }
  }
  return false;
}

async function main(files) {
  if (!files.length) {
    console.error("usage: node lint/css-floor.mjs FILE.css ...");
    return 2;
  }
  const browsers = browsersOfFloor();
  let count = 0;
  for (const file of files) {
    const found = await problems(readFileSync(file, "utf8"), { from: file, browsers });
    for (const p of found) { console.error(`${file}:${p.line}: ${p.message}`); }
    count += found.length;
  }
  if (count) {
    console.error(`css-floor: ${count} use(s) of features that ${browsers} lack, without a fallback`);
    return 1;
  }
  console.log(`css-floor: ${files.length} file(s) work on ${browsers}`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
