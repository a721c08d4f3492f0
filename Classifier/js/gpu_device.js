// @ts-check
// The page's WebGPU device, shared by both models: opened when first asked for, and asked for again after it is lost
// or when opening it failed (a GPU process that restarts, a driver reset), never given up on for the whole visit.

/** @typedef {{ device: GPUDevice | null, reason: string | null }} Gpu  the device, or why there is none */

/** @type {Promise<Gpu> | null} */
let opening = null;

/** @returns {Promise<Gpu>} */
async function open() {
  if (!navigator.gpu) return { device: null, reason: "this browser has no WebGPU" };
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  if (!adapter) return { device: null, reason: "WebGPU found no usable graphics adapter" };
  try { return { device: await adapter.requestDevice(), reason: null }; } catch (error) {
    return { device: null, reason: `WebGPU could not open a device (${error.message})` };
  }
}

/** @returns {Promise<Gpu>} never rejects */
export function openGpu() {
  if (opening) return opening;
  const attempt = open();
  opening = attempt;
  attempt.then(({ device }) => {
    if (!device) { if (opening === attempt) opening = null; return; }  // asked again next time
    device.lost.then(() => { if (opening === attempt) opening = null; });
  });
  return attempt;
}
