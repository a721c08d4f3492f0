"""Real pen-drawn digits (data/pendigits/, see its README), loaded and verified."""
import hashlib, io, pathlib
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent
PATH = ROOT / "data" / "pendigits" / "pendigits.npz"
SHA256 = "d27aad2ef996263be4e45d985294fd22a13be6f5a6c54b4b8e0e67515f9e0026"
FIELDS = ("steps", "stroke_points", "digit_strokes", "labels", "writers")

class PendigitsError(ValueError): pass

def unpack(npz, path:pathlib.Path) -> tuple[list[list[np.ndarray]], np.ndarray, np.ndarray]:
  """The digits in the npz's arrays: strokes (per digit, a list of (n,2) int32 point arrays), labels, writers."""
  if missing := [k for k in FIELDS if k not in npz.files]: raise PendigitsError(f"{path}: no {', '.join(missing)} in it")
  steps, stroke_points, digit_strokes, labels, writers = (npz[k] for k in FIELDS)
  for field, total, count in (("stroke_points", stroke_points.sum(), len(steps)), ("digit_strokes", digit_strokes.sum(), len(stroke_points)),
                              ("writers", len(writers), len(labels)), ("digit_strokes", len(digit_strokes), len(labels))):
    if total != count: raise PendigitsError(f"{path}: {field} accounts for {total} items, expected {count}")
  # points are stored as steps from the previous point, to compress better
  strokes = np.split(np.cumsum(steps, axis=0, dtype=np.int32), np.cumsum(stroke_points)[:-1])
  ends = np.cumsum(digit_strokes)
  return [strokes[end - n:end] for end, n in zip(ends, digit_strokes)], labels, writers

def load_pendigits(path:pathlib.Path=PATH) -> tuple[list[list[np.ndarray]], np.ndarray, np.ndarray]:
  """strokes (per digit, a list of (n,2) int32 arrays: tablet units, y down, box from 0,0), labels uint8, writers uint8."""
  try: data = pathlib.Path(path).read_bytes()
  except OSError as e: raise PendigitsError(f"{path}: cannot read it ({e.strerror})") from None
  if hashlib.sha256(data).hexdigest() != SHA256:
    raise PendigitsError(f"{path}: damaged (sha256 mismatch); restore it with git checkout -- data/pendigits/pendigits.npz")
  with np.load(io.BytesIO(data)) as npz: return unpack(npz, path)
