// @ts-check
// The page's side of training_worker.js: fine-tuning on the CPU runs in a worker, so that the page keeps drawing and
// predicting while the worker computes; the learned weights then come back. A worker that fails, sends what cannot be
// read, or stops answering fails its jobs with a message saying so, and the next job starts a new worker.

// A job takes a fraction of this on any machine the page runs on; one that takes longer is taken for a worker that
// died without a word
const JOB_LIMIT_MS = 60_000;

let worker = null, nextId = 0;
const pending = new Map();  // id -> {resolve, reject, timer}

// Every pending job fails with `reason`, and the worker is dropped: the next job starts a new one.
function failWorker(reason) {
  for (const job of pending.values()) {
    clearTimeout(job.timer);
    job.reject(new Error(`the training worker ${reason}`));
  }
  pending.clear();
  worker?.terminate();
  worker = null;
}

function trainingWorker() {
  if (worker) return worker;
  worker = new Worker(new URL("./training_worker.js", import.meta.url), { type: "module" });
  worker.onmessage = ({ data }) => {
    const job = pending.get(data.id);
    if (!job) return;
    pending.delete(data.id);
    clearTimeout(job.timer);
    if (data.error) job.reject(new Error(data.error)); else job.resolve(data);
  };
  worker.onerror = (event) => {  // the worker itself failed (its module did not load, say)
    event.preventDefault();
    failWorker(`failed: ${event.message || "it could not start"}`);
  };
  worker.onmessageerror = () => failWorker("sent a result that could not be read");
  return worker;
}

// Trains model `name` on `batches` from `weights` (given up: their buffers move to the worker). fresh: the optimizer's
// moments and step restart. Resolves to {losses, weights}: the learned weights.
export async function trainInWorker(name, weights, batches, fresh) {
  const id = nextId++, transfer = [...Object.values(weights), ...batches.flatMap((b) => Object.values(b))].map((a) => a.buffer);
  const result = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => failWorker(`gave no answer within ${JOB_LIMIT_MS / 1000} s`), JOB_LIMIT_MS);
    pending.set(id, { resolve, reject, timer });
    trainingWorker().postMessage({ id, name, weights, batches, fresh }, transfer);
  });
  return { losses: result.losses, weights: result.weights };
}
