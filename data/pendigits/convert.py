#!/usr/bin/env python3
"""Converts the pen digits from JSON (a list of {label, writer, strokes: [[[x, y], ...], ...]}) into pendigits.npz beside
this script, then checks that the npz gives back exactly the JSON's digits.
  python data/pendigits/convert.py <pendigits-dev-strokes.json> [--out PATH]
The npz bytes depend only on the digits (and zlib), so converting the same JSON again gives the same sha256."""
import argparse, hashlib, io, json, pathlib, sys, zipfile
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from digits.files import write_bytes_atomic
from digits.data.pendigits import PATH, unpack

def check(path:pathlib.Path, i:int, digit:dict):
  """One line naming the file, digit, field and value for the first thing the npz format cannot hold."""
  def bad(field, value, want): raise SystemExit(f"error: {path}: digit {i}: {field} = {value!r}, expected {want}")
  if not isinstance(digit, dict): bad("item", digit, "an object")
  if type(digit.get("label")) is not int or not 0 <= digit["label"] <= 9: bad("label", digit.get("label"), "an integer 0-9")
  if type(digit.get("writer")) is not int or not 0 <= digit["writer"] <= 255: bad("writer", digit.get("writer"), "an integer 0-255")
  strokes = digit.get("strokes")
  if not isinstance(strokes, list) or not 1 <= len(strokes) <= 255: bad("strokes", strokes, "a list of 1-255 strokes")
  for j, stroke in enumerate(strokes):
    if not isinstance(stroke, list) or not 1 <= len(stroke) <= 65535: bad(f"strokes[{j}]", stroke, "a list of 1-65535 points")
    for k, point in enumerate(stroke):
      if not (isinstance(point, list) and len(point) == 2 and all(type(v) is int and 0 <= v <= 32767 for v in point)):
        bad(f"strokes[{j}][{k}]", point, "[x, y], integers 0-32767")

def pack(digits:list[dict]) -> dict[str, np.ndarray]:
  points = np.array([p for d in digits for s in d["strokes"] for p in s], np.int16).reshape(-1, 2)
  # consecutive points are close, so their differences are small numbers that compress to two thirds of the points' size
  steps = np.diff(points, axis=0, prepend=np.zeros((1, 2), np.int16))
  return {"steps": steps, "stroke_points": np.array([len(s) for d in digits for s in d["strokes"]], np.uint16),
          "digit_strokes": np.array([len(d["strokes"]) for d in digits], np.uint8),
          "labels": np.array([d["label"] for d in digits], np.uint8), "writers": np.array([d["writer"] for d in digits], np.uint8)}

def npz_bytes(arrays:dict[str, np.ndarray]) -> bytes:
  """What np.savez_compressed writes, less its timestamps: the same arrays always give the same bytes."""
  buffer = io.BytesIO()
  with zipfile.ZipFile(buffer, "w") as archive:
    for name, array in arrays.items():
      info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
      info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
      with archive.open(info, "w") as f: np.lib.format.write_array(f, array, allow_pickle=False)
  return buffer.getvalue()

if __name__ == "__main__":
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("json", type=pathlib.Path)
  parser.add_argument("--out", type=pathlib.Path, default=PATH)
  args = parser.parse_args()
  try: digits = json.loads(args.json.read_text())
  except (OSError, ValueError) as e: raise SystemExit(f"error: {args.json}: {e}") from None
  if not isinstance(digits, list) or not digits: raise SystemExit(f"error: {args.json}: expected a non-empty JSON list of digits")
  for i, digit in enumerate(digits): check(args.json, i, digit)
  data = npz_bytes(pack(digits))
  with np.load(io.BytesIO(data)) as npz: strokes, labels, writers = unpack(npz, args.out)
  same = ([[s.tolist() for s in d] for d in strokes] == [d["strokes"] for d in digits] and
          labels.tolist() == [d["label"] for d in digits] and writers.tolist() == [d["writer"] for d in digits])
  if not same: raise SystemExit("error: the npz does not give back the JSON's digits; nothing written")
  write_bytes_atomic(args.out, data)
  print(f"{len(digits)} digits, {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()} -> {args.out}")
