import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContentModel } from "./api";
import { encodePath } from "./api";
import {
  basename,
  crumbs,
  dirname,
  formatAge,
  formatSize,
  joinPath,
  openTarget,
  sortItems,
  validName,
} from "./format";

function item(
  name: string,
  type: ContentModel["type"],
  size: number | null,
  modified: string,
): ContentModel {
  return {
    name,
    path: name,
    type,
    size,
    last_modified: modified,
    created: null,
    writable: true,
    mimetype: null,
    format: null,
    content: null,
  };
}

test("paths join without stray slashes and split back", () => {
  assert.equal(joinPath("", "a/", "/b", "c.txt"), "a/b/c.txt");
  assert.equal(joinPath("", ""), "");
  assert.equal(dirname("a/b/c.txt"), "a/b");
  assert.equal(dirname("c.txt"), "");
  assert.equal(basename("a/b/c.txt"), "c.txt");
});

test("breadcrumbs start at the root and end at the directory", () => {
  assert.deepEqual(crumbs(""), [{ name: "root", path: "" }]);
  assert.deepEqual(crumbs("a/b"), [
    { name: "root", path: "" },
    { name: "a", path: "a" },
    { name: "b", path: "a/b" },
  ]);
});

test("path segments are percent-encoded once, slashes kept", () => {
  assert.equal(encodePath("my dir/a#b?.ipynb"), "my%20dir/a%23b%3F.ipynb");
  assert.equal(encodePath(""), "");
});

test("sizes read like a file manager's", () => {
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(999), "999 B");
  assert.equal(formatSize(1500), "1.5 kB");
  assert.equal(formatSize(12_345_678), "12 MB");
  assert.equal(formatSize(null), "");
});

test("ages are relative for recent times and a date for old ones", () => {
  const now = new Date("2026-01-10T12:00:00Z");
  assert.equal(formatAge("2026-01-10T11:59:50Z", now), "just now");
  assert.equal(formatAge("2026-01-10T11:55:00Z", now), "5 min ago");
  assert.equal(formatAge("2026-01-10T09:00:00Z", now), "3 h ago");
  assert.equal(formatAge("2026-01-08T12:00:00Z", now), "2 days ago");
  assert.equal(formatAge("2025-06-01T00:00:00Z", now), "2025-06-01");
  assert.equal(formatAge(null, now), "");
});

test("folders sort first, then by the chosen key in either direction", () => {
  const items = [
    item("b.txt", "file", 300, "2026-01-01T00:00:00Z"),
    item("a10.txt", "file", 10, "2026-01-03T00:00:00Z"),
    item("a9.txt", "file", 2000, "2026-01-02T00:00:00Z"),
    item("zdir", "directory", null, "2026-01-04T00:00:00Z"),
  ];
  const names = (key: "name" | "size" | "modified", ascending: boolean): string[] =>
    sortItems(items, { key, ascending }).map((i) => i.name);
  assert.deepEqual(names("name", true), ["zdir", "a9.txt", "a10.txt", "b.txt"]);
  assert.deepEqual(names("name", false), ["zdir", "b.txt", "a10.txt", "a9.txt"]);
  assert.deepEqual(names("size", true), ["zdir", "a10.txt", "b.txt", "a9.txt"]);
  assert.deepEqual(names("size", false), ["zdir", "a9.txt", "b.txt", "a10.txt"]);
  assert.deepEqual(names("modified", false), ["zdir", "a10.txt", "a9.txt", "b.txt"]);
});

test("items open in the tree, the editors or as raw files", () => {
  assert.equal(openTarget({ type: "directory", name: "x" }), "tree");
  assert.equal(openTarget({ type: "notebook", name: "x.ipynb" }), "notebooks");
  assert.equal(openTarget({ type: "file", name: "x.py" }), "edit");
  assert.equal(openTarget({ type: "file", name: "plot.PNG" }), "files");
  assert.equal(openTarget({ type: "file", name: "paper.pdf" }), "files");
});

test("names with slashes or dot-only names are refused", () => {
  assert.ok(validName("notes.txt"));
  assert.ok(!validName(""));
  assert.ok(!validName(" .. "));
  assert.ok(!validName("a/b"));
});
