// The document's side of the connection: says hello with what this page has, applies
// the server's updates, sends local edits and counts those not yet acknowledged (shown
// as pending, and sent again after a reconnection), and pairs requests with replies.

import * as Y from "yjs";
import type { Api } from "../api";
import { Connection, type LinkState, type Message } from "./connection";
import { fromBase64, type NotebookModel, REMOTE, toBase64 } from "./model";

export interface SyncEvents {
  /** A message for the page (outputs, kernel status, ...). */
  message(msg: Message): void;
  /** The document arrived for the first time. */
  loaded(): void;
  /** The link or the count of unacknowledged edits changed. */
  changed(): void;
  /** The last output record this page has seen (the hello asks for what follows). */
  lastSeq(): number;
}

type Reply = { ok: (v: unknown) => void; fail: (e: Error) => void };

export class NotebookSync {
  readonly conn: Connection;
  link: LinkState = "connecting";
  loaded = false;
  /** Edits sent and not acknowledged yet. */
  readonly pending = new Set<string>();
  /** Edits made while no connection was open. */
  offlineEdits = 0;
  private nextId = 0;
  private replies = new Map<string, Reply>();
  private later: Message[] = [];
  private closed = false;

  constructor(
    api: Api,
    path: string,
    private readonly model: NotebookModel,
    private readonly on: SyncEvents,
  ) {
    this.conn = new Connection(api, path, {
      open: () => this.hello(),
      message: (msg) => this.receive(msg),
      state: (state) => this.setLink(state),
    });
    model.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) this.sendUpdate(update);
    });
    window.addEventListener("online", () => this.conn.retry());
  }

  start(): void {
    this.conn.start();
  }

  /** Unsent or unacknowledged edits exist. */
  get unsaved(): boolean {
    return this.pending.size > 0 || this.offlineEdits > 0;
  }

  private hello(): void {
    const vector = toBase64(Y.encodeStateVector(this.model.doc));
    this.conn.send({ type: "hello", since_seq: this.on.lastSeq(), state_vector: vector });
  }

  private sendUpdate(update: Uint8Array): void {
    if (this.closed) return;
    const id = `u${this.nextId++}`;
    // Also while connecting: the server handles messages after the hello, in order.
    if (this.conn.send({ type: "update", id, update: toBase64(update) })) this.pending.add(id);
    else this.offlineEdits++;
    this.on.changed();
  }

  /** Send now, or as soon as the connection is back. */
  post(msg: Message): void {
    if (this.closed) return;
    if (this.link !== "online" || !this.conn.send(msg)) this.later.push(msg);
  }

  /** Send a request and wait for its reply's content (fails at once when offline). */
  request(type: string, body: Record<string, unknown>): Promise<unknown> {
    const id = `r${this.nextId++}`;
    return new Promise((ok, fail) => {
      this.replies.set(id, { ok, fail });
      if (this.link !== "online" || !this.conn.send({ type, id, ...body })) {
        this.replies.delete(id);
        fail(new Error("offline"));
      }
    });
  }

  /** The file is gone: send nothing more and let the page close without asking. */
  close(): void {
    this.closed = true;
    this.conn.stop();
    this.later = [];
    this.pending.clear();
    this.offlineEdits = 0;
  }

  private receive(msg: Message): void {
    switch (msg.type) {
      case "sync": {
        Y.applyUpdate(this.model.doc, fromBase64(String(msg["update"])), REMOTE);
        // What was edited here while offline (or never acknowledged) goes to the server now.
        const vector = fromBase64(String(msg["state_vector"]));
        const mine = Y.encodeStateAsUpdate(this.model.doc, vector);
        this.pending.clear();
        if (mine.length > 2) {
          const id = `u${this.nextId++}`;
          if (this.conn.send({ type: "update", id, update: toBase64(mine) })) this.pending.add(id);
        }
        this.offlineEdits = 0;
        if (!this.loaded) {
          this.loaded = true;
          this.on.loaded();
        }
        this.on.changed();
        return;
      }
      case "update":
        Y.applyUpdate(this.model.doc, fromBase64(String(msg["update"])), REMOTE);
        return;
      case "ack":
        this.pending.delete(String(msg["id"]));
        this.on.changed();
        return;
      case "ready": {
        this.conn.ready();
        const later = this.later;
        this.later = [];
        for (const m of later) this.post(m);
        return;
      }
      case "reply":
      case "error": {
        const r = this.replies.get(String(msg["id"]));
        if (!r) break;
        this.replies.delete(String(msg["id"]));
        if (msg.type === "reply") r.ok(msg["content"]);
        else r.fail(new Error(String(msg["message"])));
        return;
      }
    }
    this.on.message(msg);
  }

  private setLink(state: LinkState): void {
    this.link = state;
    if (state === "offline") {
      for (const r of this.replies.values()) r.fail(new Error("offline"));
      this.replies.clear();
      // Edits sent but not acknowledged are in the document: the next sync resends them.
      this.offlineEdits += this.pending.size;
      this.pending.clear();
    }
    this.on.changed();
  }
}
