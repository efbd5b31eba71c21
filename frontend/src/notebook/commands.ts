// Every action of the notebook, with its label, keys and menu: the keyboard, the menus,
// the toolbar and the shortcut help are all drawn from this one table (FRONTEND.md §4).

export interface CommandInfo {
  id: string;
  label: string;
  /** Keys in command mode (key descriptions; "D D" is a chord). */
  keys?: string[];
  /** Keys in edit mode, for the help dialog only (the editor binds them). */
  editKeys?: string[];
  menu: "File" | "Edit" | "View" | "Run" | "Kernel" | "Help";
}

export const COMMANDS: CommandInfo[] = [
  {
    id: "save",
    label: "Save and checkpoint",
    keys: ["Ctrl+S", "S"],
    editKeys: ["Ctrl+S"],
    menu: "File",
  },
  { id: "rename", label: "Rename…", menu: "File" },
  { id: "revert", label: "Revert to a checkpoint…", menu: "File" },
  { id: "download", label: "Download as .ipynb", menu: "File" },
  { id: "download-script", label: "Download as script", menu: "File" },
  { id: "download-html", label: "Download as HTML", menu: "File" },
  { id: "edit", label: "Edit cell", keys: ["Enter"], menu: "Edit" },
  { id: "command", label: "Leave the editor", editKeys: ["Escape", "Ctrl+M"], menu: "Edit" },
  { id: "insert-above", label: "Insert cell above", keys: ["A"], menu: "Edit" },
  { id: "insert-below", label: "Insert cell below", keys: ["B"], menu: "Edit" },
  { id: "delete", label: "Delete cells", keys: ["D D"], menu: "Edit" },
  { id: "undo", label: "Undo cell operation", keys: ["Z"], menu: "Edit" },
  { id: "redo", label: "Redo cell operation", keys: ["Shift+Z"], menu: "Edit" },
  { id: "copy", label: "Copy cells", keys: ["C"], menu: "Edit" },
  { id: "cut", label: "Cut cells", keys: ["X"], menu: "Edit" },
  { id: "paste", label: "Paste cells below", keys: ["V"], menu: "Edit" },
  { id: "paste-above", label: "Paste cells above", keys: ["Shift+V"], menu: "Edit" },
  { id: "to-code", label: "Change to code", keys: ["Y"], menu: "Edit" },
  { id: "to-markdown", label: "Change to markdown", keys: ["M"], menu: "Edit" },
  { id: "to-raw", label: "Change to raw", keys: ["R"], menu: "Edit" },
  { id: "heading-1", label: "Heading 1", keys: ["1"], menu: "Edit" },
  { id: "heading-2", label: "Heading 2", keys: ["2"], menu: "Edit" },
  { id: "heading-3", label: "Heading 3", keys: ["3"], menu: "Edit" },
  { id: "heading-4", label: "Heading 4", keys: ["4"], menu: "Edit" },
  { id: "heading-5", label: "Heading 5", keys: ["5"], menu: "Edit" },
  { id: "heading-6", label: "Heading 6", keys: ["6"], menu: "Edit" },
  { id: "select-up", label: "Select cell above", keys: ["ArrowUp", "K"], menu: "Edit" },
  { id: "select-down", label: "Select cell below", keys: ["ArrowDown", "J"], menu: "Edit" },
  {
    id: "extend-up",
    label: "Extend selection up",
    keys: ["Shift+ArrowUp", "Shift+K"],
    menu: "Edit",
  },
  {
    id: "extend-down",
    label: "Extend selection down",
    keys: ["Shift+ArrowDown", "Shift+J"],
    menu: "Edit",
  },
  { id: "extend-top", label: "Extend selection to the top", keys: ["Shift+Home"], menu: "Edit" },
  {
    id: "extend-bottom",
    label: "Extend selection to the bottom",
    keys: ["Shift+End"],
    menu: "Edit",
  },
  { id: "select-all", label: "Select all cells", keys: ["Ctrl+A"], menu: "Edit" },
  { id: "merge", label: "Merge selected cells", keys: ["Shift+M"], menu: "Edit" },
  { id: "merge-above", label: "Merge with cell above", keys: ["Ctrl+Backspace"], menu: "Edit" },
  { id: "merge-below", label: "Merge with cell below", keys: ["Ctrl+Shift+M"], menu: "Edit" },
  { id: "split", label: "Split cell at cursor", editKeys: ["Ctrl+Shift+-"], menu: "Edit" },
  { id: "move-up", label: "Move cells up", keys: ["Ctrl+Shift+ArrowUp"], menu: "Edit" },
  { id: "move-down", label: "Move cells down", keys: ["Ctrl+Shift+ArrowDown"], menu: "Edit" },
  { id: "clear-outputs", label: "Clear outputs of selected cells", menu: "Edit" },
  { id: "toggle-output", label: "Collapse or expand outputs", keys: ["O"], menu: "View" },
  { id: "toggle-scroll", label: "Scroll long outputs", keys: ["Shift+O"], menu: "View" },
  { id: "line-numbers", label: "Toggle line numbers", keys: ["Shift+L", "L"], menu: "View" },
  {
    id: "run-advance",
    label: "Run and select below",
    keys: ["Shift+Enter"],
    editKeys: ["Shift+Enter"],
    menu: "Run",
  },
  {
    id: "run",
    label: "Run selected cells",
    keys: ["Ctrl+Enter"],
    editKeys: ["Ctrl+Enter"],
    menu: "Run",
  },
  {
    id: "run-insert",
    label: "Run and insert below",
    keys: ["Alt+Enter"],
    editKeys: ["Alt+Enter"],
    menu: "Run",
  },
  { id: "run-all", label: "Run all cells", menu: "Run" },
  { id: "run-above", label: "Run all above", menu: "Run" },
  { id: "run-below", label: "Run selected and all below", menu: "Run" },
  { id: "interrupt", label: "Interrupt the kernel", keys: ["I I"], menu: "Kernel" },
  { id: "restart", label: "Restart the kernel…", keys: ["0 0"], menu: "Kernel" },
  { id: "restart-run-all", label: "Restart and run all…", menu: "Kernel" },
  { id: "complete", label: "Complete code", editKeys: ["Tab"], menu: "Help" },
  { id: "inspect", label: "Show the signature and docs", editKeys: ["Shift+Tab"], menu: "Help" },
  { id: "help", label: "Keyboard shortcuts", keys: ["H"], menu: "Help" },
];

/** Command-mode bindings: key description (or chord) → command id. */
export function commandBindings(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of COMMANDS) for (const k of c.keys ?? []) out[k] = c.id;
  return out;
}
