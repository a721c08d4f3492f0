// @ts-check
// One entry point for the page: loadClassifier(name) gives a model (classifier_model.js) that reads a drawing with the
// person's memory, on WebGPU or on the CPU, chosen by measured speed in auto mode, from one download of the weights;
// that learns where the same rule says; and that keeps the person's weights and memory in whichever backend answers.
import { shareDownload } from "./runtime/safetensors.js";
import { BACKEND_CHOICES, DEFAULT_BACKEND, MODEL_NAMES } from "./models.js";
import { cpuEngine, tryWebgpu, webgpuEngine, weightsUrl } from "./runtime/model_engines.js";
import { openGpu } from "./runtime/gpu_device.js";
import { Classifier } from "./model/classifier_model.js";
import { webgpuAlone, webgpuUnavailable } from "./texts.js";

/** @typedef {import("./contracts.js").BackendChoice} BackendChoice */
/** @typedef {import("./contracts.js").ModelName} ModelName */

// Answers on the CPU first while WebGPU compiles its pipelines, from the same download of the weights, and moves to
// WebGPU if it is fast enough (moveToWebgpuWhenReady). A CPU path that cannot load leaves WebGPU alone answering.
/** @param {ModelName} name */
async function autoClassifier(name) {
  const download = shareDownload(weightsUrl(name));
  const onCpu = cpuEngine(name), attempt = tryWebgpu(name);
  Promise.allSettled([onCpu, attempt]).then(download.release);  // both have read it by then
  const cpu = await onCpu.catch((error) => /** @type {Error} */ (error));
  if (!(cpu instanceof Error)) {
    const classifier = new Classifier(name, cpu, "auto", cpu);
    classifier.moveToWebgpuWhenReady(attempt);
    return classifier;
  }
  const { engine } = await attempt;
  if (!engine) throw cpu;
  const classifier = new Classifier(name, engine, "auto", null);
  classifier.notice = webgpuAlone(name, cpu.message);
  return classifier;
}

/**
 * @param {ModelName} name
 * @param {{ backend?: BackendChoice }} [options]
 * @returns {Promise<import("./contracts.js").Classifier>}
 */
export async function loadClassifier(name, { backend = DEFAULT_BACKEND } = {}) {
  if (!MODEL_NAMES.includes(name)) throw new Error(`unknown model "${name}": expected ${MODEL_NAMES.join(" or ")}`);
  if (!BACKEND_CHOICES.includes(backend)) throw new Error(`unknown backend "${backend}": expected ${BACKEND_CHOICES.join(", ")}`);
  if (backend === "auto") return autoClassifier(name);
  if (backend === "cpu") return new Classifier(name, await cpuEngine(name), "cpu", null);
  const { device, reason } = await openGpu();
  if (!device) throw new Error(webgpuUnavailable(/** @type {string} */ (reason)));
  return new Classifier(name, await webgpuEngine(name, device), "webgpu", null);
}
