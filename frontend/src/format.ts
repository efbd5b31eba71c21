// Pure helpers of the file listing: paths, sizes, dates, sorting, where an item opens.

import type { ContentModel } from "./api";

export type SortKey = "name" | "size" | "modified";
export interface Sort {
  key: SortKey;
  ascending: boolean;
}

/** Join contents path parts: no leading, trailing or doubled slashes. */
export function joinPath(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split("/"))
    .filter((p) => p !== "")
    .join("/");
}

export function dirname(path: string): string {
  const parts = joinPath(path).split("/");
  parts.pop();
  return parts.join("/");
}

export function basename(path: string): string {
  return joinPath(path).split("/").pop() ?? "";
}

/** The breadcrumb trail of a directory: [{name, path}], the root first. */
export function crumbs(path: string): { name: string; path: string }[] {
  const out = [{ name: "root", path: "" }];
  let acc = "";
  for (const part of joinPath(path).split("/")) {
    if (!part) continue;
    acc = joinPath(acc, part);
    out.push({ name: part, path: acc });
  }
  return out;
}

const UNITS = ["B", "kB", "MB", "GB", "TB"];

/** A size as people read it: 999 B, 1.5 kB, 12 MB (powers of 1000, like file managers). */
export function formatSize(bytes: number | null): string {
  if (bytes === null || bytes < 0 || !Number.isFinite(bytes)) return "";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${value} B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", or the date for older times. */
export function formatAge(iso: string | null, now: Date = new Date()): string {
  if (!iso) return "";
  const then = new Date(iso);
  const seconds = (now.getTime() - then.getTime()) / 1000;
  if (Number.isNaN(seconds)) return "";
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 86400 * 30) return `${Math.round(seconds / 86400)} days ago`;
  return then.toISOString().slice(0, 10);
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

/** Directories first (whatever the order), then by the key; ties broken by name. */
export function sortItems(items: readonly ContentModel[], sort: Sort): ContentModel[] {
  const sign = sort.ascending ? 1 : -1;
  const value = (m: ContentModel): number => {
    if (sort.key === "size") return m.size ?? -1;
    return m.last_modified ? Date.parse(m.last_modified) : 0;
  };
  return [...items].sort((a, b) => {
    const dirA = a.type === "directory" ? 0 : 1;
    const dirB = b.type === "directory" ? 0 : 1;
    if (dirA !== dirB) return dirA - dirB;
    const byName = collator.compare(a.name, b.name);
    if (sort.key === "name") return sign * byName;
    return sign * (value(a) - value(b)) || byName;
  });
}

const VIEWABLE = /\.(png|jpe?g|gif|webp|svg|bmp|ico|avif|pdf)$/i;

/** Where an item opens: the tree for folders, the editor pages, or the raw file for media. */
export function openTarget(
  item: Pick<ContentModel, "type" | "name">,
): "tree" | "notebooks" | "edit" | "files" {
  if (item.type === "directory") return "tree";
  if (item.type === "notebook") return "notebooks";
  return VIEWABLE.test(item.name) ? "files" : "edit";
}

/** A name someone typed is usable when it is not empty, not `.`/`..` and has no slash. */
export function validName(name: string): boolean {
  const n = name.trim();
  return n !== "" && n !== "." && n !== ".." && !n.includes("/") && !n.includes("\\");
}
