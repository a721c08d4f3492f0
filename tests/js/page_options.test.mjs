// The page's address options (Classifier/js/ui/page_options.js): known values chosen, unknown ones fall back with a notice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readPageOptions } from "../../Classifier/js/ui/page_options.js";
import { DEFAULT_BACKEND, DEFAULT_MODEL, MODEL_NAMES } from "../../Classifier/js/models.js";

const read = (query) => readPageOptions(new URLSearchParams(query));

test("no options give the defaults and no notice", () => {
  assert.deepEqual(read(""), { model: DEFAULT_MODEL, backend: DEFAULT_BACKEND, finetune: true, notices: [] });
});

test("known values are taken as they are", () => {
  const other = MODEL_NAMES.find((name) => name !== DEFAULT_MODEL);
  assert.deepEqual(read(`model=${other}&backend=cpu&finetune=off`), { model: other, backend: "cpu", finetune: false, notices: [] });
  assert.equal(read("backend=webgpu").backend, "webgpu");
});

test("an unknown value falls back to the default with a notice naming it and the choices", () => {
  const options = read("model=resnet&backend=tpu&finetune=maybe");
  assert.deepEqual([options.model, options.backend, options.finetune], [DEFAULT_MODEL, DEFAULT_BACKEND, true]);
  assert.equal(options.notices.length, 3);
  assert.match(options.notices[0], /Unknown model "resnet" in the address; using "mlp" \(choices: mlp, cnn\)\./);
  assert.match(options.notices[1], /Unknown backend "tpu".*choices: auto, webgpu, cpu/);
  assert.match(options.notices[2], /Unknown finetune "maybe".*choices: on, off/);
});
