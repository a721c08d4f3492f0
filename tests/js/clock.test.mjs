// Durations as the page says them (Classifier/js/runtime/clock.js): no more digits than the clock's step carries, and a
// duration below the step said as "< step".
import { test } from "node:test";
import assert from "node:assert/strict";
import { clockStep, formatDuration, timeRuns } from "../../Classifier/js/runtime/clock.js";

test("times below the clock's step are said as such, others with the step's digits", () => {
  assert.deepEqual([formatDuration(0.04, 0.1), formatDuration(3.456, 0.1), formatDuration(0.4, 1), formatDuration(3.456, 1), formatDuration(12, 16.7)],
                   ["< 0.1 ms", "3.5 ms", "< 1 ms", "3 ms", "< 17 ms"]);
  assert.equal(formatDuration(0.123, 0.01), "0.12 ms");
});

test("the clock's step is positive and looked for once", () => {
  const step = clockStep();
  assert.ok(step > 0 && step <= 20, String(step));
  assert.equal(clockStep(), step);
});

test("timeRuns runs one after the other and times each", async () => {
  let running = 0, most = 0, runs = 0;
  const times = await timeRuns(async () => {
    running++; runs++; most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 2));
    running--;
  }, 3);
  assert.equal(times.length, 3);
  assert.equal(runs, 3);
  assert.equal(most, 1);
  assert.ok(times.every((t) => t > 0));
});
