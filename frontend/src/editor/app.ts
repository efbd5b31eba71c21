// The text editor: one file, CodeMirror 6, saved through the contents API as text.
// A save first asks the server for the file's hash (or modification time): if the file
// changed on disk since it was opened or last saved here, nothing is written until the
// person chooses to reload it or to overwrite it.

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { Compartment, EditorState, Prec, type Text } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { Api, ApiError, encodePath, type ContentModel } from "../api";
import { h } from "../dom";
import { languageOf, loadLanguage } from "./languages";

export interface EditorConfig {
  baseUrl: string;
  token: string | null;
  xsrf: string | null;
  path: string;
  styleNonce: string;
}

/** Files larger than this open read-only: editing them in a browser tab is not sensible. */
export const READ_ONLY_BYTES = 5 * 1024 * 1024;
/** Files larger than this are not loaded at all; a download link is offered instead. */
export const MAX_BYTES = 50 * 1024 * 1024;

type SaveState = "saved" | "unsaved" | "saving" | "conflict" | "readonly" | "loading";

const STATE_TEXT: Record<SaveState, string> = {
  loading: "Loading…",
  saved: "Saved",
  unsaved: "Unsaved changes",
  saving: "Saving…",
  conflict: "Not saved: changed on disk",
  readonly: "Read-only",
};

interface Stamp {
  last_modified: string | null;
  hash?: string | null;
}

function changedOnDisk(known: Stamp, now: Stamp): boolean {
  if (known.hash && now.hash) return known.hash !== now.hash;
  return known.last_modified !== now.last_modified;
}

export class EditorApp {
  readonly api: Api;
  private view: EditorView | null = null;
  private savedDoc: Text | null = null;
  private known: Stamp = { last_modified: null };
  private saving = false;
  private readOnly = false;
  private conflict = false;
  private readonly status: HTMLElement;
  private readonly banners: HTMLElement;
  private readonly body: HTMLElement;
  private readonly saveButton: HTMLButtonElement;
  private readonly language = new Compartment();
  private readonly name: string;

  constructor(readonly config: EditorConfig) {
    this.api = new Api(config.baseUrl, config.token, config.xsrf);
    this.name = config.path.split("/").pop() ?? config.path;
    this.status = h("span", { class: "save-state", role: "status", "aria-live": "polite" });
    this.banners = h("div", { class: "banners" });
    this.body = h("main", { class: "text-editor", "aria-label": "Editor" });
    this.saveButton = h(
      "button",
      { type: "button", class: "button", title: "Save (Ctrl+S)", disabled: true },
      "Save",
    );
    this.saveButton.addEventListener("click", () => void this.save());
  }

  private get parent(): string {
    const path = this.config.path;
    return path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  }

  private downloadLink(): HTMLAnchorElement {
    const href = this.api.linkUrl("files", this.config.path, { download: "1" });
    return h("a", { href, download: this.name, class: "download" }, `Download ${this.name}`);
  }

  async start(): Promise<void> {
    document.title = `${this.name} · carnet`;
    const header = h(
      "header",
      { class: "top nb-top" },
      h("a", { class: "brand", href: this.api.linkUrl("tree", this.parent) }, "carnet"),
      h("span", { class: "file-name" }, this.config.path),
      this.status,
      h("span", { class: "spacer" }),
      this.saveButton,
      this.downloadLink(),
    );
    document.body.append(h("div", { class: "editor-page" }, header, this.banners, this.body));
    this.setState("loading");
    window.addEventListener("beforeunload", (ev) => {
      if (this.dirty || this.saving) ev.preventDefault();
    });
    // Ctrl+S anywhere on the page saves, not the browser's "save page as".
    window.addEventListener("keydown", (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "s") {
        ev.preventDefault();
        void this.save();
      }
    });
    try {
      await this.open();
    } catch (err) {
      this.notice("This file cannot be opened.", (err as Error).message);
    }
  }

  private async open(): Promise<void> {
    const meta = await this.stamp();
    if (meta.type === "notebook") {
      location.replace(this.api.linkUrl("notebooks", this.config.path));
      return;
    }
    if (meta.type === "directory") {
      location.replace(this.api.linkUrl("tree", this.config.path));
      return;
    }
    const mime = meta.mimetype ?? "";
    if (mime.startsWith("image/") || mime === "application/pdf") {
      const href = this.api.linkUrl("files", this.config.path);
      this.notice(
        `${this.name} is ${mime === "application/pdf" ? "a PDF" : "an image"}.`,
        h("a", { href, class: "button primary" }, "Open it in the browser"),
      );
      return;
    }
    if ((meta.size ?? 0) > MAX_BYTES) {
      this.notice(
        `${this.name} is too large to open in the editor (${megabytes(meta.size ?? 0)}).`,
        "Download it instead.",
      );
      return;
    }
    let model: ContentModel;
    try {
      model = await this.api.request<ContentModel>(
        "GET",
        `api/contents/${encodePath(this.config.path)}?type=file&format=text&hash=1`,
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) return this.binary();
      throw err;
    }
    const text = String(model.content ?? "");
    if (text.includes("\u0000")) return this.binary();
    this.known = model as unknown as Stamp;
    this.readOnly = !model.writable || (model.size ?? text.length) > READ_ONLY_BYTES;
    await this.createEditor(text);
    if (this.readOnly) {
      this.banner(
        "readonly",
        model.writable
          ? `This file is large (${megabytes(model.size ?? 0)}): it is open read-only.`
          : "This file is not writable: it is open read-only.",
        [],
        "info",
      );
    }
  }

  private async createEditor(text: string): Promise<void> {
    const language = languageOf(this.name);
    const state = EditorState.create({
      doc: text,
      extensions: [
        Prec.highest(
          keymap.of([{ key: "Mod-s", run: () => (void this.save(), true), preventDefault: true }]),
        ),
        EditorView.cspNonce.of(this.config.styleNonce),
        lineNumbers(),
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        indentOnInput(),
        bracketMatching(),
        indentUnit.of("    "),
        syntaxHighlighting(classHighlighter),
        this.language.of([]),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorState.readOnly.of(this.readOnly),
        EditorView.editable.of(!this.readOnly),
        EditorView.contentAttributes.of({ "aria-label": `${this.name} text` }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) this.showState();
        }),
      ],
    });
    this.body.replaceChildren();
    this.view = new EditorView({ state, parent: this.body });
    this.savedDoc = state.doc;
    this.saveButton.disabled = this.readOnly;
    this.showState();
    if (!this.readOnly) this.view.focus();
    if (language) {
      const support = await loadLanguage(language);
      this.view.dispatch({ effects: this.language.reconfigure(support) });
    }
    document.body.dataset["editor"] = "ready";
  }

  private get dirty(): boolean {
    return !!this.view && !!this.savedDoc && !this.view.state.doc.eq(this.savedDoc);
  }

  private stamp(): Promise<ContentModel & Stamp> {
    return this.api.request("GET", `api/contents/${encodePath(this.config.path)}?content=0&hash=1`);
  }

  /** Write the editor's text, unless the file changed on disk (then ask first). */
  async save(force = false): Promise<void> {
    const view = this.view;
    if (!view || this.readOnly || this.saving) return;
    this.saving = true;
    this.setState("saving");
    try {
      if (!force) {
        const now = await this.stamp();
        if (changedOnDisk(this.known, now)) {
          this.conflict = true;
          this.banner(
            "conflict",
            `${this.name} changed on disk since it was opened here. Reload it (your changes ` +
              "here are lost), or overwrite it with this version.",
            [
              ["Reload from disk", () => void this.reload()],
              ["Overwrite", () => void this.save(true)],
            ],
          );
          return;
        }
      }
      const doc = view.state.doc;
      await this.api.save(this.config.path, {
        type: "file",
        format: "text",
        content: doc.toString(),
      });
      this.known = await this.stamp();
      this.savedDoc = doc;
      this.conflict = false;
      this.banner("conflict", null);
      this.banner("error", null);
    } catch (err) {
      this.banner("error", `Not saved: ${(err as Error).message}`, [
        ["Dismiss", () => this.banner("error", null)],
      ]);
    } finally {
      this.saving = false;
      this.showState();
    }
  }

  /** Replace the text with the file on disk. */
  async reload(): Promise<void> {
    const view = this.view;
    if (!view) return;
    const model = await this.api.request<ContentModel>(
      "GET",
      `api/contents/${encodePath(this.config.path)}?type=file&format=text&hash=1`,
    );
    const text = String(model.content ?? "");
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    this.savedDoc = view.state.doc;
    this.known = model as unknown as Stamp;
    this.conflict = false;
    this.banner("conflict", null);
    this.showState();
  }

  private showState(): void {
    if (this.readOnly) return this.setState("readonly");
    if (this.saving) return this.setState("saving");
    if (this.conflict) return this.setState("conflict");
    this.setState(this.dirty ? "unsaved" : "saved");
  }

  private setState(state: SaveState): void {
    this.status.textContent = STATE_TEXT[state];
    this.status.dataset["state"] = state;
  }

  private binary(): void {
    this.notice(
      `${this.name} is not a text file (or not UTF-8 text), so it cannot be edited here.`,
      "Download it to open it with another program.",
    );
  }

  /** Replace the editor area with a message and the download link. */
  private notice(title: string, detail: string | Node): void {
    this.setState("readonly");
    this.status.textContent = "";
    this.body.replaceChildren(
      h(
        "section",
        { class: "notice", role: "alert" },
        h("h1", {}, title),
        h("p", {}, detail),
        h(
          "p",
          {},
          h("a", { href: this.api.linkUrl("tree", this.parent) }, "Back to the folder"),
          " · ",
          this.downloadLink(),
        ),
      ),
    );
    document.body.dataset["editor"] = "notice";
  }

  private banner(
    key: string,
    text: string | null,
    actions: [string, () => void][] = [],
    kind: "warn" | "error" | "info" = "warn",
  ): void {
    this.banners.querySelector(`[data-banner="${key}"]`)?.remove();
    if (text === null) return;
    const buttons = actions.map(([label, fn]) =>
      h("button", { type: "button", class: "button", onclick: fn }, label),
    );
    this.banners.append(
      h(
        "div",
        { class: `banner ${kind}`, "data-banner": key, role: "alert" },
        h("span", {}, text),
        ...buttons,
      ),
    );
  }
}

function megabytes(size: number): string {
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}
