// The page's side of training_worker.js: fine-tuning on the CPU runs in a worker, so that the page keeps drawing and
// predicting (on its own copy of the weights) while the worker computes; the learned weights then come back.

let worker = null, nextId = 0;
const pending = new Map();  // id -> {resolve, reject}

function trainingWorker() {
  if (worker) return worker;
  worker = new Worker(new URL("./training_worker.js", import.meta.url), { type: "module" });
  worker.onmessage = ({ data }) => {
    const job = pending.get(data.id);
    pending.delete(data.id);
    if (data.error) job.reject(new Error(data.error)); else job.resolve(data);
  };
  worker.onerror = (event) => {  // the worker itself failed (its module did not load, say): every job fails with it
    event.preventDefault();
    for (const job of pending.values()) job.reject(new Error(`the training worker failed: ${event.message || "it could not start"}`));
    pending.clear();
    worker.terminate();
    worker = null;
  };
  return worker;
}

// Trains model `name` on `batches` from the weights now in `session` (a WasmSession), then writes the learned weights
// into it. fresh: the optimizer's moments and step restart. Resolves to {losses, weights}.
export async function trainInWorker(name, session, weightNames, batches, fresh) {
  const weights = await session.readState(weightNames);
  const id = nextId++, transfer = [...Object.values(weights), ...batches.flatMap((b) => Object.values(b))].map((a) => a.buffer);
  const result = await new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    trainingWorker().postMessage({ id, name, weights, batches, fresh }, transfer);
  });
  session.writeState(result.weights);
  return { losses: result.losses, weights: result.weights };
}
