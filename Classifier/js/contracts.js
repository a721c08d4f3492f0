// @ts-check
// The contracts between the page's modules and with the files export_webgpu.py generates, as JSDoc types for editors
// and for TypeScript's checker (tests/test_lint.py); nothing here runs. A module names one with
//   /** @typedef {import("./contracts.js").Graph} Graph */

/** @typedef {"mlp" | "cnn"} ModelName */
/** @typedef {"webgpu" | "cpu"} Backend */
/** @typedef {Backend | "auto"} BackendChoice */

// ------------------------------------------------------------------ exported graphs (digits/export/graph.py, wasm.py)

/** @typedef {"F32" | "I32" | "U32"} Dtype  a tensor's element type, as safetensors names it */
/** @typedef {Float32Array | Int32Array | Uint32Array} TypedArray */
/** @typedef {Record<string, TypedArray>} Tensors  named tensors: a graph's inputs or outputs */
/** @typedef {Record<string, Float32Array>} Weights  a model's state by tensor name, as in its safetensors file (decoded) */

/**
 * One of a graph's inputs or outputs: the buffer of that name, seen as a tensor.
 * @typedef {object} GraphTensor
 * @property {string} name
 * @property {Dtype} dtype
 * @property {number[]} shape
 */

/**
 * A buffer that the kernels read or write. "input": written by the caller before a run; "output": read after it;
 * "state": held by the session by name, shared by every graph added to it (weights, optimizer moments); "constant":
 * written once from `value`; "scratch": written and read within one run.
 * @typedef {object} GraphBuffer
 * @property {string} name
 * @property {"input" | "output" | "state" | "constant" | "scratch"} kind
 * @property {Dtype} dtype
 * @property {number} size  in bytes
 * @property {number[]} [value]  a constant's values
 * @property {"weights" | number} [init]  a state buffer's start: from the weights file, or filled with this number
 */

/**
 * A WGSL kernel: its entry point, the workgroups it is dispatched with, and the buffers (indices into the graph's
 * buffers) bound from binding 1 on, in order.
 * @typedef {object} WebgpuKernel
 * @property {string} name
 * @property {[number, number, number]} workgroups
 * @property {number[]} buffers
 * @property {string} code
 */

/**
 * A kernel of the graph's WebAssembly module: the function it exports, called with the memory offsets of its buffers.
 * @typedef {object} WasmKernel
 * @property {string} name
 * @property {number[]} buffers
 */

/**
 * A graph for WebGPU (webgpu_graph.js); its kernels run in order, in one command buffer.
 * @typedef {object} WebgpuGraph
 * @property {"webgpu"} target
 * @property {GraphTensor[]} inputs
 * @property {GraphTensor[]} outputs
 * @property {GraphBuffer[]} buffers
 * @property {WebgpuKernel[]} kernels
 */

/**
 * A graph for the CPU (wasm_graph.js); `stack` is the bytes its module uses as a stack at the start of the memory.
 * @typedef {object} WasmGraph
 * @property {"wasm"} target
 * @property {GraphTensor[]} inputs
 * @property {GraphTensor[]} outputs
 * @property {GraphBuffer[]} buffers
 * @property {WasmKernel[]} kernels
 * @property {number} stack
 */

/** @typedef {WebgpuGraph | WasmGraph} Graph */

/**
 * What a WebgpuSession and a WasmSession share: a model's state by name, and the graphs added to it, which all read
 * and write that state. `run` resolves to the graph's outputs, or to undefined with `read: false`.
 * @typedef {object} Session
 * @property {Backend} backend
 * @property {(tensors: Tensors) => void} writeState
 * @property {(name: string) => boolean} hasState
 * @property {(names: string[]) => Promise<Weights>} readState
 * @property {(key: string, graph: any, prepared?: any) => Promise<void>} addGraph
 *   the third argument is the graph's compiled kernels: WebGPU pipelines being compiled, or a WebAssembly module or
 *   its URL
 * @property {(key: string) => boolean} hasGraph
 * @property {(key: string, inputs: Tensors, options?: { read?: boolean }) => Promise<Tensors | undefined>} run
 */

// ------------------------------------------------------------------ the generated modules (export_webgpu.py)

/**
 * What a generated module's load() resolves to: x, a Float32Array of INPUT_SIZE values in -1..1 (models.js), to its
 * logits; `session` is the session behind it, `weights` the weights it was loaded with.
 * @typedef {((x: Float32Array) => Promise<Float32Array>) & { session: Session, weights: Weights }} Model
 */

/**
 * <model>/<model>.js: the model on WebGPU; load(device, url of the weights = the shipped compact file; a float32 one too).
 * @typedef {object} WebgpuModelModule
 * @property {string} weightsVersion  export_webgpu.py's hash of the shipped (compact) weights file
 * @property {WebgpuGraph} graph
 * @property {(device: GPUDevice, url?: string | URL) => Promise<Model>} load
 */

/**
 * <model>/<model>.cpu.js: the same model on the CPU, in WebAssembly; load(url of the weights = the shipped compact file).
 * @typedef {object} CpuModelModule
 * @property {string} weightsVersion
 * @property {WasmGraph} graph
 * @property {URL} wasm  the kernels' module
 * @property {(url?: string | URL) => Promise<Model>} load
 */

/**
 * <model>/<model>.explain.js: what the inside-the-model panel shows (digits/export/explain.py), for both targets.
 * @typedef {object} ExplainModule
 * @property {{ webgpu: WebgpuGraph, wasm: WasmGraph }} graphs
 * @property {URL} wasm
 */

/**
 * A tensor of the training state: "weights" starts from the model's weights, a number fills it.
 * @typedef {object} StateSpec
 * @property {string} name
 * @property {Dtype} dtype
 * @property {number[]} shape
 * @property {"weights" | number} init
 */

/**
 * digits/export/finetune.py's recipe for one teaching: `steps` batches of `batch` images, `personal` of them the person's, at most
 * `rounds` rounds; the rest is for the training graph itself.
 * @typedef {object} Recipe
 * @property {number} batch
 * @property {number} personal
 * @property {number} steps
 * @property {number} rounds
 * @property {number} lr
 * @property {number} angle
 * @property {number} scale
 * @property {number} shift
 * @property {number} replay
 */

/**
 * <model>/<model>.train.js: one fine-tuning step (digits/export/finetune.py), for both targets, and the state it keeps.
 * @typedef {object} TrainModule
 * @property {Recipe} recipe
 * @property {number} noisePerImage  the random numbers each image's warp takes
 * @property {StateSpec[]} state
 * @property {{ webgpu: WebgpuGraph, wasm: WasmGraph }} graphs
 * @property {URL} wasm
 */

/**
 * The person's memory (digits/export/memory.py) as <model>/<model>.memory.js gives it: `capacity` rows, `copies` rows
 * per example; a row matched at `exact` (cosine) or above is the same drawing; a class whose best row matches above
 * `threshold` gains `weight` * (cosine - threshold) in log-probability.
 * @typedef {object} MemorySettings
 * @property {number} capacity
 * @property {number} exact
 * @property {string} embedding
 * @property {number} copies
 * @property {number} threshold
 * @property {number} weight
 */

/**
 * <model>/<model>.memory.js: the step that stores a taught drawing (inputs x, y: its label, row: the first row it
 * writes; output keys), for both targets, and the memory's settings.
 * @typedef {object} MemoryModule
 * @property {MemorySettings} memory
 * @property {{ webgpu: WebgpuGraph, wasm: WasmGraph }} graphs
 * @property {URL} wasm
 */

// ------------------------------------------------------------------ the classifier (classifier.js)

/**
 * The prediction graph's outputs: the network's logits; the scores, log-probabilities with the memory's bonus (what
 * the page shows is softmax(scores)); the bonus of each class; the memory row that matched the chosen digit best
 * (-1 if none did above the threshold) and its cosine.
 * @typedef {Tensors & {
 *   logits: Float32Array, scores: Float32Array, bonus: Float32Array, nearest: Int32Array, similarity: Float32Array,
 * }} RecallOutputs
 */

/**
 * One fine-tuning step's images, labels and warps (learning.js).
 * @typedef {object} TrainingBatch
 * @property {Float32Array} x
 * @property {Int32Array} y
 * @property {Float32Array} noise
 */

/**
 * What a training gives: the loss of its last step at least, the learned weights, and the backend that computed them.
 * @typedef {object} TrainingResult
 * @property {number[]} losses
 * @property {Weights} weights
 * @property {Backend} backend
 */

/**
 * The explain graph's outputs: the recall's, the two likeliest digits by the scores with the attribution of each to
 * the input's pixels, and the model's activations (the CNN's conv1 and conv2, the MLP's hidden).
 * @typedef {RecallOutputs & {
 *   first: Int32Array, second: Int32Array,
 *   first_attribution: Float32Array, second_attribution: Float32Array,
 * }} ExplainOutputs
 */

/**
 * What loadClassifier(name, { backend }) resolves to. In "auto" mode it can start on the CPU with pendingBackend
 * "webgpu"; it then moves to WebGPU once (event "backendchange") if WebGPU answers within a frame or faster than the
 * CPU, or stays on the CPU (event "notice"; `notice` says why), and pendingBackend becomes null. It may later leave
 * WebGPU for the CPU (both events): when WebGPU no longer answers within a frame, or the GPU is lost with no other.
 * predict() gives the network's logits, recall() everything the prediction graph gives; the memory holds the examples
 * given to holdExamples(), after prepareMemory().
 * @typedef {EventTarget & {
 *   readonly name: ModelName,
 *   readonly backend: Backend,
 *   readonly pendingBackend: Backend | null,
 *   readonly notice: string | null,
 *   readonly device: GPUDevice | null,
 *   readonly weightsVersion: string,
 *   readonly weightSizes: Record<string, number>,
 *   readonly canExplain: boolean,
 *   readonly memorySettings: MemorySettings | null,
 *   readonly memorySlots: number | null,
 *   readonly memoryCount: number,
 *   predict(x: Float32Array): Promise<Float32Array>,
 *   recall(x: Float32Array): Promise<RecallOutputs>,
 *   prepareMemory(): Promise<MemorySettings>,
 *   holdsExamples(examples: { input: Float32Array, label: number }[]): boolean,
 *   holdExamples(examples: { input: Float32Array, label: number }[]): void,
 *   memoryExample(row: number): { input: Float32Array, label: number } | null,
 *   explain(x: Float32Array): Promise<ExplainOutputs>,
 *   prepareExplain(): Promise<void>,
 *   train(batches: TrainingBatch[]): Promise<TrainingResult>,
 *   setWeights(weights: Weights | null): void,
 *   readWeights(names?: string[]): Promise<Weights>,
 * }} Classifier
 */
// a module, so that its types are imported by name rather than global
export {};
