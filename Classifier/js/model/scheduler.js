// @ts-check
// When the page classifies: at most one computation at a time, and changes made while one runs ask only for one more
// run, on the drawing as it is then. A burst of changes thus ends with the prediction for the final drawing without
// queueing a computation per change.
//
// Each computation is recorded as a User Timing measure named CLASSIFY_MEASURE ("classify"), from its start to its
// end, part of the page's automation contract: performance.getEntriesByName("classify") shows that no two overlap,
// and how long each took.

const CLASSIFY_MEASURE = "classify";

export class ClassificationScheduler {
  #classify;
  #onSettled;
  #running = false;
  #rerunNeeded = false;
  /** @type {((value?: void) => void)[]} */
  #waiting = [];  // the requests the next computation answers

  /**
   * @param {() => Promise<void>} classify  one computation: classifies the drawing as it is now and shows the result;
   *   it shows its own errors and never rejects
   * @param {() => void} onSettled  called when the last computation asked for has ended
   */
  constructor(classify, onSettled) {
    this.#classify = classify;
    this.#onSettled = onSettled;
  }

  // Resolves once a computation that began after this request has ended: the drawing as it is now has been shown.
  /** @returns {Promise<void>} */
  request() {
    const shown = new Promise((resolve) => this.#waiting.push(resolve));
    if (this.#running) this.#rerunNeeded = true;
    else this.#runUntilCurrent();
    return shown;
  }

  async #runUntilCurrent() {
    this.#running = true;
    do {
      this.#rerunNeeded = false;
      const answered = this.#waiting.splice(0);
      const start = performance.now();
      await this.#classify();
      performance.measure(CLASSIFY_MEASURE, { start });
      for (const resolve of answered) resolve();
    } while (this.#rerunNeeded);
    this.#running = false;
    this.#onSettled();
  }
}
