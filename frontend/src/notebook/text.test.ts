import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ansiToHtml,
  bytes,
  hasMath,
  headTail,
  liftMath,
  needsScript,
  pickMime,
  terminalText,
} from "./text";

test("ANSI colours become classes and the text stays escaped", () => {
  const html = ansiToHtml("\x1b[31mred <b>&</b>\x1b[0m plain");
  assert.match(html, /<span class="ansi-red-fg">red &lt;b&gt;&amp;&lt;\/b&gt;<\/span> plain/);
  assert.ok(!html.includes("<b>"));
  // 256-colour codes keep their text; no inline style survives (the CSP forbids them).
  const rich = ansiToHtml("\x1b[38;5;208morange\x1b[0m");
  assert.ok(rich.includes("orange"));
  assert.ok(!rich.includes("style="));
  assert.equal(ansiToHtml("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
});

test("carriage returns and backspaces overwrite like a terminal", () => {
  assert.equal(terminalText("10%\r50%\r100%\ndone"), "100%\ndone");
  assert.equal(terminalText("abc\b\bX"), "aX");
  assert.equal(terminalText("plain\n"), "plain\n");
});

test("long text keeps its head and tail and says what is hidden", () => {
  const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join("\n");
  const view = headTail(lines, 10, 100_000);
  assert.ok(view.head.startsWith("line 0\n"));
  assert.ok(view.head.endsWith("line 9"));
  assert.ok(view.tail.startsWith("line 990"));
  assert.ok(view.tail.endsWith("line 999"));
  assert.equal(view.hiddenLines, 980);
  assert.equal(view.hidden, lines.length - view.head.length - view.tail.length);
  const small = headTail("a\nb", 10);
  assert.deepEqual(small, { head: "a\nb", tail: "", hidden: 0, hiddenLines: 0 });
  const wide = headTail("x".repeat(100_000), 10, 1000);
  assert.equal(wide.head.length, 1000);
  assert.equal(wide.tail.length, 1000);
  assert.equal(wide.hidden, 98_000);
});

test("math is lifted out of prose, never out of code", () => {
  const lifted = liftMath("Euler $e^{i\\pi}$ and\n$$\\int x$$ costs \\$5, `$not$` \\(a\\)");
  assert.deepEqual(lifted.math, [
    { tex: "e^{i\\pi}", display: false },
    { tex: "\\int x", display: true },
    { tex: "a", display: false },
  ]);
  assert.equal(lifted.text, "Euler @@MATH0@@ and\n@@MATH1@@ costs \\$5, `$not$` @@MATH2@@");
  assert.equal(hasMath("```\n$x$\n```"), false);
  assert.equal(hasMath("no math, $5 only"), false);
});

test("the richest known MIME type is shown", () => {
  assert.equal(pickMime({ "text/plain": "x", "text/html": "<b>" }), "text/html");
  assert.equal(pickMime({ "text/plain": "x", "image/png": "..." }), "image/png");
  assert.equal(pickMime({ "application/vnd.custom+json": {} }), "application/vnd.custom+json");
  assert.equal(pickMime({ "application/x-unknown": "" }), null);
});

test("HTML that needs script is recognised", () => {
  assert.ok(needsScript("<script>alert(1)</script>"));
  assert.ok(needsScript("<img src=x onerror='x()'>"));
  assert.ok(needsScript("<a href='javascript:x()'>"));
  assert.ok(!needsScript("<table><tr><td>1</td></tr></table>"));
});

test("sizes", () => {
  assert.equal(bytes(812), "812 B");
  assert.equal(bytes(3400), "3.4 kB");
  assert.equal(bytes(12e6), "12.0 MB");
});
