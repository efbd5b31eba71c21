import assert from "node:assert/strict";
import { test } from "node:test";
import { duration, prompt, Runs, type OutputRecord } from "./runs";

let seq = 0;
function rec(
  msg_type: string,
  content: Record<string, unknown>,
  extra: Partial<OutputRecord> = {},
): OutputRecord {
  return {
    seq: ++seq,
    cell_id: "c",
    execution_id: "e1",
    msg_type,
    content,
    ...extra,
  } as OutputRecord;
}

test("consecutive stream records of one name make one output", () => {
  const runs = new Runs();
  runs.apply(rec("stream", { name: "stdout", text: "a\n" }));
  runs.apply(rec("stream", { name: "stdout", text: "b\n" }));
  runs.apply(rec("stream", { name: "stderr", text: "oops\n" }));
  runs.apply(rec("stream", { name: "stdout", text: "c\n" }));
  const outs = runs.get("c")?.outputs ?? [];
  assert.deepEqual(
    outs.map((o) => [o.name, o.text]),
    [
      ["stdout", "a\nb\n"],
      ["stderr", "oops\n"],
      ["stdout", "c\n"],
    ],
  );
  assert.equal(outs[0]?.size, 4);
});

test("a new execution starts from no outputs; clear_output with wait clears at the next output", () => {
  const runs = new Runs();
  runs.apply(rec("stream", { name: "stdout", text: "old" }));
  runs.apply(rec("stream", { name: "stdout", text: "new" }, { execution_id: "e2" }));
  assert.equal(runs.get("c")?.outputs[0]?.text, "new");
  runs.apply(rec("clear_output", { wait: true }, { execution_id: "e2" }));
  assert.equal(runs.get("c")?.outputs.length, 1);
  runs.apply(rec("display_data", { data: { "text/plain": "x" } }, { execution_id: "e2" }));
  assert.equal(runs.get("c")?.outputs.length, 1);
  assert.equal(runs.get("c")?.outputs[0]?.output_type, "display_data");
  assert.equal(runs.lastSeq, seq);
});

test("update_display_data replaces the output with that display id in any cell", () => {
  const runs = new Runs();
  runs.apply(
    rec("display_data", { data: { "text/plain": "0%" }, transient: { display_id: "bar" } }),
  );
  const changed = runs.apply(
    rec(
      "update_display_data",
      { data: { "text/plain": "100%" }, transient: { display_id: "bar" } },
      {
        cell_id: "other",
        execution_id: "e9",
      },
    ),
  );
  assert.deepEqual(changed, ["c"]);
  assert.deepEqual(runs.get("c")?.outputs[0]?.data, { "text/plain": "100%" });
});

test("elided records keep the size and mark the output truncated", () => {
  const runs = new Runs();
  runs.apply(rec("stream", { name: "stdout", text: "head" }));
  runs.apply({ ...rec("stream", { name: "stdout" }), elided: 1000 });
  const out = runs.get("c")?.outputs[0];
  assert.equal(out?.truncated, true);
  assert.equal(out?.size, 1004);
});

test("states, counts and the elapsed time of a run seen live", () => {
  let now = 1000;
  const runs = new Runs(() => now);
  runs.apply(rec("carnet.state", { state: "queued" }));
  assert.equal(prompt(runs.get("c"), null), "[*]");
  runs.apply(rec("execute_input", { execution_count: 7 }));
  now = 3500;
  runs.apply(rec("execute_reply", { status: "ok", execution_count: 7 }));
  const run = runs.get("c");
  assert.equal(run?.state, "finished");
  assert.equal(prompt(run, null), "[7]");
  assert.equal((run?.endedAt ?? 0) - (run?.startedAt ?? 0), 2500);
  assert.equal(prompt(undefined, 3), "[3]");
  assert.equal(prompt(undefined, null), "[ ]");
});

test("a snapshot replaces every cell and keeps the highest sequence", () => {
  const runs = new Runs();
  runs.apply(rec("stream", { name: "stdout", text: "gone" }, { cell_id: "x" }));
  runs.snapshot({
    last_seq: 2,
    cells: {
      c: {
        execution_id: "e5",
        state: "finished",
        execution_count: 2,
        outputs: [
          {
            truncated: true,
            size: 5000,
            output: { output_type: "stream", name: "stdout" },
            head: "h",
            tail: "t",
          },
        ],
      },
    },
  });
  assert.equal(runs.get("x"), undefined);
  const out = runs.get("c")?.outputs[0];
  assert.deepEqual([out?.truncated, out?.head, out?.tail, out?.size], [true, "h", "t", 5000]);
  assert.equal(runs.lastSeq, seq);
});

test("duration reads well at every scale", () => {
  assert.equal(duration(250), "250ms");
  assert.equal(duration(1500), "1.5s");
  assert.equal(duration(64_000), "1m 04s");
  assert.equal(duration(3_720_000), "1h 02m");
});

test("an output_view gives the head and tail of an output that was elided live", () => {
  const runs = new Runs();
  runs.apply(rec("stream", { name: "stdout", text: "start" }));
  runs.apply({ ...rec("stream", { name: "stdout" }), elided: 5_000_000 });
  const view = {
    truncated: true,
    size: 5_000_005,
    output: { output_type: "stream", name: "stdout" },
    head: "start…",
    tail: "…end",
  };
  assert.equal(runs.setView("c", "other-run", 0, view), false);
  assert.equal(runs.setView("c", "e1", 3, view), false);
  const before = runs.get("c")?.version ?? 0;
  assert.equal(runs.setView("c", "e1", 0, view), true);
  const out = runs.get("c")?.outputs[0];
  assert.deepEqual([out?.head, out?.tail, out?.size], ["start…", "…end", 5_000_005]);
  assert.ok((runs.get("c")?.version ?? 0) > before);
});
