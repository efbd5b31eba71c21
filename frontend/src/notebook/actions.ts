// What the keys, menus and toolbar do: every command of commands.ts, by id.

import { encodePath } from "../api";
import { confirm, prompt as askText } from "../dialogs";
import type { NotebookApp } from "./app";
import { setBanner, showHelp } from "./chrome";
import { downloadExport, revertToCheckpoint } from "./files";
import type { CellData, CellType } from "./model";

/** What still works once the file is deleted: moving around and copying out. */
const READ_ONLY = new Set([
  "command",
  "copy",
  "select-up",
  "select-down",
  "extend-up",
  "extend-down",
  "extend-top",
  "extend-bottom",
  "select-all",
  "help",
]);

export class Commands {
  private clipboard: CellData[] = [];
  private outputModes = new Map<string, "normal" | "collapsed" | "scrolled">();
  /** Set while the kernel restarts; runs asked for meanwhile wait for it. */
  restarting: Promise<void> | null = null;

  constructor(private readonly app: NotebookApp) {}

  ids(indices: number[]): string[] {
    return indices.map((i) => this.app.order[i]?.id ?? "").filter(Boolean);
  }

  runCells(indices: number[]): void {
    const code: string[] = [];
    for (const i of indices) {
      const view = this.app.order[i];
      if (!view) continue;
      if (view.type === "code") code.push(view.id);
      else if (view.editor || view.editingMarkdown) {
        view.closeEditor(true);
        view.editingMarkdown = false;
        view.dirtySource = true;
        this.app.queueDraw(view);
      }
    }
    if (!code.length) return;
    const msg = { type: "execute", cell_ids: code };
    // A run sent while the kernel restarts would be cut short by the restart's end.
    if (this.restarting) void this.restarting.then(() => this.app.post(msg));
    else this.app.post(msg);
  }

  insert(at: number, type: CellType = "code"): void {
    at = Math.max(0, Math.min(at, this.app.model.length));
    this.app.model.insert(at, [{ cell_type: type, source: "" }]);
    this.app.select(at);
  }

  async exec(id: string): Promise<void> {
    if (this.app.deleted && !READ_ONLY.has(id)) return;
    const sel = this.app.range();
    const n = this.app.order.length;
    switch (id) {
      case "edit":
        return this.app.edit("end");
      case "command":
        return this.app.commandMode();
      case "run-advance":
      case "run":
      case "run-insert": {
        this.runCells(sel);
        const last = Math.max(...sel, this.app.active);
        if (id === "run") return this.app.mode === "edit" ? undefined : this.app.commandMode();
        if (id === "run-insert" || last >= n - 1) {
          this.insert(last + 1);
          return this.app.edit();
        }
        this.app.select(last + 1);
        return this.app.commandMode();
      }
      case "run-all":
        return this.runCells([...Array(n).keys()]);
      case "run-above":
        return this.runCells([...Array(this.app.active).keys()]);
      case "run-below":
        return this.runCells(
          [...Array(n - this.app.active).keys()].map((i) => i + this.app.active),
        );
      case "insert-above":
        this.insert(this.app.active);
        return this.app.commandMode();
      case "insert-below":
        this.insert(this.app.active + 1);
        return this.app.commandMode();
      case "delete": {
        if (!n) return;
        const first = Math.min(...sel);
        this.app.model.delete(sel);
        if (this.app.model.length === 0)
          this.app.model.insert(0, [{ cell_type: "code", source: "" }]);
        this.app.select(Math.min(first, this.app.order.length - 1));
        return this.app.commandMode();
      }
      case "undo":
        this.app.model.undo.undo();
        return;
      case "redo":
        this.app.model.undo.redo();
        return;
      case "copy":
      case "cut":
        this.clipboard = sel.map((i) => this.app.model.data(i));
        if (id === "cut") return this.exec("delete");
        return;
      case "paste":
      case "paste-above": {
        if (!this.clipboard.length) return;
        const at = id === "paste" ? Math.max(...sel) + 1 : Math.min(...sel);
        this.app.model.insert(at, this.clipboard);
        this.app.select(at + this.clipboard.length - 1);
        this.app.anchor = at;
        return this.app.showSelection();
      }
      case "to-code":
      case "to-markdown":
      case "to-raw":
        this.app.model.setType(sel, id.slice(3) as CellType);
        return;
      case "select-up":
        return this.app.select(this.app.active - 1);
      case "select-down":
        return this.app.select(this.app.active + 1);
      case "extend-up":
        return this.app.select(this.app.active - 1, true);
      case "extend-down":
        return this.app.select(this.app.active + 1, true);
      case "extend-top":
        return this.app.select(0, true);
      case "extend-bottom":
        return this.app.select(n - 1, true);
      case "select-all":
        this.app.anchor = 0;
        return this.app.select(n - 1, true);
      case "merge":
        if (sel.length > 1) this.app.model.merge(sel);
        else if (this.app.active < n - 1)
          this.app.model.merge([this.app.active, this.app.active + 1]);
        return this.app.select(Math.min(...sel));
      case "merge-above":
        if (this.app.active > 0) this.app.model.merge([this.app.active - 1, this.app.active]);
        return this.app.select(this.app.active - 1);
      case "merge-below":
        if (this.app.active < n - 1) this.app.model.merge([this.app.active, this.app.active + 1]);
        return;
      case "move-up":
      case "move-down": {
        const lo = Math.min(...sel);
        const hi = Math.max(...sel);
        const d = id === "move-up" ? -1 : 1;
        if (lo + d < 0 || hi + d >= n) return;
        const a = this.app.anchor;
        const act = this.app.active;
        this.app.model.move(lo, hi, d);
        this.app.anchor = a + d;
        return this.app.select(act + d, true);
      }
      case "split":
        return this.app.edit();
      case "clear-outputs":
        for (const i of sel) {
          const run = this.app.runs.get(this.app.order[i]?.id ?? "");
          if (run) {
            run.outputs = [];
            run.version++;
            this.app.refreshRun(this.app.order[i]?.id ?? "");
          }
        }
        return;
      case "toggle-output":
      case "toggle-scroll":
        for (const cid of this.ids(sel)) {
          const cur = this.outputModes.get(cid) ?? "normal";
          const want = id === "toggle-output" ? "collapsed" : "scrolled";
          const mode = cur === want ? "normal" : want;
          this.outputModes.set(cid, mode);
          this.app.views.get(cid)?.setOutputMode(mode);
        }
        return;
      case "line-numbers": {
        this.app.lineNumbers = !this.app.lineNumbers;
        const mod = this.app.list.editorMod;
        for (const v of this.app.order)
          if (v.editor && mod) mod.setLineNumbers(v.editor, this.app.lineNumbers);
        return;
      }
      case "heading-1":
      case "heading-2":
      case "heading-3":
      case "heading-4":
      case "heading-5":
      case "heading-6":
        this.app.model.setHeading(sel, Number(id.slice(-1)));
        return;
      case "interrupt":
        return this.app.post({ type: "interrupt" });
      case "restart":
      case "restart-run-all": {
        const ok = await confirm(
          id === "restart" ? "Restart the kernel?" : "Restart the kernel and run all cells?",
          ["Every variable in the kernel is lost. Outputs stay."],
          "Restart",
        );
        if (!ok) return;
        this.restart();
        if (id === "restart-run-all") return this.exec("run-all");
        return;
      }
      case "restart-now":
        this.restart();
        return;
      case "save":
        if (this.app.link !== "online") {
          setBanner(
            this.app.chrome,
            "save",
            "Offline: the checkpoint is made when the server is back.",
            [],
            "info",
          );
          setTimeout(() => setBanner(this.app.chrome, "save", null), 4000);
        }
        return this.app.post({ type: "save" });
      case "rename":
        return this.rename();
      case "download":
        return this.download();
      case "download-script":
        return downloadExport(this.app, "script");
      case "download-html":
        return downloadExport(this.app, "html");
      case "revert":
        return revertToCheckpoint(this.app);
      case "help":
        return showHelp();
    }
  }

  /**
   * Restart the kernel. Runs asked for until the server answers that the restart is
   * done wait for it (a run sent meanwhile would be cut short by the restart's end).
   */
  restart(): void {
    this.app.kernelState = "restarting";
    this.app.showKernel();
    const done = (): void => {
      this.restarting = null;
    };
    // Offline, the request fails at once: the restart is then sent on reconnection.
    const sent = this.app.request("restart", {}).catch(() => this.app.post({ type: "restart" }));
    const limit = new Promise<void>((resolve) => setTimeout(resolve, 60_000));
    this.restarting = Promise.race([sent.then(() => undefined), limit]).then(done);
  }

  async rename(): Promise<void> {
    const path = this.app.config.path;
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
    const name = path.slice(dir.length);
    const next = await askText("Rename notebook", "New name", name, "Rename", (v) =>
      !v ? "A name is needed" : v.includes("/") ? "A name cannot contain /" : null,
    );
    if (!next || next === name) return;
    const target = dir + (next.endsWith(".ipynb") ? next : `${next}.ipynb`);
    // The file is moved as it is on disk: write the latest edits first.
    await this.app.saveNow();
    try {
      await this.app.api.request("PATCH", `api/contents/${encodePath(path)}`, { path: target });
    } catch (err) {
      const dismiss: [string, () => void] = [
        "Dismiss",
        () => setBanner(this.app.chrome, "rename", null),
      ];
      setBanner(
        this.app.chrome,
        "rename",
        `Rename failed: ${(err as Error).message}`,
        [dismiss],
        "error",
      );
      return;
    }
    // The server also says `moved`; the page carries on at the new path either way.
    this.app.moved(target);
  }

  async download(): Promise<void> {
    // The download is the file on disk: write the latest edits first.
    await this.app.saveNow();
    const a = document.createElement("a");
    a.href = this.app.api.linkUrl("files", this.app.config.path, { download: "1" });
    a.download = this.app.config.path.split("/").pop() ?? "notebook.ipynb";
    a.click();
  }
}
