// One cell on the page. A cell far from the viewport is a cheap placeholder (its raw
// source in a <pre>); near the viewport it is drawn in full: highlighted code or
// rendered markdown, prompt, timing and outputs. The editor exists only while editing.

import { h } from "../dom";
import type { EditorView } from "@codemirror/view";
import { renderMarkdown } from "./markdown";
import type { CellType } from "./model";
import { renderOutputs, type OutputActions } from "./render";
import { duration, prompt, type Run } from "./runs";
import { ansiToHtml } from "./text";

export type EditorModule = typeof import("./editor");

export class CellView {
  readonly el: HTMLDivElement;
  private readonly input: HTMLElement;
  private src: HTMLPreElement | HTMLDivElement;
  private outputs: HTMLDivElement | null = null;
  private timing: HTMLDivElement | null = null;
  private inputBox: HTMLFormElement | null = null;
  private tip: HTMLElement | null = null;
  editor: EditorView | null = null;
  /** The shared text the editor is bound to (a moved cell gets a new one). */
  boundText: unknown = null;
  visible = false;
  /** What needs drawing when the cell next comes near the viewport. */
  dirtySource = true;
  dirtyOutputs = true;
  type: CellType = "code";
  source = "";
  docCount: number | null = null;
  run: Run | undefined;
  /** Markdown shows its source (being edited, or not run since). */
  editingMarkdown = false;
  private drawnVersion = -1;

  constructor(readonly id: string) {
    this.src = h("pre", { class: "src" });
    this.input = h("div", { class: "input" }, this.src);
    this.el = h("div", { class: "cell", "data-id": id, "data-prompt": "" }, this.input);
  }

  /** The source or type changed. */
  setSource(type: CellType, source: string, count: number | null): void {
    if (type !== this.type) this.dirtyOutputs = true;
    this.type = type;
    this.source = source;
    this.docCount = count;
    this.dirtySource = true;
    for (const t of ["code", "markdown", "raw"]) this.el.classList.toggle(t, t === type);
    this.updatePrompt();
  }

  setRun(run: Run | undefined): void {
    if (run !== this.run || run?.version !== this.drawnVersion) this.dirtyOutputs = true;
    this.run = run;
    this.updatePrompt();
  }

  updatePrompt(): void {
    const p = this.type === "code" ? prompt(this.run, this.docCount) : "";
    if (this.el.dataset["prompt"] !== p) this.el.dataset["prompt"] = p;
    this.el.classList.toggle("running", this.run?.state === "running");
    this.el.classList.toggle("queued", this.run?.state === "queued");
  }

  /** Draw whatever is stale. `mod` is the editor module once it has loaded. */
  draw(mod: EditorModule | null, actions: OutputActions): void {
    if (this.dirtySource && !this.editor) {
      this.drawSource(mod);
      this.dirtySource = !mod && this.type === "code";
    }
    if (this.dirtyOutputs) {
      this.dirtyOutputs = false;
      this.drawnVersion = this.run?.version ?? -1;
      this.drawOutputs(actions);
    }
    this.tick(Date.now());
  }

  private drawSource(mod: EditorModule | null): void {
    if (this.type === "markdown" && !this.editingMarkdown) {
      const div = h("div", { class: "markdown rendered" });
      if (this.source.trim()) void renderMarkdown(div, this.source);
      else div.append(h("p", { class: "empty" }, "Empty markdown cell: double-click to edit"));
      this.src.replaceWith(div);
      this.src = div;
      return;
    }
    const pre = this.src instanceof HTMLPreElement ? this.src : h("pre", { class: "src" });
    if (this.type === "code" && mod) mod.highlight(this.source, pre);
    else pre.textContent = this.source;
    if (pre !== this.src) {
      this.src.replaceWith(pre);
      this.src = pre;
    }
  }

  private drawOutputs(actions: OutputActions): void {
    const outs = this.type === "code" ? (this.run?.outputs ?? []) : [];
    if (outs.length === 0) {
      this.outputs?.remove();
      this.outputs = null;
      return;
    }
    if (!this.outputs) {
      this.outputs = h("div", { class: "outputs", "aria-live": "polite" });
      this.input.after(this.outputs);
    }
    renderOutputs(this.outputs, outs, actions);
  }

  /** Update the elapsed time of a running cell, or its final duration. */
  tick(now: number): void {
    const run = this.type === "code" ? this.run : undefined;
    let text = "";
    if (run?.startedAt != null) {
      const end = run.endedAt ?? now;
      text =
        run.endedAt == null
          ? `running ${duration(end - run.startedAt)}`
          : duration(end - run.startedAt);
    } else if (run?.state === "queued") {
      text = "queued";
    }
    if (!text) {
      this.timing?.remove();
      this.timing = null;
      return;
    }
    if (!this.timing) {
      this.timing = h("div", { class: "timing" });
      this.input.append(this.timing);
    }
    if (this.timing.textContent !== text) this.timing.textContent = text;
  }

  /** Replace the drawn source by an editor (`make` builds it in the given host). */
  openEditor(make: (host: HTMLElement) => EditorView): EditorView {
    if (this.editor) return this.editor;
    const host = h("div", { class: "editor-host" });
    this.src.replaceWith(host);
    this.src = host;
    this.editor = make(host);
    return this.editor;
  }

  /** Back to drawn source (markdown is rendered again when `render`). */
  closeEditor(render: boolean): void {
    if (!this.editor) return;
    this.editor.destroy();
    this.editor = null;
    if (render) this.editingMarkdown = false;
    const pre = h("pre", { class: "src" });
    this.src.replaceWith(pre);
    this.src = pre;
    this.dirtySource = true;
  }

  /** Show an `input()` prompt under the outputs. */
  askInput(promptText: string, password: boolean, answer: (value: string) => void): void {
    this.inputBox?.remove();
    const field = h("input", {
      type: password ? "password" : "text",
      class: "stdin-field",
      autocomplete: password ? "new-password" : "off",
      spellcheck: "false",
      "aria-label": promptText || "input",
    });
    const form = h(
      "form",
      { class: "stdin" },
      h("label", {}, h("span", { class: "stdin-prompt" }, promptText), field),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      field.disabled = true;
      answer(field.value);
    });
    this.inputBox = form;
    this.el.append(form);
    field.focus();
  }

  inputDone(): void {
    this.inputBox?.remove();
    this.inputBox = null;
  }

  /** Show the kernel's inspection of the name at the cursor. */
  showTip(text: string): void {
    this.hideTip();
    const pre = h("pre", { class: "tip-text" });
    pre.innerHTML = ansiToHtml(text);
    this.tip = h("div", { class: "tip", role: "tooltip" }, pre);
    this.input.after(this.tip);
  }

  hideTip(): boolean {
    if (!this.tip) return false;
    this.tip.remove();
    this.tip = null;
    return true;
  }

  setOutputMode(mode: "normal" | "collapsed" | "scrolled"): void {
    this.el.classList.toggle("outputs-collapsed", mode === "collapsed");
    this.el.classList.toggle("outputs-scrolled", mode === "scrolled");
  }

  destroy(): void {
    this.editor?.destroy();
    this.editor = null;
    this.el.remove();
  }
}
