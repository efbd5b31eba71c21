// The page's input: the keyboard (command mode, with chords, and the keys that work
// before the editor has loaded), the mouse on cells, and the editor's hooks.

import type { NotebookApp } from "./app";
import type { CellView } from "./cellview";
import type { EditorHooks } from "./editor";
import { describe } from "./keys";

const EDIT_KEYS: Record<string, string> = {
  "Shift+Enter": "run-advance",
  "Ctrl+Enter": "run",
  "Alt+Enter": "run-insert",
  Escape: "command",
};

/** Index in UTF-16 units of code point `cp` of `s` (kernels count code points). */
function cpToUnits(s: string, cp: number): number {
  let units = 0;
  for (const ch of s) {
    if (cp-- <= 0) break;
    units += ch.length;
  }
  return units;
}

function unitsToCp(s: string, units: number): number {
  return Array.from(s.slice(0, units)).length;
}

export function editorHooks(app: NotebookApp, view: CellView): EditorHooks {
  return {
    run: (how) =>
      void app.exec(how === "advance" ? "run-advance" : how === "stay" ? "run" : "run-insert"),
    command: () => app.commandMode(),
    split: (at) => {
      const i = app.model.indexOf(view.id);
      if (i < 0) return;
      app.model.split(i, at);
      app.select(i + 1);
      void app.edit("start");
    },
    leave: (dir) => {
      const i = app.order.indexOf(view);
      const j = i + dir;
      if (j < 0 || j >= app.order.length) return;
      app.select(j);
      void app.edit(dir > 0 ? "start" : "end");
    },
    save: () => void app.exec("save"),
    complete: async (code, pos) => {
      const reply = (await app.request("complete", {
        cell_id: view.id,
        code,
        cursor_pos: unitsToCp(code, pos),
      })) as { matches?: string[]; cursor_start?: number; cursor_end?: number };
      return {
        from: cpToUnits(code, reply.cursor_start ?? pos),
        to: cpToUnits(code, reply.cursor_end ?? pos),
        options: reply.matches ?? [],
      };
    },
    inspect: (code, pos) => {
      void app
        .request("inspect", {
          cell_id: view.id,
          code,
          cursor_pos: unitsToCp(code, pos),
          detail_level: 0,
        })
        .then((r) => {
          const reply = r as { found?: boolean; data?: Record<string, unknown> };
          const text = reply.found
            ? String(reply.data?.["text/plain"] ?? "")
            : "Nothing found for the name at the cursor.";
          view.showTip(text);
        })
        .catch(() => view.showTip("Inspection needs the connection to the server."));
    },
    dismiss: () => view.hideTip(),
  };
}

export function bindInput(app: NotebookApp): void {
  const mac = /Mac|iPhone|iPad/.test(navigator.platform);
  document.addEventListener("keydown", (ev) => {
    const target = ev.target as HTMLElement | null;
    const key = describe(ev, mac);
    if (key === "Ctrl+S") {
      ev.preventDefault();
      void app.exec("save");
      return;
    }
    if (document.querySelector("dialog[open]")) return;
    if (target?.closest("input, textarea, select, [contenteditable=true], .cm-editor, details")) {
      if (key === "Escape" && target.closest(".stdin")) app.commandMode();
      return;
    }
    if ((key === "Enter" || key === "Space") && target?.closest("button, a, summary")) return;
    if (app.mode === "edit") {
      // The editor is still loading: running and leaving work already.
      const run = EDIT_KEYS[key];
      if (run) {
        ev.preventDefault();
        void app.exec(run);
      }
      return;
    }
    const result = app.chords.press(key, performance.now());
    if (result.command) {
      ev.preventDefault();
      void app.exec(result.command);
    } else if (result.pending) {
      ev.preventDefault();
    }
  });
  app.chrome.cells.addEventListener("mousedown", (ev) => {
    const target = ev.target as HTMLElement;
    const el = target.closest<HTMLElement>(".cell");
    if (!el || target.closest("a, button, input, .outputs")) {
      if (el) selectView(app, el, ev.shiftKey);
      return;
    }
    const view = app.views.get(el.dataset["id"] ?? "");
    if (!view) return;
    const i = app.order.indexOf(view);
    if (target.closest(".cm-editor")) {
      if (app.active !== i || app.mode !== "edit") {
        app.select(i, false, false);
        app.mode = "edit";
        app.showSelection();
      }
      return;
    }
    ev.preventDefault();
    if (ev.shiftKey) {
      app.select(i, true, false);
      app.commandMode();
      return;
    }
    app.select(i, false, false);
    // The cursor goes where the click was, as if the editor had been there all along.
    const at = { x: ev.clientX, y: ev.clientY };
    if (view.type !== "markdown" && target.closest(".input")) void app.edit(at);
    else app.commandMode();
  });
  app.chrome.cells.addEventListener("dblclick", (ev) => {
    const el = (ev.target as HTMLElement).closest<HTMLElement>(".cell.markdown");
    if (!el || (ev.target as HTMLElement).closest(".cm-editor")) return;
    selectView(app, el, false);
    void app.edit("end");
  });
}

function selectView(app: NotebookApp, el: HTMLElement, extend: boolean): void {
  const view = app.views.get(el.dataset["id"] ?? "");
  if (!view) return;
  app.select(app.order.indexOf(view), extend, false);
  app.commandMode();
}
