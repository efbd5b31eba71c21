// Outputs to DOM. Untrusted output never runs script in carnet's origin: HTML is
// sanitised; script-bearing output runs only in the sandbox frame (sandbox.ts), on request.

import { h } from "../dom";
import { renderLatex, renderMarkdown, sanitize } from "./markdown";
import type { Output } from "./runs";
import { ansiToHtml, bytes, headTail, joined, needsScript, pickMime, terminalText } from "./text";
import { sandboxFrame } from "./sandbox";

/** Most outputs of one cell drawn at once; more behind a button (as JupyterLab does). */
export const MAX_OUTPUTS = 50;

export interface OutputActions {
  /** The whole text of output `index` of the cell (fetched from the server). */
  fetchAll(index: number): Promise<string>;
  /** Save output `index` as a file. */
  download(index: number): void;
}

function ansiPre(text: string, cls: string): HTMLPreElement {
  const pre = h("pre", { class: cls });
  pre.innerHTML = ansiToHtml(terminalText(text));
  return pre;
}

function bigText(
  out: Output,
  text: string,
  cls: string,
  index: number,
  actions: OutputActions,
): HTMLElement {
  const box = h("div", { class: "output-text" });
  const size = out.size ?? text.length;
  const draw = (whole: string): void => {
    const view = headTail(whole);
    box.replaceChildren(ansiPre(view.head, cls));
    if (view.hidden > 0) {
      box.append(
        note(
          view.hiddenLines > 0
            ? `… ${view.hiddenLines.toLocaleString()} lines (${bytes(view.hidden)}) not shown …`
            : `… ${bytes(view.hidden)} not shown …`,
        ),
        ansiPre(view.tail, cls),
      );
      box.append(bar(size, index, actions, () => showAll(whole)));
    }
  };
  const showAll = (whole: string): void => {
    box.replaceChildren(ansiPre(whole, cls));
    box.append(bar(size, index, actions, null));
  };
  if (out.truncated) {
    // The server sent part of it (head and tail, or nothing while it streamed live).
    const parts: Node[] = [];
    if (out.head) parts.push(ansiPre(out.head, cls));
    parts.push(note(`… output of ${bytes(size)} cut here …`));
    if (out.tail) parts.push(ansiPre(out.tail, cls));
    box.replaceChildren(...parts);
    const fetchAll = async (): Promise<void> => {
      box.classList.add("loading");
      try {
        showAll(await actions.fetchAll(index));
      } finally {
        box.classList.remove("loading");
      }
    };
    box.append(bar(size, index, actions, size <= 20e6 ? () => void fetchAll() : null));
  } else {
    draw(text);
  }
  return box;
}

function note(text: string): HTMLElement {
  return h("div", { class: "output-note" }, text);
}

function bar(
  size: number,
  index: number,
  actions: OutputActions,
  showAll: (() => void) | null,
): HTMLElement {
  return h(
    "div",
    { class: "output-bar" },
    h("span", {}, `${bytes(size)} in all`),
    showAll && h("button", { type: "button", class: "link", onclick: () => showAll() }, "Show all"),
    h(
      "button",
      { type: "button", class: "link", onclick: () => actions.download(index) },
      "Download",
    ),
  );
}

function image(
  mime: string,
  value: unknown,
  meta: Record<string, unknown> | undefined,
): HTMLElement {
  const data = joined(value);
  const src =
    mime === "image/svg+xml"
      ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data)}`
      : `data:${mime};base64,${data.replace(/\s+/g, "")}`;
  const img = h("img", { src, alt: "output image", class: "output-image", loading: "lazy" });
  const m = (meta?.[mime] ?? {}) as { width?: number; height?: number };
  if (typeof m.width === "number") img.width = m.width;
  if (typeof m.height === "number") img.height = m.height;
  return img;
}

function rich(out: Output, index: number, actions: OutputActions): HTMLElement {
  const bundle = out.data ?? {};
  const mime = pickMime(bundle);
  const value = mime ? bundle[mime] : undefined;
  const box = h("div", { class: "output-data" });
  if (out.truncated && !out.data) {
    box.append(bigText(out, "", "output-plain", index, actions));
    return box;
  }
  switch (mime) {
    case "text/html": {
      const html = joined(value);
      const div = h("div", { class: "output-html" });
      div.appendChild(sanitize(html));
      box.append(div);
      if (needsScript(html)) box.append(scriptOffer(html));
      break;
    }
    case "application/javascript": {
      const code = joined(value);
      box.append(
        note("This output is a script; carnet does not run it in the page."),
        scriptOffer(`<script>${code.replace(/<\/script/gi, "<\\/script")}</script>`),
      );
      break;
    }
    case "text/markdown": {
      const div = h("div", { class: "output-markdown markdown" });
      void renderMarkdown(div, joined(value));
      box.append(div);
      break;
    }
    case "text/latex": {
      const div = h("div", { class: "output-latex" });
      void renderLatex(div, joined(value));
      box.append(div);
      break;
    }
    case "image/svg+xml":
    case "image/png":
    case "image/jpeg":
    case "image/gif":
      box.append(image(mime, value, out.metadata));
      break;
    case "text/plain":
      box.append(bigText(out, joined(value), "output-plain", index, actions));
      break;
    case null:
      box.append(note(`(no viewer for ${Object.keys(bundle).join(", ") || "empty output"})`));
      break;
    default:
      box.append(h("pre", { class: "output-json" }, JSON.stringify(value, null, 2)));
  }
  return box;
}

function scriptOffer(html: string): HTMLElement {
  const wrap = h("div", { class: "output-sandbox" });
  const run = h(
    "button",
    {
      type: "button",
      class: "link",
      title: "Runs in an isolated frame that cannot reach this page, your session or the server",
      onclick: () => wrap.replaceChildren(sandboxFrame(html)),
    },
    "Run this output's scripts in a sandbox",
  );
  wrap.append(run);
  return wrap;
}

/** One output as an element. */
export function renderOutput(out: Output, index: number, actions: OutputActions): HTMLElement {
  let el: HTMLElement;
  if (out.output_type === "stream") {
    const cls = out.name === "stderr" ? "output-stream stderr" : "output-stream";
    el = bigText(out, out.text ?? "", cls, index, actions);
  } else if (out.output_type === "error") {
    const text = out.traceback?.length
      ? out.traceback.join("\n")
      : `${out.ename ?? "Error"}: ${out.evalue ?? ""}`;
    el = h("div", { class: "output-error" }, ansiPre(text, "output-traceback"));
  } else {
    el = rich(out, index, actions);
  }
  el.classList.add("output");
  return el;
}

/** Draw a cell's outputs into `area` (the first MAX_OUTPUTS, then a button for the rest). */
export function renderOutputs(area: HTMLElement, outputs: Output[], actions: OutputActions): void {
  const shown = outputs.slice(0, MAX_OUTPUTS);
  area.replaceChildren(...shown.map((o, i) => renderOutput(o, i, actions)));
  if (outputs.length > MAX_OUTPUTS) {
    const more = h(
      "button",
      {
        type: "button",
        class: "link output-more",
        onclick: () => {
          more.remove();
          outputs.slice(MAX_OUTPUTS).forEach((o, i) => {
            area.append(renderOutput(o, i + MAX_OUTPUTS, actions));
          });
        },
      },
      `Show ${outputs.length - MAX_OUTPUTS} more outputs`,
    );
    area.append(more);
  }
}
