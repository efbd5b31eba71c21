// CodeMirror 6 for the cell being edited, loaded with import() after the first paint:
// the notebook draws every other cell as highlighted text (highlight()), so a page never
// holds more than one or two editors. The editor's text is the cell's Y.Text.

import {
  autocompletion,
  closeCompletion,
  completionStatus,
  startCompletion,
  type CompletionContext,
  type CompletionResult,
} from "@codemirror/autocomplete";
import { defaultKeymap, indentLess, indentMore } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import {
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
  type LanguageSupport,
} from "@codemirror/language";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  keymap,
  lineNumbers,
  placeholder,
} from "@codemirror/view";
import { classHighlighter, highlightCode } from "@lezer/highlight";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import * as Y from "yjs";

export interface EditorHooks {
  run(how: "advance" | "stay" | "insert"): void;
  command(): void;
  split(at: number): void;
  /** Move to the neighbouring cell (the cursor left the first or last line). */
  leave(dir: -1 | 1): void;
  save(): void;
  complete(code: string, pos: number): Promise<{ from: number; to: number; options: string[] }>;
  inspect(code: string, pos: number): void;
  dismiss(): boolean;
}

const pythonLang = python();
let markdownLang: LanguageSupport | null = null;

/** Load markdown support (its own chunk) for markdown cells. */
export async function loadMarkdown(): Promise<void> {
  if (markdownLang) return;
  const { markdown } = await import("@codemirror/lang-markdown");
  markdownLang = markdown();
}

const lineNumbersOn = new Compartment();

function atLine(view: EditorView, first: boolean): boolean {
  const sel = view.state.selection.main;
  if (!sel.empty) return false;
  const line = view.state.doc.lineAt(sel.head);
  return first ? line.number === 1 : line.number === view.state.doc.lines;
}

/** An editor on `text` in `parent`. */
export function createEditor(
  parent: HTMLElement,
  text: Y.Text,
  type: string,
  hooks: EditorHooks,
  options: { lineNumbers: boolean; nonce: string },
): EditorView {
  const undo = new Y.UndoManager(text);
  const lang = type === "code" ? pythonLang : type === "markdown" ? markdownLang : null;
  const kernelCompletion = async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const code = ctx.state.doc.toString();
    const reply = await hooks.complete(code, ctx.pos);
    if (!reply.options.length) return null;
    return { from: reply.from, to: reply.to, options: reply.options.map((label) => ({ label })) };
  };
  const keys = Prec.highest(
    keymap.of([
      { key: "Shift-Enter", run: () => (hooks.run("advance"), true) },
      { key: "Mod-Enter", run: () => (hooks.run("stay"), true) },
      { key: "Alt-Enter", run: () => (hooks.run("insert"), true) },
      {
        key: "Escape",
        run: (view) => {
          if (completionStatus(view.state) !== null) return closeCompletion(view);
          if (hooks.dismiss()) return true;
          hooks.command();
          return true;
        },
      },
      { key: "Ctrl-m", run: () => (hooks.command(), true) },
      {
        key: "Ctrl-Shift--",
        run: (view) => (hooks.split(view.state.selection.main.head), true),
      },
      { key: "Mod-s", run: () => (hooks.save(), true), preventDefault: true },
      {
        key: "ArrowUp",
        run: (view) => (atLine(view, true) ? (hooks.leave(-1), true) : false),
      },
      {
        key: "ArrowDown",
        run: (view) => (atLine(view, false) ? (hooks.leave(1), true) : false),
      },
      {
        key: "Tab",
        run: (view) => {
          const sel = view.state.selection.main;
          const before = view.state.doc.sliceString(view.state.doc.lineAt(sel.head).from, sel.head);
          if (!sel.empty || /^\s*$/.test(before) || type !== "code") return indentMore(view);
          return startCompletion(view);
        },
      },
      {
        key: "Shift-Tab",
        run: (view) => {
          const sel = view.state.selection.main;
          if (!sel.empty || type !== "code") return indentLess(view);
          hooks.inspect(view.state.doc.toString(), sel.head);
          return true;
        },
      },
    ]),
  );
  const state = EditorState.create({
    doc: text.toString(),
    extensions: [
      keys,
      lineNumbersOn.of(options.lineNumbers ? lineNumbers() : []),
      EditorView.cspNonce.of(options.nonce),
      drawSelection(),
      highlightActiveLine(),
      indentOnInput(),
      bracketMatching(),
      indentUnit.of("    "),
      syntaxHighlighting(classHighlighter),
      lang ?? [],
      type === "code"
        ? autocompletion({ override: [kernelCompletion], activateOnTyping: false })
        : [],
      placeholder(type === "markdown" ? "Markdown" : type === "raw" ? "Raw text" : "Code"),
      yCollab(text, null, { undoManager: undo }),
      keymap.of([...yUndoManagerKeymap, ...defaultKeymap]),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": `${type} cell source` }),
    ],
  });
  return new EditorView({ state, parent });
}

/** Show or hide line numbers in an editor. */
export function setLineNumbers(view: EditorView, on: boolean): void {
  view.dispatch({ effects: lineNumbersOn.reconfigure(on ? lineNumbers() : []) });
}

/** Python source as highlighted nodes (the same token classes the editor uses). */
export function highlight(code: string, into: HTMLElement): void {
  const tree = pythonLang.language.parser.parse(code);
  const frag = document.createDocumentFragment();
  highlightCode(
    code,
    tree,
    classHighlighter,
    (text, classes) => {
      if (!classes) frag.appendChild(document.createTextNode(text));
      else {
        const span = document.createElement("span");
        span.className = classes;
        span.textContent = text;
        frag.appendChild(span);
      }
    },
    () => frag.appendChild(document.createTextNode("\n")),
  );
  into.replaceChildren(frag);
}
