"""The compiler for the page: any jitted tinygrad function as a graph of WGSL or C kernels, the C kernels as one
WebAssembly module, the functions the page runs besides inference (fine-tuning, explain), and the checks against
tinygrad that every exported graph passes before it is written. Dawn is set up where the WEBGPU device is first opened
(graph.graph_of, dawn.DawnReplay), not on import."""
