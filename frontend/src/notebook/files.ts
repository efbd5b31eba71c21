// The notebook's file: reverting to a checkpoint and downloading exports.
// A revert restores the checkpoint on disk through the contents API; the server sees the
// file change under the open document and says `file_changed`, and this page answers
// `reload` for the person, so every open page shows the checkpoint's cells and outputs.

import { encodePath } from "../api";
import { choose } from "../dialogs";
import type { NotebookApp } from "./app";
import { setBanner } from "./chrome";

interface Checkpoint {
  id: string;
  last_modified: string;
}

function when(iso: string): string {
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

function note(app: NotebookApp, text: string, kind: "info" | "error" = "info"): void {
  setBanner(
    app.chrome,
    "revert",
    text,
    [["Dismiss", () => setBanner(app.chrome, "revert", null)]],
    kind,
  );
}

/** Ask which checkpoint to go back to, then restore it and reload the notebook from it. */
export async function revertToCheckpoint(app: NotebookApp): Promise<void> {
  const url = `api/contents/${encodePath(app.config.path)}/checkpoints`;
  // The edits made so far go to the file (and become a checkpoint) first, so a revert
  // can itself be undone by reverting to that newest checkpoint.
  await app.saveNow();
  let list: Checkpoint[];
  try {
    list = await app.api.request<Checkpoint[]>("GET", url);
  } catch (err) {
    return note(app, `Cannot list the checkpoints: ${(err as Error).message}`, "error");
  }
  if (!list.length) return note(app, "This notebook has no checkpoint yet (Ctrl+S makes one).");
  // Checkpoints taken within a second show the same time: the number tells them apart.
  const choices: [string, string][] = list.map((c, i) => [
    c.id,
    `#${list.length - i} · ${when(c.last_modified)}` +
      (i === 0 ? " (newest: the version just saved)" : i === list.length - 1 ? " (oldest)" : ""),
  ]);
  const chosen = await choose(
    "Revert to a checkpoint",
    "Checkpoint",
    choices,
    list[Math.min(1, list.length - 1)]?.id ?? "",
    "Revert",
  );
  if (!chosen) return;
  const label = choices.find(([id]) => id === chosen)?.[1] ?? chosen;
  app.expectFileChange(`Reverted to checkpoint ${label.replace(/ \((newest|oldest).*$/, "")}.`);
  try {
    await app.api.request("POST", `${url}/${encodeURIComponent(chosen)}`);
  } catch (err) {
    app.expectFileChange(null);
    return note(app, `Revert failed: ${(err as Error).message}`, "error");
  }
}

/** Download the notebook as a script or a static HTML page (made by the server). */
export async function downloadExport(app: NotebookApp, format: "script" | "html"): Promise<void> {
  // The export is made from the file: write the latest edits first.
  await app.saveNow();
  const a = document.createElement("a");
  a.href = app.api.linkUrl("carnet/api/export", app.config.path, { format });
  a.download = "";
  a.click();
}
