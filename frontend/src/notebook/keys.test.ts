import assert from "node:assert/strict";
import { test } from "node:test";
import { Chords, describe, type KeyLike } from "./keys";

function key(k: string, mods: Partial<KeyLike> = {}): KeyLike {
  return { key: k, ctrlKey: false, shiftKey: false, altKey: false, metaKey: false, ...mods };
}

test("describe names keys with their modifiers in a fixed order", () => {
  assert.equal(describe(key("a")), "A");
  assert.equal(describe(key("J", { shiftKey: true })), "Shift+J");
  assert.equal(describe(key("Enter", { shiftKey: true })), "Shift+Enter");
  assert.equal(describe(key("ArrowUp", { ctrlKey: true, shiftKey: true })), "Ctrl+Shift+ArrowUp");
  assert.equal(describe(key("s", { metaKey: true }), true), "Ctrl+S");
  assert.equal(describe(key("s", { metaKey: true }), false), "S");
  assert.equal(describe(key("_", { ctrlKey: true, shiftKey: true })), "Ctrl+Shift+-");
  assert.equal(describe(key("Up")), "ArrowUp");
  // Shift that only picks a symbol is not a modifier of its own.
  assert.equal(describe(key("!", { shiftKey: true })), "!");
  assert.equal(describe(key("Shift", { shiftKey: true })), "Shift");
});

const bindings = {
  A: "insert-above",
  "D D": "delete",
  "I I": "interrupt",
  "0 0": "restart",
  D: "never",
};

test("a single key runs its command", () => {
  const chords = new Chords({ A: "insert-above", "D D": "delete" });
  assert.deepEqual(chords.press("A", 0), { command: "insert-above", pending: false });
  assert.deepEqual(chords.press("Q", 10), { command: null, pending: false });
});

test("a chord needs both keys within the timeout", () => {
  const chords = new Chords(bindings, 1000);
  assert.deepEqual(chords.press("D", 0), { command: null, pending: true });
  assert.deepEqual(chords.press("D", 500), { command: "delete", pending: false });
  // Two slow presses are two first halves, never a deletion.
  assert.equal(chords.press("D", 2000).command, null);
  assert.equal(chords.press("D", 3500).command, null);
  assert.equal(chords.press("D", 3600).command, "delete");
});

test("another key in between drops the chord and counts on its own", () => {
  const chords = new Chords(bindings, 1000);
  chords.press("I", 0);
  assert.deepEqual(chords.press("A", 100), { command: "insert-above", pending: false });
  assert.equal(chords.press("I", 200).command, null);
  assert.equal(chords.press("0", 300).pending, true);
  assert.equal(chords.press("0", 400).command, "restart");
});

test("reset forgets a half-typed chord", () => {
  const chords = new Chords(bindings, 1000);
  chords.press("D", 0);
  chords.reset();
  assert.equal(chords.press("D", 10).command, null);
});
