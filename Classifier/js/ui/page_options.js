// @ts-check
// The page's options in its address: ?model=mlp|cnn, the model selected first; ?backend=auto|webgpu|cpu, the
// backends the classifiers may use (classifier.js); ?finetune=on|off, whether teaching fine-tunes the model in the
// background besides putting the digit in its memory (learner.js). An unknown value falls back to the default, with
// a notice.
import { BACKEND_CHOICES, DEFAULT_BACKEND, DEFAULT_MODEL, MODEL_NAMES } from "../models.js";

const FINETUNE_CHOICES = ["on", "off"], DEFAULT_FINETUNE = "on";

/**
 * @param {URLSearchParams} query
 * @returns {{ model: import("../contracts.js").ModelName, backend: import("../contracts.js").BackendChoice, finetune: boolean,
 *   notices: string[] }}
 */
export function readPageOptions(query) {
  const notices = [];
  const choose = (key, choices, fallback) => {
    const value = query.get(key);
    if (value === null || choices.includes(value)) return value ?? fallback;
    notices.push(`Unknown ${key} "${value}" in the address; using "${fallback}" (choices: ${choices.join(", ")}).`);
    return fallback;
  };
  return {
    model: choose("model", MODEL_NAMES, DEFAULT_MODEL),
    backend: choose("backend", BACKEND_CHOICES, DEFAULT_BACKEND),
    finetune: choose("finetune", FINETUNE_CHOICES, DEFAULT_FINETUNE) === "on",
    notices,
  };
}
