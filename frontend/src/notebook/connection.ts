// The one connection of this page to its notebook on the server (docs/protocol.md):
// a WebSocket, or Server-Sent Events with POSTs when the WebSocket cannot be opened.
// The same JSON messages travel either way (the browser's sign-in cookie, or the
// token, authenticates both). The connection comes back by itself after
// a drop; the caller says hello again on every `open`.

import type { Api } from "../api";

export type Message = { type: string } & Record<string, unknown>;
export type LinkState = "connecting" | "online" | "offline";

export interface ConnectionEvents {
  /** A transport is open: send `hello` now (messages sent before it wait for `ready`). */
  open(): void;
  message(msg: Message): void;
  state(state: LinkState, transport: "ws" | "sse" | null): void;
}

const FALLBACK_KEY = "carnet.transport";

export class Connection {
  private ws: WebSocket | null = null;
  private events: EventSource | null = null;
  private conn = "";
  private batch = 0;
  private outbox: Message[] = [];
  private posting = false;
  private retries = 0;
  private timer: number | null = null;
  private stopped = false;
  transport: "ws" | "sse" = (sessionStorage.getItem(FALLBACK_KEY) as "ws" | "sse") || "ws";
  state: LinkState = "connecting";

  constructor(
    private readonly api: Api,
    /** Changes when the file is moved: a reconnection names the new path. */
    public path: string,
    private readonly on: ConnectionEvents,
  ) {}

  private url(endpoint: string, query: Record<string, string>): string {
    return this.api.linkUrl("carnet/api/documents", endpoint, query);
  }

  start(): void {
    this.stopped = false;
    this.setState("connecting");
    if (this.transport === "ws") this.openSocket();
    else this.openEvents();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.drop();
  }

  /** Send one message now; false when no transport is open (the caller keeps what it must resend). */
  send(msg: Message): boolean {
    if (this.state === "offline") return false;
    if (this.ws) {
      if (this.ws.readyState !== WebSocket.OPEN) return false;
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    if (!this.events) return false;
    this.outbox.push(msg);
    void this.flush();
    return true;
  }

  /** The handshake finished: messages may flow. */
  ready(): void {
    this.retries = 0;
    this.setState("online");
  }

  private setState(state: LinkState): void {
    this.state = state;
    this.on.state(state, state === "online" ? this.transport : null);
  }

  private openSocket(): void {
    const url = new URL(this.url("ws", { path: this.path }), location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    let opened = false;
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      this.on.open();
    };
    ws.onmessage = (ev) => this.receive(String(ev.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!opened && this.retries >= 1) {
        // A WebSocket that never opens twice in a row is blocked on the way (a proxy):
        // use the event stream for the rest of this tab's life.
        this.transport = "sse";
        sessionStorage.setItem(FALLBACK_KEY, "sse");
      }
      this.lost();
    };
  }

  private openEvents(): void {
    const events = new EventSource(this.url("events", { path: this.path }));
    this.events = events;
    this.batch = 0;
    this.outbox = [];
    events.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as Message;
      if (msg.type === "welcome") {
        this.conn = String(msg["conn"]);
        this.on.open();
        return;
      }
      this.on.message(msg);
    };
    events.onerror = () => {
      if (this.events !== events) return;
      // EventSource would retry by itself, as a new connection; ours says hello again.
      events.close();
      this.events = null;
      this.lost();
    };
  }

  private async flush(): Promise<void> {
    if (this.posting || !this.events || this.outbox.length === 0) return;
    this.posting = true;
    const events = this.events;
    const batch = this.outbox;
    this.outbox = [];
    const n = this.batch++;
    try {
      const headers = { ...this.api.authHeaders("POST"), "Content-Type": "application/json" };
      const res = await fetch(this.url("send", { conn: this.conn, n: String(n) }), {
        method: "POST",
        headers,
        credentials: "same-origin",
        body: JSON.stringify(batch),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch {
      if (this.events === events) {
        events.close();
        this.events = null;
        this.lost();
      }
    } finally {
      this.posting = false;
    }
    void this.flush();
  }

  private receive(text: string): void {
    let msg: Message;
    try {
      msg = JSON.parse(text) as Message;
    } catch {
      return;
    }
    this.on.message(msg);
  }

  private drop(): void {
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.events?.close();
    this.events = null;
  }

  private lost(): void {
    this.drop();
    if (this.stopped) return;
    this.setState("offline");
    const delay = Math.min(10_000, 500 * 2 ** Math.min(this.retries, 5));
    this.retries++;
    this.timer = window.setTimeout(() => {
      this.timer = null;
      this.start();
    }, delay);
  }

  /** Try again now (the person pressed "reconnect", or the browser came back online). */
  retry(): void {
    if (this.state === "online" || this.stopped) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.retries = 0;
    this.drop();
    this.start();
  }
}
