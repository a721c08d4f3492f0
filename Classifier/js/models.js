// @ts-check
// What every module of the page knows about the models: their names and labels, the backends they run on, the shape
// of what they read and give, the files export_webgpu.py writes for them and what the page shows of their
// architecture. The other modules take these from here instead of repeating them.

/** @typedef {import("./contracts.js").ModelName} ModelName */
/** @typedef {import("./contracts.js").Backend} Backend */
/** @typedef {import("./contracts.js").BackendChoice} BackendChoice */

/** @type {readonly ModelName[]} */
export const MODEL_NAMES = ["mlp", "cnn"];
/** @type {ModelName} */
export const DEFAULT_MODEL = "mlp";
/** @type {Readonly<Record<ModelName, string>>} */
export const MODEL_LABELS = { mlp: "MLP", cnn: "CNN" };

// "auto": the CPU answers while WebGPU is prepared, then WebGPU does, or the CPU goes on where WebGPU cannot run
/** @type {readonly BackendChoice[]} */
export const BACKEND_CHOICES = ["auto", "webgpu", "cpu"];
/** @type {BackendChoice} */
export const DEFAULT_BACKEND = "auto";
/** @type {Readonly<Record<Backend, string>>} */
export const BACKEND_LABELS = { webgpu: "WebGPU", cpu: "CPU" };

// A model reads INPUT_SIDE x INPUT_SIDE pixels, row-major, in -1..1 (background -1, ink +1), and gives one logit per
// digit.
export const INPUT_SIDE = 28;
export const INPUT_SIZE = INPUT_SIDE * INPUT_SIDE;
export const CLASS_COUNT = 10;

// The files export_webgpu.py writes for model <name> in Classifier/<name>/: <name><suffix>
const FILES = {
  webgpu: ".js",
  cpu: ".cpu.js",
  explain: ".explain.js",
  memory: ".memory.js",
  train: ".train.js",
  weights: ".weights.safetensors.gz",
};
const SITE = new URL("../", import.meta.url);

/** @typedef {keyof typeof FILES} ModelFile */
/** @param {ModelName} name @param {ModelFile} file @returns {URL} */
export const modelFile = (name, file) => new URL(`${name}/${name}${FILES[file]}`, SITE);
/** @param {ModelName} name @param {Exclude<ModelFile, "weights">} module @returns {Promise<any>} */
export const importModelModule = (name, module) => import(modelFile(name, module).href);

// The layers the inside-the-model panel shows (digits/models.py): the MLP's first layer, and the CNN's two
// convolutions with their filter counts, the side of their output maps and of their kernels.
export const MLP_LAYER = { weights: "l1.weight", units: 512 };
export const CNN_LAYERS = {
  kernel: 3,
  convolutions: [{ weights: "c1.weight", filters: 8, side: 13 }, { weights: "c2.weight", filters: 16, side: 5 }],
};
/** @type {Readonly<Record<ModelName, string[]>>} the weights it paints */
export const SHOWN_WEIGHTS = { mlp: [MLP_LAYER.weights], cnn: CNN_LAYERS.convolutions.map((c) => c.weights) };
