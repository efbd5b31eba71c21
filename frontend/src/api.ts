// A small client for the Jupyter Server REST API (contents, kernelspecs, kernels, sessions).
// Every request carries the credentials the page was given; see docs/frontend.md.

export type ContentType = "directory" | "file" | "notebook";

export interface ContentModel {
  name: string;
  path: string;
  type: ContentType;
  writable: boolean;
  created: string | null;
  last_modified: string | null;
  size: number | null;
  mimetype: string | null;
  format: string | null;
  content: unknown;
}

export interface KernelSpec {
  name: string;
  spec: { display_name: string; language: string };
}

export interface KernelSpecs {
  default: string;
  kernelspecs: Record<string, KernelSpec>;
}

export interface Kernel {
  id: string;
  name: string;
  last_activity: string;
  execution_state: string;
  connections: number;
}

export interface Session {
  id: string;
  path: string;
  name: string;
  type: string;
  kernel: Kernel | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Percent-encode each segment of a contents path, keeping the slashes. */
export function encodePath(path: string): string {
  return path
    .split("/")
    .filter((part) => part !== "")
    .map(encodeURIComponent)
    .join("/");
}

export class Api {
  /**
   * `token`: the server token, for a page opened by a script with it in a header.
   * `xsrf`: the signed-in browser's XSRF token; the session cookie goes along by itself
   * (same origin), and every write adds the XSRF token to prove it comes from this page.
   */
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
    private readonly xsrf: string | null = null,
  ) {}

  /** Headers that authenticate a request of `method`. */
  authHeaders(method = "GET"): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.token) headers["Authorization"] = `token ${this.token}`;
    if (this.xsrf && !["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase())) {
      headers["X-XSRFToken"] = this.xsrf;
    }
    return headers;
  }

  /** A same-origin URL that works in an <a href> or <img src> (the cookie signs it in). */
  linkUrl(prefix: string, path: string, query: Record<string, string> = {}): string {
    const params = new URLSearchParams(query);
    if (this.token) params.set("token", this.token);
    const qs = params.toString();
    return `${this.baseUrl}${prefix}/${encodePath(path)}${qs ? `?${qs}` : ""}`;
  }

  async request<T>(method: string, url: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { ...this.authHeaders(method) };
    const init: RequestInit = { method, headers, cache: "no-store", credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(this.baseUrl + url, init);
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const data = (await response.json()) as { message?: string };
        if (data.message) message = data.message;
      } catch {
        // not JSON: keep the status line
      }
      throw new ApiError(response.status, message);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  contents(path: string, withContent = true): Promise<ContentModel> {
    return this.request("GET", `api/contents/${encodePath(path)}?content=${withContent ? 1 : 0}`);
  }

  /** Create `Untitled...` in `dir`; the server picks a free name. */
  create(dir: string, type: ContentType, ext?: string): Promise<ContentModel> {
    return this.request("POST", `api/contents/${encodePath(dir)}`, ext ? { type, ext } : { type });
  }

  save(path: string, model: Record<string, unknown>): Promise<ContentModel> {
    return this.request("PUT", `api/contents/${encodePath(path)}`, model);
  }

  /** Rename or move: `to` is the full new path. */
  rename(path: string, to: string): Promise<ContentModel> {
    return this.request("PATCH", `api/contents/${encodePath(path)}`, { path: to });
  }

  copy(path: string, toDir: string): Promise<ContentModel> {
    return this.request("POST", `api/contents/${encodePath(toDir)}`, { copy_from: path });
  }

  remove(path: string): Promise<void> {
    return this.request("DELETE", `api/contents/${encodePath(path)}`);
  }

  kernelspecs(): Promise<KernelSpecs> {
    return this.request("GET", "api/kernelspecs");
  }

  kernels(): Promise<Kernel[]> {
    return this.request("GET", "api/kernels");
  }

  shutdownKernel(id: string): Promise<void> {
    return this.request("DELETE", `api/kernels/${encodeURIComponent(id)}`);
  }

  sessions(): Promise<Session[]> {
    return this.request("GET", "api/sessions");
  }

  shutdownSession(id: string): Promise<void> {
    return this.request("DELETE", `api/sessions/${encodeURIComponent(id)}`);
  }
}
