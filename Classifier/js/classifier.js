// One entry point for the page: loadClassifier(name) gives a predict(input) -> logits on WebGPU, or on the CPU when the
// browser has no usable WebGPU, from the same weights file.
import { fetchBytes, parseSafetensors } from "./safetensors.js";
import { CPU_TENSORS, cpuForward } from "./cpu_model.js";

export const MODEL_NAMES = ["mlp", "cnn"];
const weightsUrl = (name) => new URL(`../${name}/${name}.webgpu.safetensors`, import.meta.url);

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

async function cpuClassifier(name, notice) {
  const url = weightsUrl(name), shapes = CPU_TENSORS[name];
  const bytes = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, 4 * s.reduce((a, b) => a * b, 1)]));
  const weights = parseSafetensors(await fetchBytes(url), bytes, url);
  return { name, backend: "cpu", notice, predict: async (x) => cpuForward(name, weights, x) };
}

async function webgpuClassifier(name, device) {
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
  return { name, backend: "webgpu", notice: null, predict, get device() { return current.device; } };
}

export async function loadClassifier(name, { backend = "auto" } = {}) {
  if (!MODEL_NAMES.includes(name)) throw new Error(`unknown model "${name}": expected ${MODEL_NAMES.join(" or ")}`);
  if (!["auto", "webgpu", "cpu"].includes(backend)) throw new Error(`unknown backend "${backend}": expected auto, webgpu or cpu`);
  if (backend === "cpu") return cpuClassifier(name, null);
  const { device, reason } = await openGpu();
  if (device) return webgpuClassifier(name, device);
  if (backend === "webgpu") throw new Error(`WebGPU is not available: ${reason}`);
  return cpuClassifier(name, `WebGPU is not available (${reason}), so the digits are recognised on the CPU: the same results, a little slower.`);
}
