// Pure text helpers for outputs and markdown: ANSI to HTML, the head-and-tail view of
// big text, lifting math out of markdown, and choosing which MIME type to show.

import { AnsiUp } from "ansi_up";

/**
 * HTML for a stream or traceback with ANSI colours. ansi_up escapes the text itself,
 * and classes (not inline styles) carry the colours so the page's CSP can forbid
 * inline styles; 256-colour and true-colour codes keep their text but lose the colour.
 */
export function ansiToHtml(text: string): string {
  const ansi = new AnsiUp();
  ansi.use_classes = true;
  ansi.escape_html = true;
  return ansi.ansi_to_html(text).replace(/ style="[^"]*"/g, "");
}

/** Apply carriage returns and backspaces the way a terminal shows them (progress bars). */
export function terminalText(text: string): string {
  if (!text.includes("\r") && !text.includes("\b")) return text;
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  return lines
    .map((line) => {
      let out = "";
      for (const part of line.split("\r")) out = part + out.slice(part.length);
      while (out.includes("\b")) out = out.replace(/[^\x08]\x08|^\x08+/, "");
      return out;
    })
    .join("\n");
}

export interface TextView {
  head: string;
  tail: string;
  /** Characters left out between head and tail (0: the text is whole). */
  hidden: number;
  /** Lines left out between head and tail. */
  hiddenLines: number;
}

/**
 * Cut long text to its first and last lines (and at most `maxChars` characters each side),
 * so a huge output costs a bounded amount of DOM; the rest is one click away.
 */
export function headTail(text: string, maxLines = 200, maxChars = 20_000): TextView {
  const lines = text.split("\n");
  if (lines.length <= 2 * maxLines && text.length <= 2 * maxChars) {
    return { head: text, tail: "", hidden: 0, hiddenLines: 0 };
  }
  let head: string;
  let tail: string;
  if (lines.length > 2 * maxLines) {
    head = lines.slice(0, maxLines).join("\n");
    tail = lines.slice(lines.length - maxLines).join("\n");
  } else {
    head = text.slice(0, maxChars);
    tail = text.slice(Math.max(maxChars, text.length - maxChars));
  }
  if (head.length > maxChars) head = head.slice(0, maxChars);
  if (tail.length > maxChars) tail = tail.slice(tail.length - maxChars);
  const hidden = Math.max(0, text.length - head.length - tail.length);
  const hiddenLines = Math.max(0, lines.length - head.split("\n").length - tail.split("\n").length);
  return { head, tail, hidden, hiddenLines };
}

/** "812 B", "3.4 kB", "12.0 MB". */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}

export interface LiftedMath {
  text: string;
  math: { tex: string; display: boolean }[];
}

/**
 * Take `$…$`, `$$…$$`, `\(…\)` and `\[…\]` out of markdown before it is parsed (so
 * markdown never mangles a formula), leaving placeholders that survive parsing.
 * Code spans and fenced code keep their dollars. `\$` is a literal dollar.
 */
export function liftMath(src: string): LiftedMath {
  const math: LiftedMath["math"] = [];
  const token = (tex: string, display: boolean): string => {
    math.push({ tex, display });
    return `@@MATH${math.length - 1}@@`;
  };
  const out: string[] = [];
  // Split into code (fenced blocks and inline spans) and prose; only prose holds math.
  const parts = src.split(/(```[\s\S]*?(?:```|$)|~~~[\s\S]*?(?:~~~|$)|`+[^`\n]*`+)/);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? "";
    if (i % 2 === 1) {
      out.push(part);
      continue;
    }
    out.push(
      part.replace(
        /\\\$|\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$((?:\\.|[^$\\\n])+?)\$/g,
        (whole, dd?: string, bracket?: string, paren?: string, single?: string) => {
          if (whole === "\\$") return whole;
          if (dd !== undefined) return token(dd, true);
          if (bracket !== undefined) return token(bracket, true);
          if (paren !== undefined) return token(paren, false);
          return token(single ?? "", false);
        },
      ),
    );
  }
  return { text: out.join(""), math };
}

/** Whether markdown text has math in it (KaTeX is loaded only then). */
export function hasMath(src: string): boolean {
  return liftMath(src).math.length > 0;
}

/** MIME types carnet shows, most preferred first (as Jupyter orders them). */
export const MIME_ORDER = [
  "application/vnd.jupyter.widget-view+json",
  "application/javascript",
  "text/html",
  "text/markdown",
  "text/latex",
  "image/svg+xml",
  "image/png",
  "image/jpeg",
  "image/gif",
  "application/json",
  "text/plain",
];

/** The MIME type of a bundle to show, or null when none is known. */
export function pickMime(bundle: Record<string, unknown>): string | null {
  for (const mime of MIME_ORDER) {
    if (mime === "application/vnd.jupyter.widget-view+json") continue;
    if (mime in bundle) return mime;
  }
  const other = Object.keys(bundle).find((m) => m.endsWith("+json"));
  return other ?? null;
}

/**
 * Whether HTML needs script to work (a `<script>`, an inline handler, a `javascript:`
 * URL). Such HTML is shown sanitised in the page, and runs only in the sandbox frame.
 */
export function needsScript(html: string): boolean {
  return /<script[\s>]|\son[a-z]+\s*=|javascript:/i.test(html);
}

/** The text of a bundle value (notebooks store multi-line strings as lists). */
export function joined(value: unknown): string {
  if (Array.isArray(value)) return value.join("");
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}
