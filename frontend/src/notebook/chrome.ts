// The page around the cells: title, save and kernel status, menus, toolbar, banners and
// the shortcut help. Everything here calls commands by id (commands.ts).

import { h } from "../dom";
import { COMMANDS, type CommandInfo } from "./commands";

export interface Chrome {
  root: HTMLElement;
  cells: HTMLElement;
  title: HTMLButtonElement;
  home: HTMLAnchorElement;
  save: HTMLElement;
  kernel: HTMLElement;
  banner: HTMLElement;
}

const MENUS: CommandInfo["menu"][] = ["File", "Edit", "View", "Run", "Kernel", "Help"];
const TOOLBAR: [string, string][] = [
  ["save", "Save"],
  ["insert-below", "+"],
  ["cut", "Cut"],
  ["copy", "Copy"],
  ["paste", "Paste"],
  ["move-up", "↑"],
  ["move-down", "↓"],
  ["run-advance", "▶ Run"],
  ["interrupt", "■"],
  ["restart", "↻"],
  ["restart-run-all", "↻▶"],
];

function keyText(keys: string[] | undefined): string {
  return (keys ?? []).map((k) => k.replace(" ", ", ")).join(" / ");
}

export function buildChrome(name: string, home: string, run: (id: string) => void): Chrome {
  const title = h("button", { type: "button", class: "nb-title", title: "Rename" }, name);
  title.addEventListener("click", () => run("rename"));
  const save = h(
    "span",
    { class: "save-state", role: "status", "aria-live": "polite" },
    "Loading…",
  );
  const kernel = h("span", { class: "kernel-state", role: "status" }, "Kernel");
  const menubar = h("nav", { class: "menubar", "aria-label": "Menus" });
  for (const menu of MENUS) {
    const items = COMMANDS.filter((c) => c.menu === menu).map((c) =>
      h(
        "button",
        { type: "button", role: "menuitem", "data-command": c.id },
        h("span", {}, c.label),
        h("kbd", {}, keyText(c.keys ?? c.editKeys)),
      ),
    );
    const list = h("div", { class: "menu-items", role: "menu" }, ...items);
    const details = h("details", { class: "menu" }, h("summary", {}, menu), list);
    list.addEventListener("click", (ev) => {
      const button = (ev.target as HTMLElement).closest<HTMLElement>("[data-command]");
      details.open = false;
      if (button?.dataset["command"]) run(button.dataset["command"]);
    });
    details.addEventListener("toggle", () => {
      if (!details.open) return;
      for (const other of menubar.querySelectorAll("details"))
        if (other !== details) other.open = false;
    });
    menubar.append(details);
  }
  const toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Notebook actions" });
  for (const [id, text] of TOOLBAR) {
    const info = COMMANDS.find((c) => c.id === id);
    const label = info ? `${info.label}${info.keys ? ` (${keyText(info.keys)})` : ""}` : id;
    toolbar.append(
      h(
        "button",
        { type: "button", class: "tool", "data-command": id, title: label, "aria-label": label },
        text,
      ),
    );
  }
  toolbar.addEventListener("click", (ev) => {
    const button = (ev.target as HTMLElement).closest<HTMLElement>("[data-command]");
    if (button?.dataset["command"]) run(button.dataset["command"]);
  });
  const homeLink = h("a", { class: "brand", href: home }, "carnet");
  const header = h(
    "header",
    { class: "top nb-top" },
    homeLink,
    title,
    save,
    h("span", { class: "spacer" }),
    kernel,
  );
  const banner = h("div", { class: "banners" });
  const cells = h("main", {
    class: "cells",
    tabindex: "0",
    "aria-label": "Notebook cells",
  });
  const root = h(
    "div",
    { class: "nb" },
    header,
    h("div", { class: "bars" }, menubar, toolbar),
    banner,
    cells,
  );
  document.addEventListener("click", (ev) => {
    for (const d of menubar.querySelectorAll("details")) {
      if (!d.contains(ev.target as Node)) d.open = false;
    }
  });
  return { root, cells, title, home: homeLink, save, kernel, banner };
}

/** Show or replace the banner named `key`; null removes it. */
export function setBanner(
  chrome: Chrome,
  key: string,
  text: string | null,
  actions: [string, () => void][] = [],
  kind: "warn" | "error" | "info" = "warn",
): void {
  chrome.banner.querySelector(`[data-banner="${key}"]`)?.remove();
  if (text === null) return;
  const buttons = actions.map(([label, fn]) =>
    h("button", { type: "button", class: "button", onclick: fn }, label),
  );
  chrome.banner.append(
    h(
      "div",
      { class: `banner ${kind}`, "data-banner": key, role: "alert" },
      h("span", {}, text),
      ...buttons,
    ),
  );
}

/** The shortcut help dialog. */
export function showHelp(): void {
  const rows = (mode: "keys" | "editKeys"): HTMLElement[] =>
    COMMANDS.filter((c) => c[mode]?.length).map((c) =>
      h("tr", {}, h("td", {}, h("kbd", {}, keyText(c[mode]))), h("td", {}, c.label)),
    );
  const close = h("button", { type: "button", class: "button primary" }, "Close");
  const dialog = h(
    "dialog",
    { class: "dialog help", "aria-label": "Keyboard shortcuts" },
    h("h2", {}, "Keyboard shortcuts"),
    h(
      "p",
      {},
      "Command mode (Esc; the cell has a blue bar) and edit mode (Enter; the cursor is in the cell).",
    ),
    h(
      "div",
      { class: "help-cols" },
      h("table", {}, h("caption", {}, "Command mode"), h("tbody", {}, ...rows("keys"))),
      h("table", {}, h("caption", {}, "Edit mode"), h("tbody", {}, ...rows("editKeys"))),
    ),
    h("div", { class: "dialog-buttons" }, close),
  );
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
