// @ts-check
// Which backend answers, by measured speed (auto mode): WebGPU, while it answers within a frame or at least as fast as
// the CPU; the CPU where WebGPU is slower than a frame and the CPU is faster. The same rule chooses where the model
// learns, by the time of a training step. What is compared is measured on this machine, in this browser: a software
// GPU, or a browser whose readback waits for its next frame, can make WebGPU far slower than the CPU path. BackendSpeed
// keeps those measures for one classifier, and says when they call for the CPU; the classifier moves.
import { timeRuns } from "../runtime/clock.js";
import { INPUT_SIZE } from "../models.js";

/** @typedef {import("../contracts.js").Backend} Backend */
/** @typedef {import("../runtime/model_engines.js").Engine} Engine */
/** @typedef {{ webgpu: number, cpu: number }} Times  in ms, each backend's */

export const FRAME_MS = 16;
// WebGPU is left for the CPU only when each of its last RECENT predictions took longer than a frame: one slow answer
// (the machine busy elsewhere) does not move the page
const RECENT = 8;
const PROBE_RUNS = 5;  // predictions timed on each backend before auto mode chooses, after one that is not

/** Whether WebGPU should answer (or learn), from the times measured on each. @param {number} webgpu @param {number | null} cpu */
export function webgpuFastEnough(webgpu, cpu) {
  return webgpu <= FRAME_MS || cpu === null || webgpu <= cpu;
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

// The fastest of PROBE_RUNS predictions of a blank drawing on `engine`, in ms, after one that pays for what is made once.
/** @param {Engine} engine */
async function probe(engine) {
  const x = new Float32Array(INPUT_SIZE).fill(-1), run = () => engine.run("infer", { x });
  await run();
  return Math.min(...await timeRuns(run, PROBE_RUNS));
}

export class BackendSpeed {
  #auto;
  #busy = 0;            // computations in flight: a prediction timed while others run is not a time of its own
  #compiling = 0;       // graphs being added (pipelines compiling): predictions meanwhile are not timed either
  #unmeasured = false;  // other work was queued before the next prediction, which then is not timed either
  #webgpuTimes = new RecentTimes();
  /** @type {number | null} */
  #cpuMs = null;        // a prediction on the CPU, as timed
  /** @type {Backend | null} */
  #learnsOn = null;     // null until WebGPU's training step is compiled (the CPU learns meanwhile)
  /** @type {number | null} */
  #cpuStepMs = null;

  /** @param {boolean} auto whether the backend is chosen by speed */
  constructor(auto) {
    this.#auto = auto;
  }

  /** Runs op, counted as a computation in flight. @template T @param {() => Promise<T>} op @returns {Promise<T>} */
  async counted(op) {
    this.#busy++;
    try { return await op(); } finally { this.#busy--; }
  }

  /** Waits for `work`, pipelines compiling meanwhile. @param {Promise<void>} work */
  async compiling(work) {
    this.#compiling++;
    try { await work; } finally { this.#compiling--; }
  }

  /** Other work was queued on the engine: the next prediction does not time itself. */
  unmeasured() { this.#unmeasured = true; }

  // One prediction by `run` on `engine`, timed where it ran alone on WebGPU in auto mode; `slow` gives the times when
  // WebGPU has lately answered slower than a frame and than the CPU, else null.
  /** @template T @param {Engine} engine @param {() => Promise<T>} run @returns {Promise<{ outputs: T, slow: Times | null }>} */
  async prediction(engine, run) {
    const timed = engine.backend === "webgpu" && this.#auto && this.#busy === 1 && this.#compiling === 0 && !this.#unmeasured;
    this.#unmeasured = false;
    const started = performance.now(), outputs = await run();
    if (!timed) return { outputs, slow: null };
    this.#webgpuTimes.add(performance.now() - started);
    const slow = this.#webgpuTimes.fastestWhenAllSlow, cpu = this.#cpuMs;
    return { outputs, slow: slow === null || cpu === null || slow <= cpu ? null : { webgpu: slow, cpu } };
  }

  // Times a few predictions on each engine; whether WebGPU is fast enough to answer, with the times.
  /** @param {Engine} webgpu @param {Engine} cpu @returns {Promise<Times & { fast: boolean }>} */
  async probe(webgpu, cpu) {
    const times = { webgpu: await probe(webgpu), cpu: await probe(cpu) };
    this.#cpuMs = times.cpu;
    return { ...times, fast: webgpuFastEnough(times.webgpu, times.cpu) };
  }

  /** Where the next training runs, null until WebGPU's training step is ready. */
  get learnsOn() { return this.#learnsOn; }
  /** WebGPU's training step is compiled: the next training is timed there, unless learning stays on the CPU. */
  trainingReady() { this.#learnsOn ??= "webgpu"; }
  /** WebGPU was left: learning stays on the CPU. */
  leftWebgpu() { this.#learnsOn = "cpu"; }

  /** @param {number} milliseconds a training step on the CPU */
  cpuStep(milliseconds) { this.#cpuStepMs = milliseconds; }

  // A training step on WebGPU took `milliseconds`: the times when that moves learning to the CPU (auto mode), else null.
  /** @param {number} milliseconds @returns {Times | null} */
  webgpuStep(milliseconds) {
    const cpu = this.#cpuStepMs;
    if (!this.#auto || cpu === null || webgpuFastEnough(milliseconds, cpu)) return null;
    this.#learnsOn = "cpu";
    return { webgpu: milliseconds, cpu };
  }
}
