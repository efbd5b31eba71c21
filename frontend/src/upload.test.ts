import assert from "node:assert/strict";
import { test } from "node:test";
import { plan, toBase64 } from "./upload";

test("a small file goes in one request without a chunk number", () => {
  assert.deepEqual(plan(0, 10), [{ start: 0, end: 0 }]);
  assert.deepEqual(plan(10, 10), [{ start: 0, end: 10 }]);
});

test("a large file is cut into numbered pieces, the last one -1", () => {
  assert.deepEqual(plan(25, 10), [
    { start: 0, end: 10, chunk: 1 },
    { start: 10, end: 20, chunk: 2 },
    { start: 20, end: 25, chunk: -1 },
  ]);
  assert.deepEqual(plan(20, 10), [
    { start: 0, end: 10, chunk: 1 },
    { start: 10, end: 20, chunk: -1 },
  ]);
});

test("base64 matches node's encoder, also past the block size", () => {
  const bytes = new Uint8Array(100_003).map((_, i) => (i * 7919) % 256);
  assert.equal(toBase64(bytes), Buffer.from(bytes).toString("base64"));
  assert.equal(toBase64(new Uint8Array(0)), "");
});
