// The memory's layout (Classifier/js/learning/model_memory.js): an example takes `copies` rows; the newest examples that fit
// are held, example i in slot i modulo the slots, so a full memory overwrites its oldest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { layout, slotsOf } from "../../Classifier/js/learning/model_memory.js";

const examples = (n) => Array.from({ length: n }, (_, i) => ({ input: new Float32Array(784), label: i % 10 }));

test("the slots are the whole examples that fit", () => {
  assert.equal(slotsOf({ capacity: 64, copies: 4 }), 16);
  assert.equal(slotsOf({ capacity: 10, copies: 3 }), 3);
});

test("a memory with room holds every example in its own slot, in order", () => {
  const settings = { capacity: 12, copies: 3 }, taught = examples(2);
  assert.deepEqual(layout(settings, []), [null, null, null, null]);
  assert.deepEqual(layout(settings, taught), [taught[0], taught[1], null, null]);
});

test("a full memory keeps the newest examples, each in slot i modulo the slots", () => {
  const settings = { capacity: 8, copies: 2 }, taught = examples(7);
  const slots = layout(settings, taught);
  assert.deepEqual(slots, [taught[4], taught[5], taught[6], taught[3]]);
  assert.equal(new Set(slots).size, 4);
  // one more overwrites the oldest held (example 3, in slot 3) and nothing else
  const more = [...taught, ...examples(1)];
  assert.deepEqual(layout(settings, more), [taught[4], taught[5], taught[6], more[7]]);
});
