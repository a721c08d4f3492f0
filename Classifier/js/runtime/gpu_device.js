// @ts-check
// The page's WebGPU device, shared by both models: opened when first asked for, and asked for again after it is lost
// or when opening it failed (a GPU process that restarts, a driver reset), never given up on for the whole visit.
import { SharedAttempt } from "./shared_attempt.js";
import { NO_ADAPTER, NO_WEBGPU, noDevice } from "../texts.js";

/** @typedef {{ device: GPUDevice | null, reason: string | null }} Gpu  the device, or why there is none */

/** @returns {Promise<Gpu>} */
async function open() {
  if (!navigator.gpu) return { device: null, reason: NO_WEBGPU };
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  if (!adapter) return { device: null, reason: NO_ADAPTER };
  try { return { device: await adapter.requestDevice(), reason: null }; } catch (error) {
    return { device: null, reason: noDevice(error.message) };
  }
}

/** @type {SharedAttempt<Gpu>} */
const opening = new SharedAttempt(() => {
  const attempt = open();
  attempt.then(({ device }) => device?.lost).then(() => opening.forget(attempt));  // asked again without one, or once it is lost
  return attempt;
});

/** @returns {Promise<Gpu>} never rejects */
export const openGpu = () => opening.get();
