// Syntax support by file extension. Each language is its own chunk, loaded with import()
// only when a file of that kind is opened.

import type { StreamParser } from "@codemirror/language";
import type { Extension } from "@codemirror/state";

type Loader = () => Promise<Extension>;

async function legacy(load: () => Promise<StreamParser<unknown>>): Promise<Extension> {
  const [{ StreamLanguage }, mode] = await Promise.all([import("@codemirror/language"), load()]);
  return StreamLanguage.define(mode);
}

const LOADERS: Record<string, Loader> = {
  python: async () => (await import("@codemirror/lang-python")).python(),
  markdown: async () => (await import("@codemirror/lang-markdown")).markdown(),
  json: async () => (await import("@codemirror/lang-json")).json(),
  javascript: async () => (await import("@codemirror/lang-javascript")).javascript({ jsx: true }),
  typescript: async () =>
    (await import("@codemirror/lang-javascript")).javascript({ typescript: true, jsx: true }),
  css: async () => (await import("@codemirror/lang-css")).css(),
  html: async () => (await import("@codemirror/lang-html")).html(),
  yaml: async () => (await import("@codemirror/lang-yaml")).yaml(),
  shell: () => legacy(async () => (await import("@codemirror/legacy-modes/mode/shell")).shell),
  toml: () => legacy(async () => (await import("@codemirror/legacy-modes/mode/toml")).toml),
};

const EXTENSIONS: Record<string, string> = {
  py: "python",
  pyw: "python",
  pyi: "python",
  md: "markdown",
  markdown: "markdown",
  json: "json",
  geojson: "json",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "javascript",
  ts: "typescript",
  tsx: "typescript",
  mts: "typescript",
  cts: "typescript",
  css: "css",
  html: "html",
  htm: "html",
  yaml: "yaml",
  yml: "yaml",
  sh: "shell",
  bash: "shell",
  zsh: "shell",
  toml: "toml",
};

/** The language of a file name, by its extension; null for plain text. */
export function languageOf(name: string): string | null {
  const dot = name.lastIndexOf(".");
  if (dot < 0) return null;
  return EXTENSIONS[name.slice(dot + 1).toLowerCase()] ?? null;
}

/** The editor extension for `language` (its chunk is fetched on the first call). */
export function loadLanguage(language: string | null): Promise<Extension> {
  const loader = language ? LOADERS[language] : undefined;
  return loader ? loader() : Promise.resolve([]);
}
