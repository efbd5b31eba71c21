// The notebook page's entry point: read the page config, start the notebook.

import "./style.css";
import "./notebook/notebook.css";
import { NotebookApp, type PageConfig } from "./notebook/app";

function readConfig(): PageConfig {
  const node = document.getElementById("carnet-config");
  const data = JSON.parse(node?.textContent ?? "{}") as Partial<PageConfig>;
  return {
    baseUrl: data.baseUrl ?? "/",
    token: data.token ?? null,
    xsrf: data.xsrf ?? null,
    path: data.path ?? "",
    styleNonce: data.styleNonce ?? "",
  };
}

new NotebookApp(readConfig()).start();
