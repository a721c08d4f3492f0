// @ts-check
// What a fine-tuning run is made of, whatever the backend: the replay sample of ordinary digits, and the batches of one
// teaching (the recipe of digits/export/finetune.py, in the model's train module). bench/finetune_recipe.py mirrors `teachingBatches`.
import { fetchBytes, gunzipped, readTensors } from "../runtime/safetensors.js";
import { INPUT_SIZE } from "../models.js";
import { SharedAttempt } from "../runtime/shared_attempt.js";
import { indexOfMax } from "../model/probabilities.js";

// A teaching starts no training round that would end later than this after its first round began, so that the
// fine-tuning of one example ends within about a second even where a round is slow (WebGPU on SwiftShader)
const ROUNDS_WITHIN_MS = 800;

export const REPLAY_URL = new URL("../../data/replay.safetensors.gz", import.meta.url);

// {images: Uint8Array (n x 784), labels: Uint8Array}, fetched once, on the first teaching (again after a failure)
const replay = new SharedAttempt(async () => {
  const tensors = readTensors(await gunzipped(await fetchBytes(REPLAY_URL)), REPLAY_URL);
  const { images, labels } = tensors;
  if (!images || !labels || images.dtype !== "U8" || labels.dtype !== "U8" || images.data.length !== labels.data.length * INPUT_SIZE)
    throw new Error(`${REPLAY_URL}: expected U8 tensors "images" (n x 784) and "labels" (n)`);
  return { images: images.data, labels: labels.data };
});
export const loadReplay = () => replay.get();

// The batches that teach example `newest` of `examples` ([{input: Float32Array(784) in -1..1, label}]): recipe.steps
// batches of recipe.batch images; in each, the newest example, recipe.personal - 1 examples drawn from all of them, and
// ordinary digits from the replay sample; every image with its own warp (noise). random() -> [0, 1).
export function teachingBatches(examples, newest, replayData, recipe, noisePerImage, random = Math.random) {
  const { batch, personal, steps } = recipe, pick = (n) => Math.floor(random() * n);
  const batches = [];
  for (let s = 0; s < steps; s++) {
    const x = new Float32Array(batch * INPUT_SIZE), y = new Int32Array(batch), noise = new Float32Array(batch * noisePerImage);
    for (let i = 0; i < batch; i++) {
      if (i < personal) {
        const example = examples[i === 0 ? newest : pick(examples.length)];
        x.set(example.input, i * INPUT_SIZE);
        y[i] = example.label;
      } else {
        const r = pick(replayData.labels.length), pixels = replayData.images.subarray(r * INPUT_SIZE, (r + 1) * INPUT_SIZE);
        for (let p = 0; p < INPUT_SIZE; p++) x[i * INPUT_SIZE + p] = pixels[p] / 127.5 - 1;
        y[i] = replayData.labels[r];
      }
    }
    for (let i = 0; i < noise.length; i++) noise[i] = random() * 2 - 1;
    batches.push({ x, y, noise });
  }
  return batches;
}

// Teaches `classifier` the newest of `examples`: training runs of teachingBatches while the network still misreads its
// drawing, at most recipe.rounds. Resolves to the backend of the last run, or null as soon as current() is false (the
// examples were forgotten meanwhile).
/**
 * @param {import("../contracts.js").Classifier} classifier @param {{ input: Float32Array, label: number }[]} examples
 * @param {{ replay: any, recipe: any, noisePerImage: number }} teaching @param {() => boolean} current
 * @returns {Promise<import("../contracts.js").Backend | null>}
 */
export async function teachNewest(classifier, examples, { replay, recipe, noisePerImage }, current) {
  const example = examples[examples.length - 1], started = performance.now();
  let backend = null;
  for (let round = 1; round <= recipe.rounds; round++) {
    ({ backend } = await classifier.train(teachingBatches(examples, examples.length - 1, replay, recipe, noisePerImage)));
    if (!current()) return null;
    const logits = await classifier.predict(example.input);
    if (!current()) return null;
    if (indexOfMax(logits) === example.label) break;
    // the memory answers for this drawing meanwhile (the mean round so far estimates the next); later teachings keep
    // learning it
    const elapsed = performance.now() - started;
    if (elapsed + elapsed / round > ROUNDS_WITHIN_MS) break;
  }
  return backend;
}
