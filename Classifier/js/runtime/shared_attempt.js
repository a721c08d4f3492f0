// @ts-check
// Work started once and shared by every caller while it is under way or has succeeded; a failure is forgotten, so that
// the next caller starts it again (a download, a module fetched, pipelines compiled: what a later try may get).

/** @template T */
export class SharedAttempt {
  #start;
  /** @type {Promise<T> | null} */
  #attempt = null;

  /** @param {() => Promise<T>} start */
  constructor(start) {
    this.#start = start;
  }

  /** The attempt under way or succeeded, else a new one. @returns {Promise<T>} */
  get() {
    if (!this.#attempt) {
      const attempt = this.#start();
      attempt.catch(() => this.forget(attempt));
      this.#attempt = attempt;
    }
    return this.#attempt;
  }

  /** Whether an attempt is under way or succeeded. */
  get started() { return this.#attempt !== null; }

  /** The next get() starts anew, if `attempt` is still the one shared. @param {Promise<T>} attempt */
  forget(attempt) {
    if (this.#attempt === attempt) this.#attempt = null;
  }
}
