// The notebook page: the document and its connection (sync.ts), the cells on the page
// (cells.ts), the selection and the two modes of the Jupyter keyboard model, and what
// the server says about outputs, the kernel and the file.

import { Api, encodePath } from "../api";
import { Commands } from "./actions";
import { CellList } from "./cells";
import type { CellView, EditorModule } from "./cellview";
import { buildChrome, setBanner, type Chrome } from "./chrome";
import { commandBindings } from "./commands";
import type { Message } from "./connection";
import { Chords } from "./keys";
import { bindInput, editorHooks } from "./input";
import { NotebookModel } from "./model";
import { Runs, type OutputRecord, type OutputView, type RunState, type Snapshot } from "./runs";
import { setSandboxUrl } from "./sandbox";
import { NotebookSync } from "./sync";

export interface PageConfig {
  baseUrl: string;
  /** The server token, only when the page was fetched with it in a header. */
  token: string | null;
  /** The XSRF token of the browser's login session (writes send it). */
  xsrf: string | null;
  path: string;
  /** The nonce the page's CSP allows for the editor's <style> element. */
  styleNonce: string;
}

type Mode = "command" | "edit";

export class NotebookApp {
  readonly model = new NotebookModel();
  readonly runs = new Runs();
  readonly chrome: Chrome;
  readonly api: Api;
  readonly sync: NotebookSync;
  readonly list: CellList;
  readonly commands: Commands;
  active = 0;
  /** The file was deleted: the cells stay on screen, nothing can change them any more. */
  deleted = false;
  anchor = 0;
  mode: Mode = "command";
  kernelState = "unknown";
  lineNumbers = false;
  readonly chords = new Chords(commandBindings());
  private editorLoad: Promise<EditorModule> | null = null;
  private savedAt: Date | null = null;
  private checkpointAt: Date | null = null;
  private input: { request_id: string; cell_id: string | null } | null = null;
  private onSaved: (() => void)[] = [];
  /** Set while this page waits for a file change it caused (a revert): it then reloads. */
  private expectedChange: string | null = null;
  private expectedUntil = 0;
  private statusFrame = 0;
  /** Since when edits wait for the server's acknowledgement (0: none waits). */
  private pendingSince = 0;
  private pendingTimer = 0;

  constructor(readonly config: PageConfig) {
    const { name, dir } = splitPath(config.path);
    document.title = `${name} · carnet`;
    this.api = new Api(config.baseUrl, config.token, config.xsrf);
    this.commands = new Commands(this);
    this.chrome = buildChrome(name, this.api.linkUrl("tree", dir), (id) => void this.exec(id));
    document.body.append(this.chrome.root);
    setSandboxUrl(`${config.baseUrl}carnet/sandbox`);
    this.list = new CellList(
      this.chrome.cells,
      this.model,
      this.runs,
      this.api,
      config.path,
      {
        reordered: (activeId) => this.reordered(activeId),
        editorLost: (view) => {
          if (this.mode === "edit" && this.order[this.active] === view)
            queueMicrotask(() => void this.edit());
        },
        painted: () => {
          // Read by bench/notebook_paint.py: the first screen of cells is drawn.
          requestAnimationFrame(() => performance.mark("carnet-first-screen"));
          // The editor is not needed for the first paint; fetch it right after.
          setTimeout(() => void this.loadEditor(), 50);
        },
      },
      () => this.order[this.active]?.id,
    );
    this.sync = new NotebookSync(this.api, config.path, this.model, {
      message: (msg) => this.receive(msg),
      loaded: () => {
        this.list.loaded = true;
        this.chrome.root.classList.add("loaded");
        // A new notebook has no cells; Jupyter gives it one to type into.
        if (this.model.length === 0) this.commands.insert(0);
        this.commandMode();
      },
      // Called on every keystroke (an edit sent, then acknowledged): draw once per frame.
      changed: () => this.queueStatus(),
      lastSeq: () => this.runs.lastSeq,
    });
    this.model.meta.observeDeep(() => this.showKernel());
    bindInput(this);
    window.addEventListener("beforeunload", (ev) => {
      if (this.sync.unsaved) ev.preventDefault();
    });
  }

  start(): void {
    this.sync.start();
  }

  get order(): CellView[] {
    return this.list.order;
  }

  get views(): Map<string, CellView> {
    return this.list.views;
  }

  get link(): string {
    return this.sync.link;
  }

  exec(id: string): Promise<void> {
    return this.commands.exec(id);
  }

  /** Send now, or as soon as the connection is back. */
  post(msg: Message): void {
    this.sync.post(msg);
  }

  request(type: string, body: Record<string, unknown>): Promise<unknown> {
    return this.sync.request(type, body);
  }

  /**
   * The next change of the file on disk is this page's doing (`message` says what it was,
   * once reloaded): reload it without asking. null: no change is expected any more.
   */
  expectFileChange(message: string | null): void {
    this.expectedChange = message;
    // The server checks the file every second or so; a change much later is someone else's.
    this.expectedUntil = Date.now() + 15_000;
  }

  /** Write the file now (with a checkpoint); resolves when written, or after 10 s. */
  saveNow(): Promise<void> {
    return new Promise((resolve) => {
      this.onSaved.push(resolve);
      setTimeout(resolve, 10_000);
      this.post({ type: "save" });
    });
  }

  queueDraw(view: CellView): void {
    this.list.queueDraw(view);
  }

  refreshRun(cellId: string): void {
    this.list.refreshRun(cellId);
  }

  private loadEditor(): Promise<EditorModule> {
    this.editorLoad ??= import("./editor").then((mod) => {
      this.list.setEditorModule(mod);
      return mod;
    });
    return this.editorLoad;
  }

  private reordered(activeId: string | undefined): void {
    const n = this.order.length;
    const idx = activeId ? this.order.findIndex((v) => v.id === activeId) : -1;
    this.active = Math.max(0, Math.min(idx >= 0 ? idx : this.active, n - 1));
    this.anchor = Math.max(0, Math.min(this.anchor, n - 1));
    this.showSelection();
  }

  /** The file now lives at `path` (renamed here or elsewhere): show it, and use it from now on. */
  moved(path: string): void {
    if (!path || path === this.config.path) return;
    this.config.path = path;
    this.sync.conn.path = path;
    this.list.path = path;
    const { name, dir } = splitPath(path);
    document.title = `${name} · carnet`;
    this.chrome.title.textContent = name;
    this.chrome.home.href = this.api.linkUrl("tree", dir);
    // The query keeps a token given in the address; the base URL stays the server's.
    const url = `${this.config.baseUrl}notebooks/${encodePath(path)}${location.search}${location.hash}`;
    history.replaceState(history.state, "", url);
  }

  private fileDeleted(): void {
    if (this.deleted) return;
    this.deleted = true;
    this.sync.close();
    for (const view of this.order) if (view.editor) view.closeEditor(false);
    this.commandMode();
    this.chrome.root.classList.add("read-only");
    this.chrome.root.setAttribute("aria-readonly", "true");
    for (const key of ["file", "kernel", "kernel-died", "error"]) setBanner(this.chrome, key, null);
    setBanner(
      this.chrome,
      "deleted",
      "This notebook was deleted. What is shown here is read-only and is not saved anywhere; copy what you need.",
      [],
      "error",
    );
    this.chrome.save.textContent = "Deleted";
    this.chrome.save.dataset["state"] = "deleted";
    this.chrome.save.title = "The file was deleted: nothing on this page is saved";
  }

  // -- what the server says ---------------------------------------------------------------
  private receive(msg: Message): void {
    if (this.deleted) return;
    switch (msg.type) {
      case "moved":
        this.moved(String(msg["path"] ?? ""));
        break;
      case "deleted":
        this.fileDeleted();
        break;
      case "outputs":
        this.runs.snapshot(msg as unknown as Snapshot);
        this.list.refreshAll();
        break;
      case "output":
        for (const id of this.runs.apply(msg as unknown as OutputRecord)) this.refreshRun(id);
        break;
      case "output_view":
        if (
          this.runs.setView(
            String(msg["cell_id"]),
            String(msg["execution_id"]),
            Number(msg["index"]),
            msg["view"] as OutputView,
          )
        )
          this.refreshRun(String(msg["cell_id"]));
        break;
      case "cell_state":
        this.runs.setState(
          String(msg["cell_id"]),
          String(msg["execution_id"]),
          msg["state"] as RunState,
          (msg["execution_count"] as number | null) ?? null,
        );
        this.refreshRun(String(msg["cell_id"]));
        break;
      case "kernel_status":
        this.kernelState = String(msg["execution_state"]);
        if (this.kernelState === "restarting" && !this.commands.restarting) {
          // Nobody asked for this restart: the kernel died (out of memory, a crash).
          const dismiss = (): void => setBanner(this.chrome, "kernel-died", null);
          setBanner(
            this.chrome,
            "kernel-died",
            "The kernel died and was restarted: its variables are gone, the outputs so far are kept. Run the cells again to carry on.",
            [
              ["Run all", () => (dismiss(), void this.exec("run-all"))],
              ["Dismiss", dismiss],
            ],
            "error",
          );
        }
        this.showKernel();
        break;
      case "input_request":
        this.askInput(msg);
        break;
      case "input_done":
        if (this.input && this.input.request_id === msg["request_id"]) {
          if (this.input.cell_id) this.views.get(this.input.cell_id)?.inputDone();
          this.input = null;
        }
        break;
      case "saved":
        for (const done of this.onSaved.splice(0)) done();
        this.savedAt = new Date();
        if (msg["checkpoint"]) this.checkpointAt = this.savedAt;
        this.showSave();
        break;
      case "file_changed":
        if (this.expectedChange !== null && !msg["deleted"] && Date.now() < this.expectedUntil) {
          setBanner(this.chrome, "file", null);
          this.post({ type: "file_choice", choice: "reload" });
          break;
        }
        setBanner(
          this.chrome,
          "file",
          msg["deleted"]
            ? "The file was deleted on disk. Keep this version to write it again."
            : "The file changed on disk. Reload it, or keep this version (the one on disk is set aside as a copy).",
          [
            ["Reload from disk", () => this.post({ type: "file_choice", choice: "reload" })],
            ["Keep this version", () => this.post({ type: "file_choice", choice: "keep" })],
          ],
        );
        break;
      case "file_resolved":
        setBanner(this.chrome, "file", null);
        if (this.expectedChange !== null && msg["choice"] === "reload") {
          const text = this.expectedChange;
          this.expectedChange = null;
          setBanner(
            this.chrome,
            "revert",
            text,
            [["Dismiss", () => setBanner(this.chrome, "revert", null)]],
            "info",
          );
        }
        break;
      case "error":
        setBanner(
          this.chrome,
          "error",
          String(msg["message"]),
          [["Dismiss", () => setBanner(this.chrome, "error", null)]],
          "error",
        );
        break;
    }
  }

  // -- status ---------------------------------------------------------------------------
  private queueStatus(): void {
    if (this.statusFrame) return;
    this.statusFrame = requestAnimationFrame(() => {
      this.statusFrame = 0;
      this.showSave();
      this.showKernel();
    });
  }

  private showSave(): void {
    if (this.deleted) return;
    const el = this.chrome.save;
    let text: string;
    let cls: string;
    const time = (d: Date): string =>
      d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    if (!this.sync.pending.size) this.pendingSince = 0;
    if (this.link !== "online") {
      const n = this.sync.offlineEdits;
      text = this.sync.loaded
        ? n
          ? `Offline · ${n} edit${n > 1 ? "s" : ""} pending`
          : "Offline"
        : "Connecting…";
      cls = "offline";
    } else if (this.sync.pending.size && this.slowAck()) {
      text = "Saving…";
      cls = "saving";
    } else if (this.checkpointAt) {
      text = `Saved · checkpoint ${time(this.checkpointAt)}`;
      cls = "saved";
    } else {
      text = "Saved";
      cls = "saved";
    }
    // Writing the same text again would still lay the header out anew on every key.
    if (el.textContent !== text) el.textContent = text;
    if (el.dataset["state"] !== cls) el.dataset["state"] = cls;
    const title =
      cls === "offline"
        ? "Not connected to the server: edits are kept here and sent when it is back"
        : this.savedAt
          ? `Every edit is stored on the server; the file was last written at ${time(this.savedAt)}`
          : "Every edit is stored on the server as you type; the file is written shortly after";
    if (el.title !== title) el.title = title;
  }

  /**
   * An edit is acknowledged within a few milliseconds: "Saving…" only shows when one
   * waits longer than a second, so the header does not flicker (and relayout) per key.
   */
  private slowAck(): boolean {
    const now = performance.now();
    if (!this.pendingSince) this.pendingSince = now;
    if (now - this.pendingSince >= 1000) return true;
    if (!this.pendingTimer)
      this.pendingTimer = window.setTimeout(() => {
        this.pendingTimer = 0;
        this.queueStatus();
      }, 1000);
    return false;
  }

  showKernel(): void {
    const ks = this.model.kernelspec();
    const name = ks.display || ks.name || "Kernel";
    const state =
      this.link !== "online"
        ? "disconnected"
        : this.kernelState === "unknown" || this.kernelState === "none"
          ? "not started"
          : this.kernelState;
    const label = `${name} · ${state}`;
    if (this.chrome.kernel.textContent !== label) this.chrome.kernel.textContent = label;
    if (this.chrome.kernel.dataset["state"] !== state) this.chrome.kernel.dataset["state"] = state;
    if (state === "dead") {
      setBanner(
        this.chrome,
        "kernel",
        "The kernel died (it may have run out of memory). Outputs so far are kept; restart the kernel to run code again.",
        [["Restart kernel", () => void this.exec("restart-now")]],
        "error",
      );
    } else if (state !== "disconnected") {
      setBanner(this.chrome, "kernel", null);
    }
  }

  // -- selection and modes ----------------------------------------------------------------
  range(): number[] {
    const lo = Math.min(this.anchor, this.active);
    const hi = Math.max(this.anchor, this.active);
    const out: number[] = [];
    for (let i = lo; i <= hi && i < this.order.length; i++) out.push(i);
    return out;
  }

  showSelection(): void {
    const sel = new Set(this.range());
    this.order.forEach((v, i) => {
      const on = sel.has(i);
      if (v.el.classList.contains("selected") !== on) v.el.classList.toggle("selected", on);
      const act = i === this.active;
      if (v.el.classList.contains("active") !== act) v.el.classList.toggle("active", act);
      const editing = act && this.mode === "edit";
      if (v.el.classList.contains("editing") !== editing) v.el.classList.toggle("editing", editing);
    });
    this.chrome.root.dataset["mode"] = this.mode;
  }

  /** Select cell `index` (`extend`: up to the anchor); `scroll` it into view (keyboard). */
  select(index: number, extend = false, scroll = true): void {
    if (this.order.length === 0) return;
    this.active = Math.max(0, Math.min(index, this.order.length - 1));
    if (!extend) this.anchor = this.active;
    this.showSelection();
    // A click must not scroll: the page would move between the press and the release.
    if (scroll) this.order[this.active]?.el.scrollIntoView({ block: "nearest" });
  }

  commandMode(): void {
    this.mode = "command";
    this.chords.reset();
    this.showSelection();
    this.chrome.cells.focus({ preventScroll: true });
  }

  /** Edit the active cell, with the cursor at its start, its end or a clicked point. */
  async edit(at?: "start" | "end" | { x: number; y: number }): Promise<void> {
    const view = this.order[this.active];
    if (!view || this.deleted) return;
    this.anchor = this.active;
    this.mode = "edit";
    this.showSelection();
    const mod = await this.loadEditor();
    if (view.type === "markdown") {
      await mod.loadMarkdown();
      view.editingMarkdown = true;
    }
    for (const other of this.order) if (other !== view && other.editor) other.closeEditor(false);
    for (const other of this.order) if (other !== view && other.dirtySource) this.queueDraw(other);
    const index = this.model.indexOf(view.id);
    if (index < 0) return;
    const text = this.model.source(index);
    const ed = view.openEditor((host) =>
      mod.createEditor(host, text, view.type, editorHooks(this, view), {
        lineNumbers: this.lineNumbers,
        nonce: this.config.styleNonce,
      }),
    );
    view.boundText = text;
    if (this.mode !== "edit" || this.order[this.active] !== view) return;
    ed.focus();
    if (at === undefined) return;
    const end = ed.state.doc.length;
    const pos = at === "start" ? 0 : at === "end" ? end : (ed.posAtCoords(at) ?? end);
    ed.dispatch({ selection: { anchor: pos } });
  }

  private askInput(msg: Message): void {
    const request_id = String(msg["request_id"]);
    const cellId = (msg["cell_id"] as string | null) ?? null;
    this.input = { request_id, cell_id: cellId };
    const view = (cellId && this.views.get(cellId)) || this.order[this.active];
    if (!view) return;
    view.visible = true;
    view.askInput(String(msg["prompt"] ?? ""), Boolean(msg["password"]), (value) => {
      this.post({ type: "input_reply", request_id, value });
    });
  }
}

function splitPath(path: string): { name: string; dir: string } {
  const slash = path.lastIndexOf("/");
  return { name: path.slice(slash + 1) || path, dir: slash >= 0 ? path.slice(0, slash) : "" };
}
