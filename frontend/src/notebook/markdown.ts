// Markdown cells and text/markdown outputs: marked, then DOMPurify, then math.
// Math is lifted out before parsing and typeset with KaTeX, which is loaded the first
// time a formula is seen. KaTeX writes MathML (no inline styles, no web fonts), which
// the page's CSP allows and every current browser lays out.

import DOMPurify from "dompurify";
import { marked } from "marked";
import { liftMath } from "./text";

type Katex = typeof import("katex").default;
let katexLoad: Promise<Katex> | null = null;

function loadKatex(): Promise<Katex> {
  katexLoad ??= import("katex").then((m) => m.default);
  return katexLoad;
}

let hooked = false;

/** Sanitise untrusted HTML into a fragment: no script, no handlers, links open apart. */
export function sanitize(html: string): DocumentFragment {
  if (!hooked) {
    hooked = true;
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node instanceof HTMLAnchorElement && node.hasAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer");
      }
    });
  }
  return DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "base", "link"],
    FORBID_ATTR: ["style", "srcset"],
  });
}

/** Typeset TeX as MathML markup (KaTeX escapes what it does not understand). */
export async function texToHtml(tex: string, display: boolean): Promise<string> {
  const katex = await loadKatex();
  return katex.renderToString(tex, {
    displayMode: display,
    output: "mathml",
    throwOnError: false,
    trust: false,
    strict: "ignore",
  });
}

function mathNode(html: string): DocumentFragment {
  const t = document.createElement("template");
  t.innerHTML = html;
  return t.content;
}

/**
 * Render markdown into `target`. The text is there at once; formulas show as their TeX
 * source until KaTeX has loaded, then are typeset (the returned promise resolves then).
 */
export function renderMarkdown(target: HTMLElement, src: string): Promise<void> {
  const lifted = liftMath(src);
  const html = marked.parse(lifted.text, { async: false, gfm: true }) as string;
  target.replaceChildren(sanitize(html));
  if (lifted.math.length === 0) return Promise.resolve();
  const slots: { node: Text; index: number }[] = [];
  const walker = document.createTreeWalker(target, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) texts.push(n as Text);
  for (const text of texts) {
    const pieces = (text.data ?? "").split(/@@MATH(\d+)@@/);
    if (pieces.length === 1) continue;
    const frag = document.createDocumentFragment();
    pieces.forEach((piece, i) => {
      if (i % 2 === 0) {
        if (piece) frag.appendChild(document.createTextNode(piece));
        return;
      }
      const m = lifted.math[Number(piece)];
      const span = document.createElement("span");
      span.className = m?.display ? "math math-display" : "math";
      const src = document.createTextNode(m ? (m.display ? `$$${m.tex}$$` : `$${m.tex}$`) : "");
      span.appendChild(src);
      frag.appendChild(span);
      slots.push({ node: src, index: Number(piece) });
    });
    text.replaceWith(frag);
  }
  return Promise.all(
    slots.map(async ({ node, index }) => {
      const m = lifted.math[index];
      if (!m) return;
      const html = await texToHtml(m.tex, m.display);
      node.parentElement?.replaceChildren(mathNode(html));
    }),
  ).then(() => undefined);
}

/** Typeset a text/latex output ("$$…$$" or bare TeX). */
export async function renderLatex(target: HTMLElement, src: string): Promise<void> {
  const tex = src.trim().replace(/^\$\$?|\$\$?$/g, "");
  target.textContent = src;
  target.replaceChildren(mathNode(await texToHtml(tex, true)));
}
