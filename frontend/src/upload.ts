// Uploads through the contents API: small files in one PUT, large ones in base64 pieces
// with the `chunk` field (1, 2, ..., -1 for the last), so no request body grows too big.

import type { Api } from "./api";
import { joinPath } from "./format";

/** Raw bytes per request; base64 makes the body a third larger. */
export const CHUNK_BYTES = 1024 * 1024;

export interface Piece {
  start: number;
  end: number;
  /** Absent when the file goes in one request. */
  chunk?: number;
}

/** How a file of `size` bytes is cut into requests. */
export function plan(size: number, chunkBytes: number = CHUNK_BYTES): Piece[] {
  if (size <= chunkBytes) return [{ start: 0, end: size }];
  const pieces: Piece[] = [];
  for (let start = 0, n = 1; start < size; start += chunkBytes, n += 1) {
    const end = Math.min(size, start + chunkBytes);
    pieces.push({ start, end, chunk: end === size ? -1 : n });
  }
  return pieces;
}

/** Standard base64 of bytes, in blocks so large arrays don't overflow the argument list. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const block = 0x8000;
  for (let i = 0; i < bytes.length; i += block) {
    binary += String.fromCharCode(...bytes.subarray(i, i + block));
  }
  return btoa(binary);
}

/** Upload `file` into directory `dir`; `progress(sent, total)` follows each piece. */
export async function upload(
  api: Api,
  dir: string,
  file: File,
  progress: (sent: number, total: number) => void,
  chunkBytes: number = CHUNK_BYTES,
): Promise<void> {
  const path = joinPath(dir, file.name);
  if (file.name.endsWith(".ipynb") && file.size <= chunkBytes) {
    let content: unknown;
    try {
      content = JSON.parse(await file.text());
    } catch {
      throw new Error(`${file.name} is not a notebook: it is not valid JSON`);
    }
    await api.save(path, { type: "notebook", format: "json", content });
    progress(file.size, file.size);
    return;
  }
  progress(0, file.size);
  for (const piece of plan(file.size, chunkBytes)) {
    const bytes = new Uint8Array(await file.slice(piece.start, piece.end).arrayBuffer());
    const model: Record<string, unknown> = {
      type: "file",
      format: "base64",
      content: toBase64(bytes),
    };
    if (piece.chunk !== undefined) model["chunk"] = piece.chunk;
    await api.save(path, model);
    progress(piece.end, file.size);
  }
}
