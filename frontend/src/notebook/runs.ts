// Every cell's current execution and outputs, rebuilt from the server's journal records
// with the same rules the server applies (docs/documents.md). Pure: no DOM.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type MimeBundle = Record<string, Json>;

export interface Output {
  output_type: "stream" | "display_data" | "execute_result" | "error";
  name?: string;
  text?: string;
  data?: MimeBundle;
  metadata?: Record<string, Json>;
  transient?: { display_id?: string };
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
  /** Bytes of the whole output on the server. */
  size?: number;
  /** The server sent only part of it: `head` and `tail` of the text, or nothing. */
  truncated?: boolean;
  head?: string;
  tail?: string;
}

export type RunState = "idle" | "queued" | "running" | "finished" | "error";

export interface Run {
  executionId: string;
  state: RunState;
  count: number | null;
  outputs: Output[];
  clearPending: boolean;
  /** Local clock (ms) when this client saw the run start and end, for the elapsed time. */
  startedAt: number | null;
  endedAt: number | null;
  /** Grows whenever the outputs change (views redraw only then). */
  version: number;
}

export interface OutputRecord {
  seq: number;
  cell_id: string;
  execution_id: string;
  msg_type: string;
  content: Record<string, Json>;
  elided?: number;
}

export interface OutputView {
  truncated: boolean;
  size: number;
  output: Record<string, Json>;
  head?: string;
  tail?: string;
}

export interface Snapshot {
  last_seq: number;
  cells: Record<
    string,
    { execution_id: string; state: RunState; execution_count: number | null; outputs: OutputView[] }
  >;
}

const OUTPUT_TYPES = new Set(["stream", "display_data", "execute_result", "error"]);
const STATE_KINDS = new Set(["carnet.state", "execute_input", "execute_reply"]);
const STATES = new Set(["queued", "running", "finished", "error"]);

function newRun(executionId: string): Run {
  return {
    executionId,
    state: "idle",
    count: null,
    outputs: [],
    clearPending: false,
    startedAt: null,
    endedAt: null,
    version: 0,
  };
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** A journal view (`{truncated, size, output, head, tail}`) as an output. */
export function fromView(view: OutputView): Output {
  const out = { ...view.output, size: view.size } as unknown as Output;
  if (view.truncated) {
    out.truncated = true;
    out.head = view.head ?? "";
    out.tail = view.tail ?? "";
  }
  if (out.output_type === "stream" && Array.isArray(out.text)) out.text = out.text.join("");
  return out;
}

export class Runs {
  readonly cells = new Map<string, Run>();
  lastSeq = 0;

  constructor(private readonly clock: () => number = () => Date.now()) {}

  get(cellId: string): Run | undefined {
    return this.cells.get(cellId);
  }

  private run(cellId: string, executionId: string): Run {
    let run = this.cells.get(cellId);
    if (!run || run.executionId !== executionId) {
      run = newRun(executionId);
      this.cells.set(cellId, run);
    }
    return run;
  }

  /** Replace everything with the server's `outputs` message. */
  snapshot(msg: Snapshot): void {
    const kept = new Map(this.cells);
    this.cells.clear();
    for (const [cellId, data] of Object.entries(msg.cells)) {
      const run = this.run(cellId, data.execution_id);
      const before = kept.get(cellId);
      if (before && before.executionId === data.execution_id) {
        run.startedAt = before.startedAt;
        run.endedAt = before.endedAt;
      }
      run.state = data.state;
      run.count = data.execution_count;
      run.outputs = data.outputs.map(fromView);
    }
    this.lastSeq = Math.max(this.lastSeq, msg.last_seq);
  }

  /**
   * An `output_view`: after a run whose output was only partly sent live, the head,
   * tail and size of one of its outputs. Ignored when the cell has moved on.
   */
  setView(cellId: string, executionId: string, index: number, view: OutputView): boolean {
    const run = this.cells.get(cellId);
    if (!run || run.executionId !== executionId || index < 0 || index >= run.outputs.length)
      return false;
    run.outputs[index] = fromView(view);
    run.version++;
    return true;
  }

  /** Set a cell's state from a `cell_state` message. */
  setState(cellId: string, executionId: string, state: RunState, count: number | null): void {
    const run = this.run(cellId, executionId);
    this.transition(run, state);
    if (count !== null) run.count = count;
  }

  private transition(run: Run, state: RunState): void {
    if (state === "running" && run.startedAt === null) run.startedAt = this.clock();
    if (
      (state === "finished" || state === "error") &&
      run.startedAt !== null &&
      run.endedAt === null
    )
      run.endedAt = this.clock();
    run.state = state;
  }

  /**
   * Apply one journal record; returns the ids of the cells whose outputs changed
   * (an `update_display_data` can change other cells).
   */
  apply(msg: OutputRecord): string[] {
    this.lastSeq = Math.max(this.lastSeq, msg.seq);
    const run = this.run(msg.cell_id, msg.execution_id);
    const kind = msg.msg_type;
    const content = msg.content;
    const changed = [msg.cell_id];
    if (!STATE_KINDS.has(kind)) run.version++;
    if (OUTPUT_TYPES.has(kind) && run.clearPending) {
      run.outputs = [];
      run.clearPending = false;
    }
    if (kind === "stream") {
      const name = String(content["name"] ?? "stdout");
      let last = run.outputs[run.outputs.length - 1];
      if (!last || last.output_type !== "stream" || last.name !== name) {
        last = { output_type: "stream", name, text: "", size: 0 };
        run.outputs.push(last);
      }
      if (msg.elided !== undefined) {
        last.truncated = true;
        last.size = (last.size ?? 0) + msg.elided;
      } else {
        const text = String(content["text"] ?? "");
        last.text = (last.text ?? "") + text;
        last.size = (last.size ?? 0) + utf8Length(text);
      }
    } else if (OUTPUT_TYPES.has(kind)) {
      const out = { output_type: kind, ...content } as unknown as Output;
      if (msg.elided !== undefined) {
        out.truncated = true;
        out.size = msg.elided;
      }
      run.outputs.push(out);
      if (kind === "execute_result" && typeof content["execution_count"] === "number")
        run.count = content["execution_count"];
    } else if (kind === "update_display_data") {
      const transient = content["transient"] as { display_id?: string } | null;
      const id = transient?.display_id;
      if (!id) return [];
      changed.length = 0;
      for (const [cellId, other] of this.cells) {
        for (const out of other.outputs) {
          if (out.transient?.display_id === id) {
            out.data = (content["data"] ?? {}) as MimeBundle;
            out.metadata = (content["metadata"] ?? {}) as Record<string, Json>;
            if (!changed.includes(cellId)) changed.push(cellId);
            other.version++;
          }
        }
      }
    } else if (kind === "clear_output") {
      if (content["wait"]) run.clearPending = true;
      else run.outputs = [];
    } else if (kind === "carnet.clear") {
      run.outputs = [];
    } else if (kind === "carnet.state" || kind === "execute_input" || kind === "execute_reply") {
      let state: RunState = run.state;
      if (kind === "carnet.state") {
        const s = String(content["state"]);
        if (STATES.has(s)) state = s as RunState;
      } else if (kind === "execute_input") {
        state = "running";
      } else {
        state = content["status"] === "ok" ? "finished" : "error";
      }
      this.transition(run, state);
      const count = content["execution_count"];
      if (typeof count === "number") run.count = count;
    }
    return changed;
  }
}

/** "[*]", "[ ]", "[3]": the prompt of a code cell. */
export function prompt(run: Run | undefined, docCount: number | null): string {
  if (run && (run.state === "queued" || run.state === "running")) return "[*]";
  const count = run?.count ?? docCount;
  return `[${count ?? " "}]`;
}

/** "1.2s", "3m 04s", "1h 02m": a short duration. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}
