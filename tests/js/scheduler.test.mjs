// When the page classifies (Classifier/js/model/scheduler.js): one computation at a time, a burst of requests answered by
// one more run on the drawing as it is then, every request resolved by a run that began after it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClassificationScheduler } from "../../Classifier/js/model/scheduler.js";

// A classify() whose runs end only when the test says so: runs[i].end() finishes run i.
function controlledClassify() {
  const runs = [];
  let running = 0, most = 0;
  const classify = () => new Promise((resolve) => {
    running++; most = Math.max(most, running);
    runs.push({ end: () => { running--; resolve(); } });
  });
  return { classify, runs, most: () => most };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a burst during a run asks for one more run only, which answers the whole burst", async () => {
  const { classify, runs, most } = controlledClassify();
  let settled = 0;
  const scheduler = new ClassificationScheduler(classify, () => settled++);
  const answered = [];
  const first = scheduler.request().then(() => answered.push("first"));
  for (let i = 0; i < 5; i++) scheduler.request().then(() => answered.push(`burst ${i}`));
  await settle();
  assert.equal(runs.length, 1);
  runs[0].end();
  await settle();
  await first;
  assert.deepEqual(answered, ["first"], "the burst came after the first run began: it waits for the next");
  assert.equal(runs.length, 2);
  runs[1].end();
  await settle();
  assert.deepEqual(answered, ["first", "burst 0", "burst 1", "burst 2", "burst 3", "burst 4"]);
  assert.equal(runs.length, 2);
  assert.equal(most(), 1, "two computations overlapped");
  assert.equal(settled, 1);
});

test("each run is measured as a 'classify' User Timing measure, none overlapping", async () => {
  performance.clearMeasures("classify");
  const { classify, runs } = controlledClassify();
  const scheduler = new ClassificationScheduler(classify, () => {});
  const done = [scheduler.request()];
  await settle();
  done.push(scheduler.request());
  runs[0].end();
  await settle();
  runs[1].end();
  await Promise.all(done);
  const measures = performance.getEntriesByName("classify", "measure");
  assert.equal(measures.length, 2);
  assert.ok(measures[0].startTime + measures[0].duration <= measures[1].startTime + 1e-6);  // start + duration is rounded
});

test("a request after the scheduler settled starts a new run and settles again", async () => {
  const { classify, runs } = controlledClassify();
  let settled = 0;
  const scheduler = new ClassificationScheduler(classify, () => settled++);
  const a = scheduler.request();
  await settle();
  runs[0].end();
  await a;
  await settle();
  const b = scheduler.request();
  await settle();
  assert.equal(runs.length, 2);
  runs[1].end();
  await b;
  await settle();
  assert.equal(settled, 2);
});
