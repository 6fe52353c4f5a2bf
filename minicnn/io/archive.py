"""Reading a zip archive of ``.npy`` arrays without trusting it: the checks behind ``load_model``.

A model file comes from anywhere, so nothing in it is believed before it is checked:

* the first bytes name the format of files that are clearly something else
  (a pickle, an HDF5 file, a single ``.npy``), instead of a baffling zip error;
* every member name appears once, and the archive holds exactly the members
  expected, nothing missing and nothing extra;
* **no zip bombs**: a member's header declares its unpacked size, and Python's
  zip reader never unpacks more than that. :func:`read_array` compares that
  size with the exact size ``np.save`` writes for the expected shape and dtype
  *before* reading, then reads with ``allow_pickle=False``;
* every error a damaged file can raise deep in the zip, zlib, JSON or ``.npy``
  readers becomes one :class:`ModelFileError` that names the file (:func:`explained`).

The writing side, :func:`write_member`, stores members uncompressed with a fixed
timestamp, so saving the same arrays twice gives byte-identical files.
"""
import contextlib
import io
import struct
import zipfile
import zlib

import numpy as np

# A fixed timestamp: saving the same model twice gives byte-identical files.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# What a damaged archive can raise from the zip, zlib, JSON and .npy readers;
# explained() turns each into a ModelFileError that names the file.
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, struct.error,
                NotImplementedError, RuntimeError, ValueError, TypeError, KeyError, SyntaxError,
                MemoryError)  # MemoryError: an architecture too large to build (numpy refuses at once)


class ModelFileError(ValueError):
    """A file that is not a valid minicnn model file; the message names the file and the problem."""


def write_member(archive, name, data):
    """Store the bytes ``data`` as member ``name`` with the fixed timestamp."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.external_attr = 0o644 << 16         # rw-r--r-- for anyone who unzips the file
    archive.writestr(info, data)


def write_array(archive, name, array):
    """Store ``array`` as the ``.npy`` member ``name`` (no pickle, ever)."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    write_member(archive, name, buffer.getvalue())


@contextlib.contextmanager
def explained(path, problem, advice=""):
    """Turn any error a damaged file can cause in the readers below into a ModelFileError
    that names the file; ModelFileErrors raised on purpose pass through unchanged."""
    try:
        yield
    except ModelFileError:
        raise
    except _READ_ERRORS as exc:
        raise ModelFileError(f"{path}: {problem} ({type(exc).__name__}: {exc}). {advice}".rstrip()) from exc


def refuse_other_formats(path):
    """Name the format of files that are clearly not ours, from their first bytes."""
    with open(path, "rb") as file:
        head = file.read(8)
    if head.startswith(b"PK"):            # a zip archive: the checks below take over
        return
    if not head:
        problem = "the file is empty"
    elif head.startswith(b"\x80"):
        problem = ("it is a Python pickle (pickle.dump, joblib, torch.save ...); minicnn never unpickles, "
                   "because unpickling runs code named by the file")
    elif head.startswith(b"\x89HDF"):
        problem = ("it is an HDF5 file, such as a Keras .h5 model: minicnn reads those when their "
                   "name ends in .h5 (or .weights.h5, with model.load_weights)")
    elif head.startswith(b"\x93NUMPY"):
        problem = "it is a single NumPy .npy array, not a saved model"
    else:
        problem = f"it is not a zip archive (it starts with {head!r})"
    raise ModelFileError(f"{path}: not a minicnn model file: {problem}. Load files written by model.save.")


def member_table(archive, path):
    """``{name: ZipInfo}``, refusing names that would unpack outside a folder (``../x``, ``/etc/x``,
    ``C:x``) and duplicate names (a zip may repeat a name; which one wins is unclear)."""
    infos = {}
    for info in archive.infolist():
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
            raise ModelFileError(f"{path}: the member {info.filename!r} points outside the archive's "
                                 f"folder; no model file needs that, so the file is not trusted.")
        if info.filename in infos:
            raise ModelFileError(f"{path}: the member {info.filename!r} appears twice in the archive.")
        infos[info.filename] = info
    return infos


def check_member_names(infos, expected, path):
    """The archive must hold exactly the ``expected`` member names: nothing missing, nothing extra."""
    missing = sorted(set(expected) - set(infos))
    extra = sorted(set(infos) - set(expected))
    if missing or extra:
        raise ModelFileError(f"{path}: the archive does not match model.json: missing members "
                             f"{missing}, unexpected members {extra}.")


def npy_size(shape, dtype):
    """Bytes ``np.save`` writes for a C-ordered array: its header (numpy's own writer tells
    the exact length: the header is padded to a multiple of 64 bytes) plus the data."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                                  "fortran_order": False, "shape": tuple(shape)})
    return len(header.getvalue()) + int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize


def read_array(archive, info, shape, dtype, path):
    """One ``.npy`` member, checked: declared size first (no zip bombs), then magic, shape, dtype."""
    size = npy_size(shape, dtype)
    if info.file_size != size:
        raise ModelFileError(f"{path}: member {info.filename!r} declares {info.file_size} bytes, but a "
                             f"{dtype} array of shape {shape} takes {size} bytes as .npy.")
    raw = archive.read(info)                      # also checks the CRC: flipped bytes are caught here
    if not raw.startswith(b"\x93NUMPY"):
        kind = " (a Python pickle, which minicnn never loads)" if raw.startswith(b"\x80") else ""
        raise ModelFileError(f"{path}: member {info.filename!r} is not a NumPy .npy array{kind}.")
    buffer = io.BytesIO(raw)
    read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    header = read_header.get(np.lib.format.read_magic(buffer))
    if header is None or header(buffer)[1]:
        # minicnn writes C-ordered .npy version 1.0 only; a header edited to say fortran_order would
        # make np.load read the same bytes in another order: scrambled weights, no error.
        raise ModelFileError(f"{path}: member {info.filename!r} has a .npy header minicnn never writes "
                             f"(another version, or fortran_order: True); the file is not trusted.")
    buffer.seek(0)
    array = np.load(buffer, allow_pickle=False)
    if array.shape != shape or array.dtype != np.dtype(dtype) or buffer.tell() != len(raw):
        raise ModelFileError(f"{path}: member {info.filename!r} holds a {array.dtype} array of shape "
                             f"{array.shape} (and {len(raw) - buffer.tell()} trailing bytes); model.json "
                             f"says {dtype} {shape}.")
    return array
