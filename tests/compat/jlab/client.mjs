// Drives a running carnet with @jupyterlab/services, the way JupyterLab and Notebook 7 do.
// Usage: node client.mjs <base-url> <token>. Prints one JSON object with what it saw.
import WebSocket from "ws";
import {
  ServerConnection,
  KernelSpecAPI,
  ContentsManager,
  SessionManager,
  KernelManager,
} from "@jupyterlab/services";

const [baseUrl, token] = process.argv.slice(2);
const serverSettings = ServerConnection.makeSettings({
  baseUrl,
  wsUrl: baseUrl.replace(/^http/, "ws"),
  token,
  appendToken: true,
  WebSocket,
  fetch,
  Request,
  Headers,
});

const seen = {};
const specs = await KernelSpecAPI.getSpecs(serverSettings);
seen.defaultSpec = specs.default;
seen.specNames = Object.keys(specs.kernelspecs);

const contents = new ContentsManager({ serverSettings });
const created = await contents.newUntitled({ type: "notebook", path: "" });
seen.untitled = created.path;
const nb = await contents.get(created.path);
seen.nbformat = nb.content.nbformat;
await contents.save(created.path, {
  type: "notebook",
  format: "json",
  content: { ...nb.content, cells: [{ cell_type: "code", source: "print(1+1)", metadata: {}, outputs: [], execution_count: null }] },
});
const renamed = await contents.rename(created.path, "compat.ipynb");
seen.renamed = renamed.path;

const kernelManager = new KernelManager({ serverSettings });
const sessions = new SessionManager({ kernelManager, serverSettings });
const session = await sessions.startNew({ path: "compat.ipynb", type: "notebook", name: "compat.ipynb", kernel: { name: specs.default } });
const kernel = session.kernel;
const outputs = [];
const future = kernel.requestExecute({ code: "print(1+1)\n6*7" });
future.onIOPub = (msg) => {
  if (msg.header.msg_type === "stream") outputs.push(msg.content.text);
  if (msg.header.msg_type === "execute_result") outputs.push(msg.content.data["text/plain"]);
};
const reply = await future.done;
seen.replyStatus = reply.content.status;
seen.outputs = outputs;
const info = await kernel.info;
seen.language = info.language_info.name;

await kernel.interrupt();
await kernel.restart();
const after = kernel.requestExecute({ code: "'x' in dir()" });
const afterReply = await after.done;
seen.afterRestart = afterReply.content.status;

const running = [];
for (const m of (await (await ServerConnection.makeRequest(baseUrl + "api/sessions", {}, serverSettings)).json())) running.push(m.path);
seen.sessions = running;
await session.shutdown();
seen.kernelsAfter = (await (await ServerConnection.makeRequest(baseUrl + "api/kernels", {}, serverSettings)).json()).length;
await contents.delete("compat.ipynb");
sessions.dispose();
kernelManager.dispose();
console.log(JSON.stringify(seen));
process.exit(0);
