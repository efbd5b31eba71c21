// The cells on the page, following the document's cell array: one CellView per cell id,
// drawn in animation frames and only near the viewport (an IntersectionObserver).

import * as Y from "yjs";
import type { Api } from "../api";
import { CellView, type EditorModule } from "./cellview";
import type { CellType, NotebookModel } from "./model";
import type { OutputActions } from "./render";
import type { Runs } from "./runs";

export interface ListEvents {
  /** The order changed; `activeId` was the active cell before. */
  reordered(activeId: string | undefined): void;
  /** A cell that was being edited was replaced (moved) or changed type. */
  editorLost(view: CellView): void;
  /** The first screen of cells has been drawn. */
  painted(): void;
}

export class CellList {
  readonly views = new Map<string, CellView>();
  order: CellView[] = [];
  editorMod: EditorModule | null = null;
  private observer: IntersectionObserver;
  private queued = new Set<CellView>();
  private frame = 0;
  private painted = false;
  loaded = false;

  constructor(
    private readonly box: HTMLElement,
    private readonly model: NotebookModel,
    private readonly runs: Runs,
    private readonly api: Api,
    public path: string,
    private readonly on: ListEvents,
    private readonly activeId: () => string | undefined,
  ) {
    // Cells within a screen of the viewport are drawn; the rest stay cheap placeholders.
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), {
      rootMargin: "100% 0px",
    });
    model.cells.observeDeep((events) => this.onDocChange(events));
    setInterval(() => this.tick(), 1000);
  }

  private onDocChange(events: Y.YEvent<Y.AbstractType<unknown>>[]): void {
    let structural = false;
    const touched = new Set<Y.Map<unknown>>();
    for (const ev of events) {
      if (ev.target === this.model.cells) {
        structural = true;
        continue;
      }
      let t: Y.AbstractType<unknown> | null = ev.target;
      while (t && t.parent !== this.model.cells) t = t.parent as Y.AbstractType<unknown> | null;
      if (t instanceof Y.Map) touched.add(t);
    }
    if (structural) this.reconcile();
    for (const cell of touched) {
      const view = this.views.get(String(cell.get("id")));
      if (view) this.syncView(view, cell);
    }
  }

  private syncView(view: CellView, cell: Y.Map<unknown>): void {
    const src = cell.get("source");
    const type = (cell.get("cell_type") as CellType) ?? "code";
    const typeChanged = type !== view.type;
    const text = src instanceof Y.Text ? src.toString() : String(src ?? "");
    view.setSource(type, text, (cell.get("execution_count") as number | null) ?? null);
    if (typeChanged && view.editor) {
      view.closeEditor(false);
      this.on.editorLost(view);
    }
    this.queueDraw(view);
  }

  /** Make the page's cells follow the document's cell array. */
  private reconcile(): void {
    const activeId = this.activeId();
    const next: CellView[] = [];
    const seen = new Set<string>();
    for (const cell of this.model.cells.toArray()) {
      const id = String(cell.get("id"));
      if (seen.has(id)) continue;
      seen.add(id);
      let view = this.views.get(id);
      if (!view) {
        view = new CellView(id);
        this.views.set(id, view);
        view.setRun(this.runs.get(id));
        this.observer.observe(view.el);
      } else if (view.editor && view.boundText !== cell.get("source")) {
        // A moved cell is a new shared type: its editor must follow it.
        view.closeEditor(false);
        this.on.editorLost(view);
      }
      this.syncView(view, cell);
      next.push(view);
    }
    for (const [id, view] of this.views) {
      if (seen.has(id)) continue;
      this.observer.unobserve(view.el);
      view.destroy();
      this.views.delete(id);
      this.queued.delete(view);
    }
    if (this.order.length === 0 && !this.box.firstElementChild) {
      // The first load: one insertion for all the cells.
      const frag = document.createDocumentFragment();
      for (const view of next) frag.append(view.el);
      this.box.append(frag);
    }
    let prev: Element | null = null;
    for (const view of next) {
      const at: Element | null = prev ? prev.nextElementSibling : this.box.firstElementChild;
      if (at !== view.el) {
        if (prev) prev.after(view.el);
        else this.box.prepend(view.el);
      }
      prev = view.el;
    }
    this.order = next;
    this.on.reordered(activeId);
  }

  /** The cell's run changed (outputs, state). */
  refreshRun(cellId: string): void {
    const view = this.views.get(cellId);
    if (!view) return;
    view.setRun(this.runs.get(cellId));
    this.queueDraw(view);
  }

  refreshAll(): void {
    for (const v of this.order) {
      v.setRun(this.runs.get(v.id));
      this.queueDraw(v);
    }
  }

  private onIntersect(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      const view = this.views.get((e.target as HTMLElement).dataset["id"] ?? "");
      if (!view) continue;
      view.visible = e.isIntersecting;
      if (view.visible) this.queueDraw(view);
    }
  }

  /** Draw the cell in the next frame if it is near the viewport. */
  queueDraw(view: CellView): void {
    if (!view.visible) return;
    this.queued.add(view);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const views = [...this.queued];
      this.queued.clear();
      for (const v of views) v.draw(this.editorMod, this.actions(v));
      if (this.loaded && !this.painted) {
        this.painted = true;
        this.on.painted();
      }
    });
  }

  /** The editor module has loaded: highlight the code cells drawn as plain text. */
  setEditorModule(mod: EditorModule): void {
    this.editorMod = mod;
    for (const v of this.order) if (v.type === "code" && v.dirtySource) this.queueDraw(v);
  }

  private tick(): void {
    const now = Date.now();
    for (const v of this.order) if (v.visible && v.run?.startedAt != null) v.tick(now);
  }

  private actions(view: CellView): OutputActions {
    const fetchBytes = async (index: number): Promise<Blob> => {
      const query = { path: this.path, cell_id: view.id, index: String(index) };
      const url = this.api.linkUrl("carnet/api/documents", "output", query);
      const res = await fetch(url, { headers: this.api.authHeaders(), credentials: "same-origin" });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.blob();
    };
    return {
      fetchAll: async (index) => {
        const text = await (await fetchBytes(index)).text();
        if (view.run?.outputs[index]?.output_type === "stream") return text;
        try {
          const content = JSON.parse(text) as { data?: Record<string, unknown> };
          const plain = content.data?.["text/plain"];
          return Array.isArray(plain) ? plain.join("") : String(plain ?? text);
        } catch {
          return text;
        }
      },
      download: (index) => {
        void fetchBytes(index).then((blob) => {
          const a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          a.download = `output-${view.id}-${index}.txt`;
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
        });
      },
    };
  }
}
