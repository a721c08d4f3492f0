// @ts-check
// Recovery from a lost GPU, for a classifier: a run whose device is lost goes on on a new device, once the person's
// state is in its session (restored before anything else runs there, once however many runs found the device lost),
// and once more where the device goes away mid-run; where no GPU can be had at all, auto mode falls back to the CPU.
import { DeviceLostError, GpuLostError } from "../runtime/model_engines.js";

/** @typedef {import("../runtime/model_engines.js").Engine} Engine */
/**
 * What the classifier gives its recovery, once, when it is made.
 * @typedef {object} RecoveryParts
 * @property {boolean} auto  whether the classifier may leave WebGPU for the CPU
 * @property {() => Engine} current  the engine in use
 * @property {(engine: Engine) => Promise<void>} restore  puts the person's weights and memory into `engine`'s session
 * @property {(lost: GpuLostError) => Promise<void>} fallBack  moves the classifier to the CPU
 */

export class DeviceRecovery {
  #parts;
  /** @type {Promise<void> | null} */
  #restoring = null;
  /** @type {Promise<void> | null} */
  #fallingBack = null;

  /** @param {RecoveryParts} parts */
  constructor(parts) {
    this.#parts = parts;
  }

  // Runs op on the engine in use, recovered first where its device was lost.
  /** @template T @param {(engine: Engine) => Promise<T>} op @returns {Promise<T>} */
  async run(op) {
    try { return await this.#onUsable(op); } catch (error) {
      if (!(error instanceof GpuLostError) || !this.#parts.auto) throw error;
      this.#fallingBack ??= this.#parts.fallBack(error).finally(() => { this.#fallingBack = null; });
      await this.#fallingBack;
      return await op(this.#parts.current());
    }
  }

  /** @template T @param {(engine: Engine) => Promise<T>} op @returns {Promise<T>} */
  async #onUsable(op) {
    for (let tries = 0; ; tries++) {
      const engine = this.#parts.current();
      await this.usable(engine);
      try { return await op(engine); } catch (error) {
        if (!(error instanceof DeviceLostError) || tries > 0) throw error;
      }
    }
  }

  // Resolves once `engine`'s session can be used: on a new device with the person's state, if its device was lost.
  /** @param {Engine} engine */
  async usable(engine) {
    if (engine.lost) {
      this.#restoring ??= engine.reopen().then(() => this.#parts.restore(engine)).finally(() => { this.#restoring = null; });
    }
    if (this.#restoring) await this.#restoring;
  }
}
