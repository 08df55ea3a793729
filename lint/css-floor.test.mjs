// node --test lint/ (make lint-css): the floor check fails on what old phones lose, and only on that.
import { test } from "node:test";
import assert from "node:assert/strict";
import { problems } from "./css-floor.mjs";

const features = async (css) => (await problems(css)).map((p) => p.feature);

test("a math function without a plain declaration before it fails", async () => {
  assert.deepEqual(await features(".b { min-height: max(60px, var(--t)); }"), ["css-math-functions"]);
});

test("a plain declaration before the modern one is a fallback", async () => {
  assert.deepEqual(await features(".b { min-height: 60px; min-height: max(60px, var(--t)); }"), []);
});

test("a fallback after the modern declaration does not count", async () => {
  assert.deepEqual(await features(".b { min-height: max(60px, var(--t)); min-height: 60px; }"),
    ["css-math-functions"]);
});

test("a modern fallback is no fallback", async () => {
  assert.deepEqual(await features(".b { width: min(1px, 2px); width: max(1px, 2px); }"),
    ["css-math-functions", "css-math-functions"]);
});

test("selectors the floor cannot parse fail: the whole rule would vanish", async () => {
  assert.deepEqual(await features("label:has(input:checked) { color: red; }"), ["css-has"]);
  assert.deepEqual(await features("a:focus-visible { outline: 3px solid; }"), ["css-focus-visible"]);
  assert.ok((await features("a:not(.x, .y) { color: red; }")).includes("css-not-sel-list"));
});

test("flex gap fails; grid gap passes", async () => {
  assert.deepEqual(await features(".r { display: flex; gap: 1rem; }"), ["flexbox-gap"]);
  assert.deepEqual(await features(".r { display: grid; gap: 1rem; }"), []);
});

test("grid minmax() is not the max() function", async () => {
  assert.deepEqual(await features(".g { grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr)); }"), []);
});

test("the project's stylesheet passes", async () => {
  const { readFileSync } = await import("node:fs");
  const css = readFileSync(new URL("../static/site.css", import.meta.url), "utf8");
  assert.deepEqual(await problems(css), []);
});
