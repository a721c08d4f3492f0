// One entry point for the page: loadClassifier(name) gives a predict(input) -> logits on WebGPU, or on the CPU when the
// browser has no usable WebGPU or while its WebGPU model is still being prepared, from one download of the weights.
import { fetchBytes, parseSafetensors, shareDownload } from "./safetensors.js";
import { CPU_TENSORS, cpuForward } from "./cpu_model.js";

export const MODEL_NAMES = ["mlp", "cnn"];
const BACKENDS = ["auto", "webgpu", "cpu"];
const weightsUrl = (name) => new URL(`../${name}/${name}.webgpu.safetensors`, import.meta.url);
const SAME_RESULTS = "the same results, a little slower";

let gpu = null;  // Promise<{device, reason}>, shared by both models; cleared when the device is lost
function openGpu() {
  gpu ??= (async () => {
    if (!navigator.gpu) return { device: null, reason: "this browser has no WebGPU" };
    const adapter = await navigator.gpu.requestAdapter().catch(() => null);
    if (!adapter) return { device: null, reason: "WebGPU found no usable graphics adapter" };
    const device = await adapter.requestDevice();
    const opened = gpu;
    device.lost.then(() => { if (gpu === opened) gpu = null; });
    return { device, reason: null };
  })();
  return gpu;
}

// An engine runs one model on one backend: {backend, predict}; the classifier below answers through one at a time.
async function cpuEngine(name, bytes) {
  const url = weightsUrl(name), shapes = CPU_TENSORS[name];
  const sizes = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, 4 * s.reduce((a, b) => a * b, 1)]));
  const weights = parseSafetensors(await bytes, sizes, url);
  return { backend: "cpu", predict: async (x) => cpuForward(name, weights, x) };
}

async function webgpuEngine(name, device) {
  const { load } = await import(`../${name}/${name}.js`);
  async function open(device) {
    const opened = { device, lost: false, run: await load(device, weightsUrl(name)) };
    device.lost.then(() => { opened.lost = true; });
    return opened;
  }
  let current = await open(device);
  async function reopen() {
    const { device: fresh, reason } = await openGpu();
    if (!fresh) throw new Error(`the GPU was lost and ${reason}`);
    current = await open(fresh);
  }
  async function predict(x) {
    if (current.lost) await reopen();
    try { return await current.run(x); } catch (error) {
      if (!current.lost) throw error;
      await reopen();  // the device went away mid-inference: once more on a new one
      return current.run(x);
    }
  }
  return { backend: "webgpu", predict, get device() { return current.device; } };
}

// {engine} on WebGPU, or {notice} saying why the model stays on the CPU: never a rejection, since by then the CPU
// engine is answering and the page must go on.
async function tryWebgpu(name) {
  const { device, reason } = await openGpu().catch((error) => ({ device: null, reason: error.message }));
  if (!device) return { notice: `WebGPU is not available (${reason}), so the digits are recognised on the CPU: ${SAME_RESULTS}.` };
  try { return { engine: await webgpuEngine(name, device) }; } catch (error) {
    return { notice: `WebGPU could not run the ${name.toUpperCase()} model (${error.message}), so it runs on the CPU: ${SAME_RESULTS}.` };
  }
}

// What loadClassifier gives: {name, backend, pendingBackend, notice, device, predict}, and events. In "auto" mode it
// can start on the CPU with pendingBackend "webgpu"; it then either moves to WebGPU once ("backendchange": backend is
// now "webgpu") or stays on the CPU ("notice": notice says why). pendingBackend is null once that is settled.
class Classifier extends EventTarget {
  #engine;
  constructor(name, engine) {
    super();
    this.name = name;
    this.notice = null;
    this.pendingBackend = null;
    this.#engine = engine;
    this.predict = (x) => this.#engine.predict(x);  // an own function, so that `const { predict } = classifier` works
  }
  get backend() { return this.#engine.backend; }
  get device() { return this.#engine.device ?? null; }  // the GPU device in use, null on the CPU
  moveToWebgpuWhenReady(attempt) {
    this.pendingBackend = "webgpu";
    attempt.then(({ engine, notice }) => {
      this.pendingBackend = null;
      if (engine) this.#engine = engine;
      else this.notice = notice;
      this.dispatchEvent(new Event(engine ? "backendchange" : "notice"));
    });
  }
}

// Answers on whichever engine is ready first, normally the CPU one (WebGPU compiles its pipelines meanwhile), and moves
// to WebGPU when that is ready. Both engines read the same download.
async function autoClassifier(name) {
  const download = shareDownload(weightsUrl(name));
  const onCpu = cpuEngine(name, download.bytes), attempt = tryWebgpu(name);
  attempt.then(download.release);
  const first = await Promise.race([onCpu, attempt.then(({ engine }) => engine ?? onCpu)]);
  const classifier = new Classifier(name, first);
  if (first.backend === "cpu") classifier.moveToWebgpuWhenReady(attempt);
  return classifier;
}

export async function loadClassifier(name, { backend = "auto" } = {}) {
  if (!MODEL_NAMES.includes(name)) throw new Error(`unknown model "${name}": expected ${MODEL_NAMES.join(" or ")}`);
  if (!BACKENDS.includes(backend)) throw new Error(`unknown backend "${backend}": expected ${BACKENDS.join(", ")}`);
  if (backend === "cpu") return new Classifier(name, await cpuEngine(name, fetchBytes(weightsUrl(name))));
  if (backend === "auto") return autoClassifier(name);
  const { device, reason } = await openGpu();
  if (!device) throw new Error(`WebGPU is not available: ${reason}`);
  return new Classifier(name, await webgpuEngine(name, device));
}
