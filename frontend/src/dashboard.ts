// The dashboard: the files of a directory, what runs, and the file operations.

import "./style.css";
import { Api, type ContentModel, type KernelSpecs } from "./api";
import * as dialogs from "./dialogs";
import { h, icon } from "./dom";
import {
  basename,
  crumbs,
  dirname,
  formatAge,
  formatSize,
  joinPath,
  openTarget,
  type Sort,
  type SortKey,
  sortItems,
  validName,
} from "./format";
import { RunningView } from "./running";
import { upload } from "./upload";

interface PageConfig {
  baseUrl: string;
  /** The server token, only when the page was fetched with it in a header. */
  token?: string | null;
  /** The XSRF token of the browser's login session (writes send it). */
  xsrf?: string | null;
  path: string;
}

const POLL_MS = 10_000;

function readConfig(): PageConfig {
  const node = document.getElementById("carnet-config");
  return JSON.parse(node?.textContent ?? "{}") as PageConfig;
}

class Dashboard {
  private path: string;
  private items: ContentModel[] = [];
  private sort: Sort = { key: "name", ascending: true };
  private readonly selected = new Set<string>();
  private specs: KernelSpecs | null = null;

  private readonly crumbsNav = h("nav", { class: "crumbs", "aria-label": "Breadcrumbs" });
  private readonly tbody = h("tbody");
  private readonly head = h("tr");
  private readonly selectAll = h("input", { type: "checkbox", "aria-label": "Select all" });
  private readonly empty = h(
    "p",
    { class: "empty", hidden: true },
    "This folder is empty. Drop files here to upload them.",
  );
  private readonly selectionBar = h("div", {
    class: "selection",
    role: "toolbar",
    "aria-label": "Selected items",
    hidden: true,
  });
  private readonly uploads = h("ul", { class: "uploads", "aria-label": "Uploads" });
  private readonly toast = h("div", { class: "toast", role: "status", "aria-live": "polite" });
  private readonly fileInput = h("input", {
    type: "file",
    multiple: true,
    hidden: true,
    "aria-label": "Files to upload",
  });
  private readonly filesView: HTMLElement;
  private readonly running: RunningView;
  private readonly tabs: Record<"files" | "running", HTMLAnchorElement>;
  private toastTimer = 0;
  private signature = "";

  constructor(
    private readonly api: Api,
    path: string,
  ) {
    this.path = path;
    this.running = new RunningView(api, {
      notify: (m, e) => this.notify(m, e),
      notebookUrl: (p) => this.pageUrl("notebooks", p),
    });
    this.tabs = {
      files: h("a", { href: "#", class: "tab", id: "tab-files" }, "Files"),
      running: h("a", { href: "#running", class: "tab", id: "tab-running" }, "Running"),
    };
    this.filesView = this.buildFilesView();
    this.running.root.hidden = true;
    document.body.replaceChildren(
      h(
        "header",
        { class: "top" },
        h("a", { class: "brand", href: this.pageUrl("tree", "") }, "carnet"),
        h("nav", { class: "tabs", "aria-label": "Views" }, this.tabs.files, this.tabs.running),
      ),
      h("main", {}, this.filesView, this.running.root),
      this.toast,
    );
  }

  // -- URLs --------------------------------------------------------------------------
  /** A page URL; it carries the token while pages authenticate with it (see docs/frontend.md). */
  pageUrl(page: string, path: string): string {
    return this.api.linkUrl(page, path);
  }

  private openUrl(item: ContentModel): string {
    const target = openTarget(item);
    return this.api.linkUrl(target, item.path);
  }

  // -- building ----------------------------------------------------------------------
  private buildFilesView(): HTMLElement {
    const button = (
      label: string,
      action: () => void,
      attrs: Record<string, string> = {},
    ): HTMLButtonElement =>
      h("button", { type: "button", class: "button", onclick: () => action(), ...attrs }, label);
    const menu = h(
      "details",
      { class: "menu" },
      h("summary", { class: "button primary" }, "New"),
      h(
        "div",
        { class: "menu-items", role: "menu" },
        button("Notebook…", () => void this.newNotebook(), { role: "menuitem" }),
        button("Text file…", () => void this.newFile(), { role: "menuitem" }),
        button("Folder…", () => void this.newFolder(), { role: "menuitem" }),
      ),
    );
    menu.addEventListener("click", (e) => {
      if ((e.target as HTMLElement).closest(".menu-items button")) menu.open = false;
    });
    document.addEventListener("click", (e) => {
      if (!menu.contains(e.target as Node)) menu.open = false;
    });
    this.fileInput.addEventListener("change", () => {
      const files = [...(this.fileInput.files ?? [])];
      this.fileInput.value = "";
      void this.uploadFiles(files);
    });
    this.selectAll.addEventListener("change", () => {
      this.selected.clear();
      if (this.selectAll.checked) for (const item of this.items) this.selected.add(item.name);
      this.render();
    });
    const table = h("table", { class: "list files" }, h("thead", {}, this.head), this.tbody);
    const view = h(
      "section",
      { id: "files-view", class: "view", "aria-label": "Files" },
      h(
        "div",
        { class: "bar" },
        this.crumbsNav,
        h(
          "div",
          { class: "actions" },
          menu,
          button("Upload", () => this.fileInput.click()),
          button("Refresh", () => void this.load()),
          this.fileInput,
        ),
      ),
      this.selectionBar,
      this.uploads,
      table,
      this.empty,
    );
    this.setupDrop(view);
    return view;
  }

  private setupDrop(zone: HTMLElement): void {
    let depth = 0;
    const hasFiles = (e: DragEvent): boolean => e.dataTransfer?.types.includes("Files") ?? false;
    zone.addEventListener("dragenter", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth += 1;
      zone.classList.add("dropping");
    });
    zone.addEventListener("dragover", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) zone.classList.remove("dropping");
    });
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      depth = 0;
      zone.classList.remove("dropping");
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length) void this.uploadFiles(files);
    });
  }

  // -- loading and rendering ---------------------------------------------------------
  /** Fetch the folder and draw it; a poll (`quiet`) redraws only when something changed. */
  async load(quiet = false): Promise<void> {
    const before = this.signature;
    try {
      const model = await this.api.contents(this.path);
      if (model.type !== "directory") {
        window.location.replace(this.openUrl(model));
        return;
      }
      this.items = (model.content as ContentModel[] | null) ?? [];
    } catch (err) {
      if (quiet) return;
      this.items = [];
      this.notify(
        `Could not open ${this.path || "the root folder"}: ${(err as Error).message}`,
        true,
      );
    }
    this.signature = JSON.stringify([
      this.path,
      this.items.map((i) => [i.name, i.type, i.size, i.last_modified]),
    ]);
    // Redrawing replaces the rows under the pointer: don't do it for nothing.
    if (quiet && this.signature === before) return;
    const names = new Set(this.items.map((i) => i.name));
    for (const name of [...this.selected]) if (!names.has(name)) this.selected.delete(name);
    document.title = `${this.path ? basename(this.path) : "Files"} · carnet`;
    this.render();
  }

  private render(): void {
    this.crumbsNav.replaceChildren(
      ...crumbs(this.path).map((c, i, all) =>
        i === all.length - 1
          ? h("span", { class: "crumb", "aria-current": "page" }, c.name)
          : h(
              "a",
              {
                class: "crumb",
                href: this.pageUrl("tree", c.path),
                "data-path": c.path,
                onclick: (e: Event) => this.navigate(e, c.path),
              },
              c.name,
            ),
      ),
    );
    this.head.replaceChildren(
      h("th", { class: "check", scope: "col" }, this.selectAll),
      this.sortHeader("name", "Name"),
      this.sortHeader("size", "Size"),
      this.sortHeader("modified", "Modified"),
    );
    this.tbody.replaceChildren(...sortItems(this.items, this.sort).map((item) => this.row(item)));
    this.empty.hidden = this.items.length > 0;
    this.selectAll.checked = this.items.length > 0 && this.selected.size === this.items.length;
    this.selectAll.indeterminate = this.selected.size > 0 && this.selected.size < this.items.length;
    this.renderSelection();
  }

  private sortHeader(key: SortKey, label: string): HTMLTableCellElement {
    const active = this.sort.key === key;
    const sortState = active ? (this.sort.ascending ? "ascending" : "descending") : "none";
    return h(
      "th",
      { scope: "col", class: `col-${key}`, "aria-sort": sortState },
      h(
        "button",
        {
          type: "button",
          class: "sort",
          onclick: () => {
            this.sort = { key, ascending: active ? !this.sort.ascending : key === "name" };
            this.render();
          },
        },
        label,
        h(
          "span",
          { class: "arrow", "aria-hidden": "true" },
          active ? (this.sort.ascending ? "▲" : "▼") : "",
        ),
      ),
    );
  }

  private row(item: ContentModel): HTMLTableRowElement {
    const checked = this.selected.has(item.name);
    const box = h("input", { type: "checkbox", checked, "aria-label": `Select ${item.name}` });
    box.addEventListener("change", () => {
      if (box.checked) this.selected.add(item.name);
      else this.selected.delete(item.name);
      this.render();
    });
    const kind = item.type === "file" && openTarget(item) === "files" ? "image" : item.type;
    const toggle = (e: Event): void => {
      if ((e.target as HTMLElement).closest("a, input, button")) return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change"));
    };
    const link = h("a", { href: this.openUrl(item) }, item.name);
    if (item.type === "directory")
      link.addEventListener("click", (e) => this.navigate(e, item.path));
    return h(
      "tr",
      {
        class: checked ? "selected" : "",
        "data-name": item.name,
        "data-type": item.type,
        onclick: toggle,
      },
      h("td", { class: "check" }, box),
      h("td", { class: "name" }, h("span", { class: "cell-name" }, icon(kind), link)),
      h("td", { class: "col-size" }, item.type === "directory" ? "" : formatSize(item.size)),
      h(
        "td",
        { class: "col-modified", title: item.last_modified ?? "" },
        formatAge(item.last_modified),
      ),
    );
  }

  private renderSelection(): void {
    const chosen = this.items.filter((i) => this.selected.has(i.name));
    this.selectionBar.hidden = chosen.length === 0;
    if (!chosen.length) return;
    const one = chosen.length === 1;
    const onlyFiles = chosen.every((i) => i.type !== "directory");
    const button = (
      label: string,
      enabled: boolean,
      action: () => void,
      danger = false,
    ): HTMLButtonElement =>
      h(
        "button",
        {
          type: "button",
          class: danger ? "button danger" : "button",
          disabled: !enabled,
          onclick: action,
        },
        label,
      );
    this.selectionBar.replaceChildren(
      h("span", { class: "count" }, `${chosen.length} selected`),
      button("Rename", one, () => void this.rename(chosen[0]!)),
      button("Move", true, () => void this.move(chosen)),
      button("Duplicate", onlyFiles, () => void this.duplicate(chosen)),
      button("Download", onlyFiles, () => this.download(chosen)),
      button("Delete", true, () => void this.remove(chosen), true),
    );
  }

  private navigate(event: Event, path: string): void {
    const e = event as MouseEvent;
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    event.preventDefault();
    this.path = path;
    this.selected.clear();
    history.pushState({ path }, "", this.pageUrl("tree", path));
    void this.load();
  }

  // -- views -------------------------------------------------------------------------
  showView(): void {
    const running = window.location.hash === "#running";
    this.filesView.hidden = running;
    this.running.root.hidden = !running;
    this.tabs.files.toggleAttribute("aria-current", !running);
    this.tabs.running.toggleAttribute("aria-current", running);
    if (running) void this.running.refresh();
  }

  start(): void {
    window.addEventListener("popstate", (e) => {
      const state = e.state as { path?: string } | null;
      if (state && typeof state.path === "string" && state.path !== this.path) {
        this.path = state.path;
        this.selected.clear();
        void this.load();
      }
    });
    window.addEventListener("hashchange", () => this.showView());
    this.tabs.files.addEventListener("click", (e) => {
      e.preventDefault();
      history.pushState(history.state, "", window.location.pathname + window.location.search);
      this.showView();
    });
    history.replaceState({ path: this.path }, "");
    this.showView();
    void this.load();
    window.setInterval(() => {
      if (document.visibilityState !== "visible" || document.querySelector("dialog[open]")) return;
      if (this.running.root.hidden) void this.load(true);
      else void this.running.refresh();
    }, POLL_MS);
  }

  // -- actions -----------------------------------------------------------------------
  notify(message: string, isError = false): void {
    this.toast.textContent = message;
    this.toast.className = isError ? "toast show error" : "toast show";
    this.toast.setAttribute("role", isError ? "alert" : "status");
    window.clearTimeout(this.toastTimer);
    this.toastTimer = window.setTimeout(
      () => this.toast.classList.remove("show"),
      isError ? 8000 : 3000,
    );
  }

  private nameProblem(name: string, except?: string): string | null {
    if (!validName(name)) return "Give a name without slashes.";
    if (name !== except && this.items.some((i) => i.name === name))
      return `${name} already exists here.`;
    return null;
  }

  private async run(what: string, action: () => Promise<unknown>): Promise<boolean> {
    try {
      await action();
      this.selected.clear();
      return true;
    } catch (err) {
      this.notify(`${what} failed: ${(err as Error).message}`, true);
      return false;
    } finally {
      await this.load();
    }
  }

  private async newNotebook(): Promise<void> {
    try {
      this.specs ??= await this.api.kernelspecs();
    } catch (err) {
      this.notify(`Could not list the kernels: ${(err as Error).message}`, true);
      return;
    }
    const specs = this.specs;
    const choices = Object.values(specs.kernelspecs)
      .map((k): [string, string] => [k.name, k.spec.display_name || k.name])
      .sort((a, b) => a[1].localeCompare(b[1]));
    const name = await dialogs.choose("New notebook", "Kernel", choices, specs.default, "Create");
    if (name === null) return;
    const spec = specs.kernelspecs[name];
    let created: ContentModel | null = null;
    const ok = await this.run("Creating the notebook", async () => {
      created = await this.api.create(this.path, "notebook");
      const notebook = {
        cells: [],
        metadata: {
          kernelspec: {
            name,
            display_name: spec?.spec.display_name ?? name,
            language: spec?.spec.language ?? "",
          },
          language_info: { name: spec?.spec.language ?? "" },
        },
        nbformat: 4,
        nbformat_minor: 5,
      };
      await this.api.save(created.path, { type: "notebook", format: "json", content: notebook });
    });
    if (ok && created)
      window.location.assign(this.pageUrl("notebooks", (created as ContentModel).path));
  }

  private async newFile(): Promise<void> {
    const name = await dialogs.prompt("New text file", "Name", "untitled.txt", "Create", (n) =>
      this.nameProblem(n),
    );
    if (name === null) return;
    await this.run("Creating the file", () =>
      this.api.save(joinPath(this.path, name), { type: "file", format: "text", content: "" }),
    );
  }

  private async newFolder(): Promise<void> {
    const name = await dialogs.prompt("New folder", "Name", "Untitled Folder", "Create", (n) =>
      this.nameProblem(n),
    );
    if (name === null) return;
    await this.run("Creating the folder", () =>
      this.api.save(joinPath(this.path, name), { type: "directory" }),
    );
  }

  private async uploadFiles(files: File[]): Promise<void> {
    for (const file of files) {
      if (this.items.some((i) => i.name === file.name)) {
        const replace = await dialogs.confirm(
          "Replace file?",
          [h("p", {}, `${file.name} already exists here. Replace it?`)],
          "Replace",
        );
        if (!replace) continue;
      }
      const bar = h("progress", {
        max: Math.max(1, file.size),
        value: 0,
        "aria-label": `Uploading ${file.name}`,
      });
      const state = h("span", { class: "state" }, "0 %");
      const close = h(
        "button",
        { type: "button", class: "button small", "aria-label": `Dismiss ${file.name}` },
        "×",
      );
      const entry = h(
        "li",
        { "data-name": file.name },
        h("span", { class: "name" }, file.name),
        bar,
        state,
        close,
      );
      close.addEventListener("click", () => entry.remove());
      this.uploads.appendChild(entry);
      const dir = this.path;
      try {
        await upload(this.api, dir, file, (sent, total) => {
          bar.value = sent;
          state.textContent = `${total ? Math.floor((100 * sent) / total) : 100} %`;
        });
        bar.value = bar.max;
        state.textContent = "done";
        entry.classList.add("done");
      } catch (err) {
        state.textContent = "failed";
        entry.classList.add("failed");
        this.notify(`Uploading ${file.name} failed: ${(err as Error).message}`, true);
      }
      if (dir === this.path) await this.load();
    }
  }

  private async rename(item: ContentModel): Promise<void> {
    const name = await dialogs.prompt("Rename", "New name", item.name, "Rename", (n) =>
      this.nameProblem(n, item.name),
    );
    if (name === null || name === item.name) return;
    this.selected.delete(item.name);
    await this.run("Renaming", () =>
      this.api.rename(item.path, joinPath(dirname(item.path), name)),
    );
  }

  private async move(chosen: ContentModel[]): Promise<void> {
    const dest = await dialogs.prompt(
      "Move",
      "To folder (a path from the root; empty for the root)",
      this.path,
      "Move",
      (p) => (p.split("/").some((part) => part === "..") ? "Paths cannot go up with “..”." : null),
    );
    if (dest === null || joinPath(dest) === joinPath(this.path)) return;
    await this.run("Moving", async () => {
      for (const item of chosen) {
        await this.api.rename(item.path, joinPath(dest, item.name));
        this.selected.delete(item.name);
      }
    });
  }

  private async duplicate(chosen: ContentModel[]): Promise<void> {
    await this.run("Duplicating", async () => {
      for (const item of chosen) await this.api.copy(item.path, this.path);
    });
  }

  private download(chosen: ContentModel[]): void {
    for (const item of chosen) {
      const a = h("a", {
        href: this.api.linkUrl("files", item.path, { download: "1" }),
        download: item.name,
        hidden: true,
      });
      document.body.appendChild(a);
      a.click();
      a.remove();
    }
  }

  private async remove(chosen: ContentModel[]): Promise<void> {
    const list = h("ul", { class: "names" }, ...chosen.map((i) => h("li", {}, i.name)));
    const what = chosen.length === 1 ? "this item" : `these ${chosen.length} items`;
    const sure = await dialogs.confirm(
      "Delete?",
      [h("p", {}, `Delete ${what} for good?`), list],
      "Delete",
    );
    if (!sure) return;
    await this.run("Deleting", async () => {
      for (const item of chosen) {
        await this.api.remove(item.path);
        this.selected.delete(item.name);
      }
    });
  }
}

const config = readConfig();
new Dashboard(
  new Api(config.baseUrl, config.token ?? null, config.xsrf ?? null),
  config.path,
).start();
