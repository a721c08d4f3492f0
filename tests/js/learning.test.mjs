// The batches of one teaching (Classifier/js/learning/learning.js teachingBatches, the recipe of digits/export/finetune.py):
// in each, the newest example first, then personal - 1 drawn from all of them, then ordinary digits from the replay
// sample in -1..1; every image its own warp noise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { teachingBatches } from "../../Classifier/js/learning/learning.js";

const INPUT = 784;
const example = (value, label) => ({ input: new Float32Array(INPUT).fill(value), label });
// a seeded random in [0, 1): the batches are a function of it
function seeded(seed) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}
const replay = { images: Uint8Array.from({ length: 3 * INPUT }, (_, i) => [0, 255, 51][Math.floor(i / INPUT)]), labels: Uint8Array.of(4, 5, 6) };
const recipe = { batch: 6, personal: 3, steps: 4 };

test("each batch: the newest example, then examples of the person's, then replay digits, with noise", () => {
  const examples = [example(0.25, 1), example(-0.5, 2), example(0.75, 3)];
  const batches = teachingBatches(examples, 1, replay, recipe, 5, seeded(7));
  assert.equal(batches.length, recipe.steps);
  for (const { x, y, noise } of batches) {
    assert.ok(x instanceof Float32Array && x.length === recipe.batch * INPUT);
    assert.ok(y instanceof Int32Array && y.length === recipe.batch);
    assert.ok(noise instanceof Float32Array && noise.length === recipe.batch * 5);
    assert.equal(y[0], 2);
    assert.ok(x.subarray(0, INPUT).every((v) => v === -0.5), "the newest example comes first");
    for (let i = 1; i < recipe.personal; i++) {
      const drawn = examples.find((e) => e.label === y[i]);
      assert.ok(drawn && x.subarray(i * INPUT, (i + 1) * INPUT).every((v) => v === drawn.input[0]));
    }
    for (let i = recipe.personal; i < recipe.batch; i++) {
      const r = y[i] - 4, pixels = x.subarray(i * INPUT, (i + 1) * INPUT);
      assert.ok(r >= 0 && r < 3);
      assert.ok(pixels.every((v) => Math.abs(v - (replay.images[r * INPUT] / 127.5 - 1)) < 1e-6), "replay pixels scaled to -1..1");
    }
    assert.ok(noise.every((v) => v >= -1 && v < 1));
  }
});

test("the same random numbers give the same batches; others give others", () => {
  const examples = [example(0.1, 7), example(0.2, 8)];
  const a = teachingBatches(examples, 0, replay, recipe, 2, seeded(1)), b = teachingBatches(examples, 0, replay, recipe, 2, seeded(1));
  const c = teachingBatches(examples, 0, replay, recipe, 2, seeded(2));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((s) => s.noise), c.map((s) => s.noise));
});
