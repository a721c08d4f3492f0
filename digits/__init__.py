"""What the three entry points share (mnist_mlp.py and mnist_convnet.py train, export_webgpu.py compiles), by stage:
  files.py   writing files whole or not at all, safetensors
  compact_weights.py  the weights as the page downloads them: integers with scales, gzipped, and their decoding
  data/      MNIST, the pen digits, the digits a training run sees
  models.py  the two architectures and their weights files
  training/  settings, augmentation, the training loop, tinygrad's kernel search and CPU threads
  export/    the compiler for the page: graphs of jitted functions, WebAssembly, the page's fine-tuning step and explain
A module imports only modules of its own stage or of the stages listed before it."""
