// The Jupyter keyboard model for command mode: key descriptions and two-key chords
// (D,D / I,I / 0,0). Pure logic, no DOM: the notebook feeds it key events.

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

const NAMED: Record<string, string> = {
  " ": "Space",
  Esc: "Escape",
  Up: "ArrowUp",
  Down: "ArrowDown",
  Left: "ArrowLeft",
  Right: "ArrowRight",
};

/**
 * A stable name for a key press: modifiers in the order Ctrl, Alt, Shift, then the key.
 * Letters are upper case ("Shift+J", "A"); on macOS Cmd counts as Ctrl ("Accel").
 */
export function describe(ev: KeyLike, mac = false): string {
  let key = NAMED[ev.key] ?? ev.key;
  if (key.length === 1) key = key.toUpperCase();
  if (key === "_") key = "-";
  const parts: string[] = [];
  if (ev.ctrlKey || (mac && ev.metaKey)) parts.push("Ctrl");
  if (ev.altKey) parts.push("Alt");
  // Shift is part of a printed symbol ("!"), but it matters for letters and named keys.
  if (ev.shiftKey && (key.length > 1 || /[A-Z-]/.test(key))) parts.push("Shift");
  if (key === "Control" || key === "Shift" || key === "Alt" || key === "Meta") return key;
  parts.push(key);
  return parts.join("+");
}

export interface ChordResult {
  /** The command to run, if the key (or chord) completed one. */
  command: string | null;
  /** True while the first key of a chord waits for its second. */
  pending: boolean;
}

/**
 * Bindings map a key description, or two separated by a space ("D D"), to a command id.
 * A first key that starts a chord waits up to `timeoutMs` for its second; any other key
 * in between drops the chord and counts on its own.
 */
export class Chords {
  private first: string | null = null;
  private at = 0;
  private readonly prefixes = new Set<string>();

  constructor(
    private readonly bindings: Record<string, string>,
    private readonly timeoutMs = 1000,
  ) {
    for (const keys of Object.keys(bindings)) {
      const parts = keys.split(" ");
      if (parts.length === 2 && parts[0]) this.prefixes.add(parts[0]);
    }
  }

  /** Feed one key description pressed at `now` (milliseconds). */
  press(key: string, now: number): ChordResult {
    if (this.first !== null && now - this.at <= this.timeoutMs) {
      const chord = this.bindings[`${this.first} ${key}`];
      this.first = null;
      if (chord) return { command: chord, pending: false };
    }
    this.first = null;
    if (this.prefixes.has(key)) {
      this.first = key;
      this.at = now;
      return { command: null, pending: true };
    }
    return { command: this.bindings[key] ?? null, pending: false };
  }

  /** Forget a half-typed chord (focus moved, the mode changed). */
  reset(): void {
    this.first = null;
  }
}
