"""Files written whole or not at all (a temp file in the same folder, then a rename), and safetensors bytes."""
import json, os, pathlib, tempfile
import numpy as np

def current_umask() -> int:
  os.umask(mask := os.umask(0o22))
  return mask

def save_atomic(path:pathlib.Path, write) -> None:
  """write(tmp_path) then rename, so an interrupted run never leaves a half-written file where a good one was."""
  path = pathlib.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
  os.close(fd)
  try:
    write(tmp)
    os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it private; the result is an ordinary file
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp): os.unlink(tmp)

def write_bytes_atomic(path:pathlib.Path, data:bytes) -> None: save_atomic(path, lambda p: pathlib.Path(p).write_bytes(data))
def write_text_atomic(path:pathlib.Path, text:str) -> None: save_atomic(path, lambda p: pathlib.Path(p).write_text(text))

SAFETENSORS_DTYPES = {np.dtype("<f4"): "F32", np.dtype("<i4"): "I32", np.dtype("uint8"): "U8", np.dtype("int8"): "I8"}

def safetensors_bytes(arrays:dict[str, np.ndarray], metadata:dict[str, str]|None=None) -> bytes:
  header, offset = ({"__metadata__": metadata} if metadata else {}), 0
  for k, a in arrays.items():
    header[k] = {"dtype": SAFETENSORS_DTYPES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset := offset + a.nbytes]}
  raw = json.dumps(header).encode()
  raw += b" " * (-len(raw) % 8)  # keeps the tensor data 8-byte aligned
  return len(raw).to_bytes(8, "little") + raw + b"".join(np.ascontiguousarray(a).tobytes() for a in arrays.values())
