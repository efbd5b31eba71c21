// The "Running" view: the sessions and kernels the server holds, each with a shut-down button.

import type { Api, Kernel, KernelSpecs, Session } from "./api";
import { h } from "./dom";
import { formatAge } from "./format";

export interface RunningHooks {
  notify: (message: string, isError?: boolean) => void;
  notebookUrl: (path: string) => string;
}

function shutdownButton(label: string, action: () => Promise<void>): HTMLButtonElement {
  const button = h(
    "button",
    { type: "button", class: "button danger small", "aria-label": label },
    "Shut down",
  );
  button.addEventListener("click", () => {
    button.disabled = true;
    void action().finally(() => {
      button.disabled = false;
    });
  });
  return button;
}

export class RunningView {
  readonly root: HTMLElement;
  private readonly sessionsBody = h("tbody");
  private readonly kernelsBody = h("tbody");
  private readonly sessionsEmpty = h("p", { class: "empty" }, "No notebook or console is open.");
  private readonly kernelsEmpty = h("p", { class: "empty" }, "No kernel is running.");
  private specs: KernelSpecs | null = null;

  constructor(
    private readonly api: Api,
    private readonly hooks: RunningHooks,
  ) {
    const table = (body: HTMLElement, ...heads: string[]): HTMLTableElement =>
      h(
        "table",
        { class: "list" },
        h("thead", {}, h("tr", {}, ...heads.map((t) => h("th", { scope: "col" }, t)))),
        body,
      );
    this.root = h(
      "section",
      { id: "running-view", class: "view", "aria-label": "Running" },
      h("h2", {}, "Sessions"),
      table(this.sessionsBody, "Path", "Kernel", "State", ""),
      this.sessionsEmpty,
      h("h2", {}, "Kernels"),
      table(this.kernelsBody, "Kernel", "Id", "State", "Last activity", ""),
      this.kernelsEmpty,
    );
  }

  /** Fetch and show what runs now. */
  async refresh(): Promise<void> {
    let sessions: Session[];
    let kernels: Kernel[];
    try {
      [sessions, kernels] = await Promise.all([this.api.sessions(), this.api.kernels()]);
      this.specs ??= await this.api.kernelspecs().catch(() => null);
    } catch (err) {
      this.hooks.notify(`Could not list what is running: ${(err as Error).message}`, true);
      return;
    }
    this.sessionsBody.replaceChildren(
      ...sessions.map((s) =>
        h(
          "tr",
          { "data-session": s.id },
          h(
            "td",
            { class: "name" },
            h("a", { href: this.hooks.notebookUrl(s.path) }, s.path || s.name),
          ),
          h("td", {}, s.kernel ? this.displayName(s.kernel.name) : ""),
          h("td", {}, s.kernel?.execution_state ?? ""),
          h(
            "td",
            { class: "actions" },
            shutdownButton(`Shut down ${s.path}`, () =>
              this.shutdown(() => this.api.shutdownSession(s.id)),
            ),
          ),
        ),
      ),
    );
    this.kernelsBody.replaceChildren(
      ...kernels.map((k) =>
        h(
          "tr",
          { "data-kernel": k.id },
          h("td", { class: "name", title: k.name }, this.displayName(k.name)),
          h("td", { class: "mono", title: k.id }, k.id.slice(0, 8)),
          h("td", {}, k.execution_state),
          h("td", { title: k.last_activity }, formatAge(k.last_activity)),
          h(
            "td",
            { class: "actions" },
            shutdownButton(`Shut down kernel ${k.name} ${k.id}`, () =>
              this.shutdown(() => this.api.shutdownKernel(k.id)),
            ),
          ),
        ),
      ),
    );
    this.sessionsEmpty.hidden = sessions.length > 0;
    this.kernelsEmpty.hidden = kernels.length > 0;
  }

  private displayName(name: string): string {
    return this.specs?.kernelspecs[name]?.spec.display_name ?? name;
  }

  private async shutdown(action: () => Promise<void>): Promise<void> {
    try {
      await action();
      this.hooks.notify("Shut down.");
    } catch (err) {
      this.hooks.notify(`Could not shut down: ${(err as Error).message}`, true);
    }
    await this.refresh();
  }
}
