"""The weights as the page downloads them: a gzipped safetensors file (<name>.weights.safetensors.gz) whose large tensors
travel as integers with float32 scales, and their decoding back into float32, the same as Classifier/js/runtime/safetensors.js.
Its __metadata__ says {"format": FORMAT, <tensor>: <scheme>} for every tensor; the schemes (symmetric: value = integer x scale):
  f32       the tensor as F32, as it is
  int8/row  the tensor as I8 of its shape, -127..127, and "<tensor>.scale" F32 (rows,): one scale per output row
  int6/row, int5/row  the same, -31..31 or -15..15: gzip, which the page undoes anyway, packs the unused bits
  int4/64   each row's K inputs (K even; a convolution's are its input channels x kernel) as U8 (rows, K/2), two 4-bit
            two's complement values per byte (-7..7), the first in the low nibble; "<tensor>.scale" F32 (rows, ceil(K/64)):
            one scale per group of 64 inputs, the last group the rest
A model's scheme (SCHEMES) says which scheme each tensor gets: tensors of fewer than SMALL values stay float32."""
import gzip, json, math
import numpy as np
from digits.files import safetensors_bytes

FORMAT, GROUP, SMALL = "compact-weights/1", 64, 1024
COMPACT_FILE = "weights.safetensors.gz"  # <name>.<this>, beside the generated modules
SCHEMES = ("int4", "int5", "int6", "int8", "f32")  # a model's schemes, smallest first
ROW_LEVELS = {"int8/row": 127, "int6/row": 31, "int5/row": 15}
DTYPES = {"F32": np.dtype("<f4"), "I8": np.dtype("int8"), "U8": np.dtype("uint8")}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}

def tensor_scheme(a:np.ndarray, scheme:str) -> str:
  if scheme == "f32" or a.size < SMALL or a.ndim < 2: return "f32"
  if scheme in ("int5", "int6"): return f"{scheme}/row"
  return "int4/64" if scheme == "int4" and (a.size // a.shape[0]) % 2 == 0 else "int8/row"

def quantized(a:np.ndarray, levels:int, group:int) -> tuple[np.ndarray, np.ndarray]:
  """The rows of `a` (rows, K) as integers in -levels..levels and a float32 scale per group of `group` inputs."""
  rows, k = a.shape
  groups = math.ceil(k / group)
  padded = np.zeros((rows, groups * group), np.float32)
  padded[:, :k] = a
  scale = (np.abs(padded.reshape(rows, groups, group)).max(-1) / levels).astype(np.float32)
  q = np.rint(padded.reshape(rows, groups, group) / np.where(scale > 0, scale, 1)[..., None]).clip(-levels, levels)
  return q.reshape(rows, -1)[:, :k].astype(np.int8), scale

def encode_tensor(name:str, a:np.ndarray, scheme:str) -> dict[str, np.ndarray]:
  rows = a.reshape(a.shape[0], -1).astype(np.float32)
  if scheme == "f32": return {name: a.astype("<f4")}
  if scheme in ROW_LEVELS:
    q, scale = quantized(rows, ROW_LEVELS[scheme], rows.shape[1])
    return {name: q.reshape(a.shape), f"{name}.scale": scale.reshape(-1)}
  q, scale = quantized(rows, 7, GROUP)
  nibbles = q.view(np.uint8) & 0xF
  return {name: nibbles[:, 0::2] | (nibbles[:, 1::2] << 4), f"{name}.scale": scale}

def encode(weights:dict[str, np.ndarray], scheme:str) -> bytes:
  """The gzipped compact file of `weights` in a model's `scheme` (SCHEMES); mtime 0: the same bytes every time."""
  schemes = {k: tensor_scheme(v, scheme) for k, v in weights.items()}
  arrays = {k: v for name, a in weights.items() for k, v in encode_tensor(name, a, schemes[name]).items()}
  return gzip.compress(safetensors_bytes(arrays, {"format": FORMAT, **schemes}), compresslevel=9, mtime=0)

def read_safetensors(data:bytes, source) -> tuple[dict, dict[str, np.ndarray]]:
  """The metadata and every tensor of safetensors `data`, each checked: a known dtype, offsets inside the data, its shape's size."""
  if len(data) < 8: raise ValueError(f"{source}: {len(data)} bytes is too short for a safetensors file")
  n = int.from_bytes(data[:8], "little")
  if 8 + n > len(data): raise ValueError(f"{source}: header length {n} runs past the end of the file ({len(data)} bytes)")
  try: header = json.loads(data[8:8 + n])
  except ValueError: raise ValueError(f"{source}: the header is not valid JSON") from None
  metadata, body, tensors = header.pop("__metadata__", None) or {}, data[8 + n:], {}
  for name, entry in header.items():
    if (dtype := DTYPES.get(entry.get("dtype"))) is None:
      raise ValueError(f"{source}: tensor '{name}' has dtype {entry.get('dtype')}, expected one of {', '.join(DTYPES)}")
    begin, end = entry.get("data_offsets", (None, None))
    count = math.prod(entry.get("shape", []))
    if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= len(body) and end - begin == count * dtype.itemsize):
      raise ValueError(f"{source}: tensor '{name}' has offsets [{begin}, {end}] that do not fit its shape {entry.get('shape')} in the file")
    tensors[name] = np.frombuffer(body[begin:end], dtype).reshape(entry["shape"])
  return metadata, tensors

def decode_tensor(name:str, scheme:str, tensors:dict[str, np.ndarray], source) -> np.ndarray:
  a, scale = tensors[name], tensors.get(f"{name}.scale")
  dtypes = {"f32": "F32", **dict.fromkeys(ROW_LEVELS, "I8"), "int4/64": "U8"}
  dims = {"f32": 0, **dict.fromkeys(ROW_LEVELS, 1), "int4/64": 2}
  if scheme not in dtypes: raise ValueError(f"{source}: tensor '{name}' has scheme '{scheme}', expected one of {', '.join(dtypes)}")
  if a.dtype != DTYPES[dtypes[scheme]] or a.ndim < dims[scheme] or (scheme == "int4/64" and a.ndim != 2):
    raise ValueError(f"{source}: tensor '{name}' ({scheme}) is {DTYPE_NAMES[a.dtype]} of shape {list(a.shape)}, expected {dtypes[scheme]} "
                     + ("" if scheme == "f32" else "(rows, K/2)" if scheme == "int4/64" else "with rows"))
  if scheme == "f32": return a.astype(np.float32)
  scale_shape = (a.shape[0],) if scheme in ROW_LEVELS else (a.shape[0], math.ceil(2 * a.shape[1] / GROUP))
  if scale is None or scale.dtype != DTYPES["F32"] or scale.shape != scale_shape:
    raise ValueError(f"{source}: tensor '{name}.scale' must be F32 of shape {list(scale_shape)} for {scheme} '{name}'")
  if scheme in ROW_LEVELS: return (a.reshape(a.shape[0], -1).astype(np.float32) * scale[:, None]).reshape(a.shape)
  q = np.stack([a & 0xF, a >> 4], -1).reshape(a.shape[0], -1).astype(np.int8)
  q = np.where(q >= 8, q - 16, q).astype(np.float32)
  return q * np.repeat(scale, GROUP, axis=1)[:, :q.shape[1]]

def decode(data:bytes, source, shapes:dict[str, tuple]|None=None) -> dict[str, np.ndarray]:
  """{name: float32 array} of a compact file (gzipped or not) or a plain float32 safetensors file; an int4/64 tensor
  comes as (rows, K), or as shapes[name] where given. Anything that does not fit raises ValueError naming `source` and the tensor."""
  if data[:2] == b"\x1f\x8b":
    try: data = gzip.decompress(data)
    except (OSError, EOFError) as e: raise ValueError(f"{source}: not valid gzip ({e})") from None
  metadata, tensors = read_safetensors(data, source)
  if metadata.get("format") != FORMAT:
    return {k: decode_tensor(k, "f32", tensors, source) for k in tensors}
  schemes = {k: v for k, v in metadata.items() if k != "format"}
  if missing := sorted(set(schemes) - set(tensors)): raise ValueError(f"{source}: tensor '{missing[0]}' is missing")
  scales = {f"{k}.scale" for k, s in schemes.items() if s != "f32"}
  if extra := sorted(set(tensors) - set(schemes) - scales): raise ValueError(f"{source}: tensor '{extra[0]}' has no scheme in the metadata")
  decoded = {k: decode_tensor(k, s, tensors, source) for k, s in schemes.items()}
  return {k: v.reshape(shapes[k]) if s == "int4/64" and shapes and k in shapes and v.size == math.prod(shapes[k]) else v
          for (k, v), s in zip(decoded.items(), schemes.values())}
