// @ts-check
// Which backend answers, by measured speed (auto mode): WebGPU, while it answers within a frame or at least as fast as
// the CPU; the CPU where WebGPU is slower than a frame and the CPU is faster. The same rule chooses where the model
// learns, by the time of a training step. What is compared is measured on this machine, in this browser: a software
// GPU, or a browser whose readback waits for its next frame, can make WebGPU far slower than the CPU path.
import { formatDuration } from "./clock.js";

export const FRAME_MS = 16;
// WebGPU is left for the CPU only when each of its last RECENT predictions took longer than a frame: one slow answer
// (the machine busy elsewhere) does not move the page
const RECENT = 8;

/** Whether WebGPU should answer (or learn), from the times measured on each. @param {number} webgpu @param {number | null} cpu */
export function webgpuFastEnough(webgpu, cpu) {
  return webgpu <= FRAME_MS || cpu === null || webgpu <= cpu;
}

/** The notice saying why predictions stay on the CPU. @param {string} model @param {number} webgpu @param {number} cpu */
export function predictionsOnCpu(model, webgpu, cpu) {
  return `WebGPU took ${formatDuration(webgpu)} to read a digit with the ${model} here, more than a frame, and the CPU ` +
    `${formatDuration(cpu)}, so the ${model} runs on the CPU: the same results, sooner.`;
}

/** The notice saying why learning stays on the CPU. @param {string} model @param {number} webgpu @param {number} cpu */
export function learningOnCpu(model, webgpu, cpu) {
  return `A WebGPU training step of the ${model} took ${formatDuration(webgpu)} here, more than a frame, and one on the CPU ` +
    `${formatDuration(cpu)}, so the ${model} learns your digits on the CPU.`;
}

// The durations of the last RECENT predictions on WebGPU, to tell when it no longer answers within a frame.
export class RecentTimes {
  /** @type {number[]} */
  #times = [];

  /** @param {number} milliseconds */
  add(milliseconds) {
    this.#times.push(milliseconds);
    if (this.#times.length > RECENT) this.#times.shift();
  }

  /** The fastest of the last RECENT, when there are that many and every one took longer than a frame; else null. */
  get fastestWhenAllSlow() {
    if (this.#times.length < RECENT) return null;
    const fastest = Math.min(...this.#times);
    return fastest > FRAME_MS ? fastest : null;
  }
}
