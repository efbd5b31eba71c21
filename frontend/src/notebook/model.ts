// The notebook as a yjs document, in the schema the server uses (jupyter_ydoc's; see
// src/carnet/documents/notebook.py): "meta" map, "state" map, "cells" array of maps.
// Structural edits carry the CELL_OPS origin, so Z / Shift+Z undo exactly those.

import * as Y from "yjs";

export type CellType = "code" | "markdown" | "raw";
export const CELL_OPS = "carnet-cell-ops";
/** Origin of updates that came from the server (they are not sent back). */
export const REMOTE = "carnet-remote";

export interface CellData {
  cell_type: CellType;
  source: string;
  metadata?: Record<string, unknown>;
  id?: string;
}

export function newCellId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class NotebookModel {
  readonly doc = new Y.Doc();
  readonly cells: Y.Array<Y.Map<unknown>> = this.doc.getArray("cells");
  readonly meta: Y.Map<unknown> = this.doc.getMap("meta");
  readonly undo = new Y.UndoManager(this.cells, {
    trackedOrigins: new Set([CELL_OPS]),
    captureTimeout: 0,
  });

  get length(): number {
    return this.cells.length;
  }

  cell(index: number): Y.Map<unknown> | undefined {
    return this.cells.get(index);
  }

  id(index: number): string {
    return String(this.cells.get(index)?.get("id") ?? "");
  }

  indexOf(id: string): number {
    const arr = this.cells.toArray();
    for (let i = 0; i < arr.length; i++) if (arr[i]?.get("id") === id) return i;
    return -1;
  }

  type(index: number): CellType {
    return (this.cells.get(index)?.get("cell_type") as CellType) ?? "code";
  }

  source(index: number): Y.Text {
    let text = this.cells.get(index)?.get("source");
    if (!(text instanceof Y.Text)) {
      // A cell whose source is a plain string (written by an old client): make it shared.
      const cell = this.cells.get(index);
      const value = typeof text === "string" ? text : "";
      text = new Y.Text(value);
      this.doc.transact(() => cell?.set("source", text), CELL_OPS);
    }
    return text as Y.Text;
  }

  /** The kernel spec's display name and name from the notebook metadata. */
  kernelspec(): { name: string; display: string } {
    const md = this.meta.get("metadata");
    const obj = md instanceof Y.Map ? (md.toJSON() as Record<string, unknown>) : (md ?? {});
    const ks = ((obj as Record<string, unknown>)["kernelspec"] ?? {}) as Record<string, unknown>;
    return {
      name: String(ks["name"] ?? ""),
      display: String(ks["display_name"] ?? ks["name"] ?? ""),
    };
  }

  private build(data: CellData): Y.Map<unknown> {
    const cell = new Y.Map<unknown>();
    cell.set("id", data.id ?? newCellId());
    cell.set("cell_type", data.cell_type);
    cell.set("source", new Y.Text(data.source));
    cell.set("metadata", new Y.Map(Object.entries(data.metadata ?? {})));
    if (data.cell_type === "code") cell.set("execution_count", null);
    return cell;
  }

  data(index: number): CellData {
    const cell = this.cells.get(index);
    const md = cell?.get("metadata");
    return {
      cell_type: this.type(index),
      source: this.source(index).toString(),
      metadata: md instanceof Y.Map ? (md.toJSON() as Record<string, unknown>) : {},
    };
  }

  insert(index: number, cells: CellData[]): string[] {
    const built = cells.map((c) => this.build(c));
    this.doc.transact(() => this.cells.insert(index, built), CELL_OPS);
    return built.map((c) => String(c.get("id")));
  }

  delete(indices: number[]): void {
    const sorted = [...indices].sort((a, b) => b - a);
    this.doc.transact(() => {
      for (const i of sorted) this.cells.delete(i, 1);
    }, CELL_OPS);
  }

  /** Move the cells `from..to` (inclusive) by `delta` places (yjs has no move: copy, delete). */
  move(from: number, to: number, delta: number): void {
    const target = from + delta;
    if (target < 0 || to + delta >= this.cells.length) return;
    this.doc.transact(() => {
      const copies = this.cells.slice(from, to + 1).map((c) => c.clone());
      this.cells.delete(from, to - from + 1);
      this.cells.insert(target, copies);
    }, CELL_OPS);
  }

  setType(indices: number[], type: CellType): void {
    this.doc.transact(() => {
      for (const i of indices) {
        const cell = this.cells.get(i);
        if (!cell || cell.get("cell_type") === type) continue;
        cell.set("cell_type", type);
        if (type === "code") cell.set("execution_count", null);
        else cell.delete("execution_count");
      }
    }, CELL_OPS);
  }

  /** Make a markdown heading of level `level` of each cell's first line. */
  setHeading(indices: number[], level: number): void {
    this.doc.transact(() => {
      for (const i of indices) {
        const cell = this.cells.get(i);
        if (!cell) continue;
        if (cell.get("cell_type") !== "markdown") {
          cell.set("cell_type", "markdown");
          cell.delete("execution_count");
        }
        const text = this.source(i);
        const old = text.toString();
        const hashes = /^#{0,6} ?/.exec(old)?.[0].length ?? 0;
        text.delete(0, hashes);
        text.insert(0, "#".repeat(level) + " ");
      }
    }, CELL_OPS);
  }

  /** Join cells `indices` (sorted) into the first of them, separated by a blank line. */
  merge(indices: number[]): void {
    if (indices.length < 2) return;
    const sorted = [...indices].sort((a, b) => a - b);
    const first = sorted[0] ?? 0;
    const joined = sorted.map((i) => this.source(i).toString()).join("\n\n");
    this.doc.transact(() => {
      const text = this.source(first);
      text.delete(0, text.length);
      text.insert(0, joined);
      for (const i of sorted.slice(1).reverse()) this.cells.delete(i, 1);
    }, CELL_OPS);
  }

  /** Split cell `index` at character `at`: the rest becomes a new cell below. */
  split(index: number, at: number): string {
    const text = this.source(index);
    const src = text.toString();
    const rest = src.slice(at).replace(/^\n/, "");
    let id = "";
    this.doc.transact(() => {
      text.delete(at, src.length - at);
      const head = text.toString();
      if (head.endsWith("\n")) text.delete(head.length - 1, 1);
      id = this.insert(index + 1, [{ cell_type: this.type(index), source: rest }])[0] ?? "";
    }, CELL_OPS);
    return id;
  }
}

/** Base64 of bytes (updates and state vectors travel as base64 in JSON). */
export function toBase64(data: Uint8Array): string {
  let s = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    s += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
