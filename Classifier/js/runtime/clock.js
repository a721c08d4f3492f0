// @ts-check
// Durations as honestly as the browser's clock can tell them. Browsers coarsen performance.now() (to a tenth of a
// millisecond, a whole one, or more, by browser and settings), so a duration shorter than the clock's step is said as
// "< step" rather than as 0, and longer ones with no more digits than the step carries; and what must be compared
// (the backends' speeds) is timed over several runs.

// The steps browsers coarsen performance.now() to, in ms, coarsest first
const STEPS = [100, 1, 0.1, 0.01, 0.005, 0.001];
const KEPT = 32;  // readings kept to tell the step by
/** @type {number[]} */
const readings = [];

/** @param {number} value @param {number} step */
const multipleOf = (value, step) => Math.abs(value / step - Math.round(value / step)) < 1e-4;

// The clock's step, in ms: the coarsest of STEPS that every reading seen so far (and every duration, a difference of
// two) is a multiple of. Told from the clock's values rather than by watching it move, which would mean spinning for a
// step's length; each call reads the clock once more, so that a value that falls on a coarser step by chance is outvoted.
/** @param {number[]} [durations] measured with this clock, which tell its step too */
export function clockStep(durations = []) {
  readings.push(performance.now(), ...durations);
  readings.splice(0, Math.max(0, readings.length - KEPT));
  return STEPS.find((step) => readings.every((value) => multipleOf(value, step))) ?? STEPS[STEPS.length - 1];
}

// Digits after the point that a duration on a clock of this step carries.
const decimalsOf = (clock) => (clock >= 1 ? 0 : clock >= 0.1 ? 1 : 2);

/** "3.5 ms", "< 1 ms" on a clock of 1 ms steps. @param {number} milliseconds @param {number} [clock] its step */
export function formatDuration(milliseconds, clock = clockStep([milliseconds])) {
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
