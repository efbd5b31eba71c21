// The text editor page's entry point: read the page config, open the file.

import "./style.css";
import "./notebook/notebook.css";
import "./editor/editor.css";
import { EditorApp, type EditorConfig } from "./editor/app";

function readConfig(): EditorConfig {
  const node = document.getElementById("carnet-config");
  const data = JSON.parse(node?.textContent ?? "{}") as Partial<EditorConfig>;
  return {
    baseUrl: data.baseUrl ?? "/",
    token: data.token ?? null,
    xsrf: data.xsrf ?? null,
    path: data.path ?? "",
    styleNonce: data.styleNonce ?? "",
  };
}

void new EditorApp(readConfig()).start();
