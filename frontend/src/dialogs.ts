// Modal dialogs on the native <dialog> element: focus trapping, Esc and the backdrop
// come from the browser.

import { h } from "./dom";

interface DialogOptions {
  title: string;
  body: (Node | string)[];
  ok: string;
  danger?: boolean;
  /** Return an error message to keep the dialog open, or null to accept. */
  validate?: () => string | null;
}

function open(options: DialogOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const error = h("p", { class: "dialog-error", role: "alert" });
    const cancel = h("button", { type: "button", class: "button" }, "Cancel");
    const ok = h(
      "button",
      { type: "submit", class: options.danger ? "button danger" : "button primary" },
      options.ok,
    );
    const form = h(
      "form",
      { class: "dialog-form" },
      h("h2", {}, options.title),
      ...options.body,
      error,
      h("div", { class: "dialog-buttons" }, cancel, ok),
    );
    const dialog = h("dialog", { class: "dialog", "aria-label": options.title }, form);
    let accepted = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const problem = options.validate?.() ?? null;
      if (problem) {
        error.textContent = problem;
        return;
      }
      accepted = true;
      dialog.close();
    });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(accepted);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    const first = form.querySelector<HTMLElement>("input, select") ?? ok;
    first.focus();
    if (first instanceof HTMLInputElement) {
      // Select the stem of a file name, as file managers do, so typing replaces it.
      const dot = first.value.lastIndexOf(".");
      first.setSelectionRange(0, dot > 0 ? dot : first.value.length);
    }
  });
}

/** Ask for a line of text; null when cancelled. */
export async function prompt(
  title: string,
  label: string,
  value: string,
  ok: string,
  validate: (value: string) => string | null = () => null,
): Promise<string | null> {
  const input = h("input", { type: "text", value, spellcheck: "false", autocomplete: "off" });
  const accepted = await open({
    title,
    body: [h("label", {}, label, input)],
    ok,
    validate: () => validate(input.value.trim()),
  });
  return accepted ? input.value.trim() : null;
}

/** Ask to go ahead with something that cannot be undone. */
export function confirm(title: string, body: (Node | string)[], ok: string): Promise<boolean> {
  return open({ title, body, ok, danger: true });
}

/** Let the person pick one of `choices` ([value, label]); null when cancelled. */
export async function choose(
  title: string,
  label: string,
  choices: [string, string][],
  selected: string,
  ok: string,
): Promise<string | null> {
  const select = h("select", {});
  for (const [value, text] of choices) {
    select.appendChild(h("option", { value, selected: value === selected }, text));
  }
  const accepted = await open({ title, body: [h("label", {}, label, select)], ok });
  return accepted ? select.value : null;
}
