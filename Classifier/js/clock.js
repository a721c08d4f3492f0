// @ts-check
// Durations as honestly as the browser's clock can tell them. Browsers coarsen performance.now() (to a tenth of a
// millisecond, a whole one, or more, by browser and settings), so a duration shorter than the clock's step is said as
// "< step" rather than as 0, and longer ones with no more digits than the step carries; and what must be compared
// (the backends' speeds) is timed over several runs.

/** @type {number | null} */
let step = null;
const LOOK_MS = 20;  // how long the step is looked for, at most, once per visit

// The smallest change of performance.now() seen, in ms: the clock's step. A clock that does not move within LOOK_MS
// has a step of at least that.
export function clockStep() {
  if (step !== null) return step;
  const start = performance.now();
  let last = start, smallest = Infinity, changes = 0;
  while (changes < 5) {
    const now = performance.now();
    if (now > last) {
      smallest = Math.min(smallest, now - last);
      last = now;
      changes++;
    }
    if (now - start > LOOK_MS) break;
  }
  step = changes > 0 ? Math.round(smallest * 1e4) / 1e4 : LOOK_MS;  // the clock's values are floats: 0.1 comes as 0.0999…
  return step;
}

// Digits after the point that a duration on a clock of this step carries.
const decimalsOf = (clock) => (clock >= 1 ? 0 : clock >= 0.1 ? 1 : 2);

/** "3.5 ms", "< 1 ms" on a clock of 1 ms steps. @param {number} milliseconds @param {number} [clock] its step */
export function formatDuration(milliseconds, clock = clockStep()) {
  if (milliseconds < clock) return `< ${clock.toFixed(decimalsOf(clock))} ms`;
  return `${milliseconds.toFixed(decimalsOf(clock))} ms`;
}

// The duration of each of `count` runs of `run`, one after the other, in ms.
/** @param {() => Promise<unknown>} run @param {number} count @returns {Promise<number[]>} */
export async function timeRuns(run, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times;
}
