// A frame for output that needs script: served from carnet's sandbox page with the
// `sandbox allow-scripts` CSP and iframe attribute, never allow-same-origin, so its
// script runs in an opaque origin that cannot read the page, its cookies or the API.

import { h } from "../dom";

let sandboxUrl = "";
const frames = new Map<Window, HTMLIFrameElement>();

/** Where the sandbox page is (set once from the page config). */
export function setSandboxUrl(url: string): void {
  sandboxUrl = url;
  window.addEventListener("message", (event) => {
    const frame = event.source ? frames.get(event.source as Window) : undefined;
    const data = event.data as { height?: unknown } | null;
    if (!frame || typeof data?.height !== "number") return;
    frame.style.height = `${Math.min(Math.max(data.height, 20), 4000)}px`;
  });
}

/** An isolated frame that shows `html` and runs its scripts. */
export function sandboxFrame(html: string): HTMLIFrameElement {
  const frame = h("iframe", {
    class: "output-frame",
    sandbox: "allow-scripts",
    src: sandboxUrl,
    title: "sandboxed output",
    referrerpolicy: "no-referrer",
  });
  frame.addEventListener("load", () => {
    const win = frame.contentWindow;
    if (!win) return;
    frames.set(win, frame);
    // The frame's origin is opaque: "*" is the only target that reaches it.
    win.postMessage({ html }, "*");
  });
  return frame;
}
