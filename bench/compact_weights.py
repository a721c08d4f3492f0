"""Each compact weights scheme (digits/compact_weights.py) of the shipped models: its sizes, and what the decoded model
reads of the MNIST validation digits, the pen digits (the exporter's gate) and the MNIST test set, against float32.
  python bench/compact_weights.py [--models DIR]   (MNIST_DIR as for training)"""
import argparse, gzip, pathlib, sys

def main() -> None:
  root = pathlib.Path(__file__).resolve().parent.parent
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--models", type=pathlib.Path, default=root / "models", help="folder with mlp.safetensors and cnn.safetensors")
  args = parser.parse_args()
  sys.path.insert(0, str(root))
  from tinygrad import nn
  from digits.compact_weights import SCHEMES, decode, encode
  from digits.models import load_model
  from digits.data.mnist import mnist_once
  from digits.export.weights_choice import accuracy, gate_digits
  print("| model | scheme | MNIST validation | pen digits | MNIST test | bytes | gzipped |\n|---|---|---|---|---|---|---|")
  for name in ("mlp", "cnn"):
    weights = {k: v.numpy() for k, v in nn.state.get_state_dict(load_model(name, args.models / f"{name}.safetensors")).items()}
    sets = {**gate_digits(5000), "test": mnist_once()[2:]}
    for scheme in SCHEMES:
      data = encode(weights, scheme)
      model = load_model(name, decode(data, scheme, {k: v.shape for k, v in weights.items()}))
      read = " | ".join(f"{accuracy(model, *d):.2f}" for d in sets.values())
      print(f"| {name} | {scheme} | {read} | {len(gzip.decompress(data)):,} | {len(data):,} |")

if __name__ == "__main__": main()
