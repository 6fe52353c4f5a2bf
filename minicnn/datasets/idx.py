"""Read and write IDX files, the format MNIST and Fashion-MNIST ship in.

An IDX file is a tiny header followed by the raw array, big-endian::

    bytes 0-1   0x00 0x00            (magic: always zero)
    byte  2     type code            (0x08 = unsigned byte, see IDX_DTYPES)
    byte  3     ndim                 (3 for images, 1 for labels)
    4 * ndim    the sizes, one 32-bit big-endian integer per axis
    the rest    prod(sizes) values, row-major (C order)

So ``train-images-idx3-ubyte`` is ``00 00 08 03 | 60000 | 28 | 28 | 47,040,000 pixels``.
The official files are gzipped; :func:`read_idx` accepts both and decides by
looking at the first two bytes (gzip always starts with ``1f 8b``), not at the
file name. Everything that can be wrong with a file is reported as a
``ValueError`` that names the file and says what is wrong.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny-idx1-ubyte.gz")
    >>> write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
    >>> read_idx(path)
    array([3, 1, 4], dtype=uint8)
"""
import gzip
import zlib

import numpy as np

# Type code (byte 2 of the header) -> big-endian NumPy dtype, from the IDX spec.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


def decompress_if_gzipped(data, name="<bytes>"):
    """Return ``data`` unzipped when it starts with the gzip magic, else unchanged.

    A damaged archive raises ``ValueError`` naming ``name``: zlib and gzip
    report damage with four different exception types (``BadGzipFile``,
    ``EOFError``, ``zlib.error``, ``OSError``), which we turn into one.
    """
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(
            f"{name} is a corrupt or truncated gzip file ({err}). "
            "Delete it and fetch it again (python datasets.py fetch)."
        ) from err


def parse_idx(data, name="<bytes>"):
    """Turn the bytes of an IDX file (gzipped or not) into a NumPy array.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        Used only in error messages, so the user knows which file is bad.

    Returns
    -------
    numpy.ndarray
        Shape given by the header, native byte order, writable.

    Raises
    ------
    ValueError
        Bad gzip, bad magic number, unknown type code, or a body whose length
        does not match the sizes in the header (truncated or extended file).
    """
    data = decompress_if_gzipped(bytes(data), name)
    if len(data) < 4:
        raise ValueError(f"{name} is too short to be an IDX file: {len(data)} bytes, "
                         "the header alone needs at least 4.")
    if data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES or data[3] == 0:
        raise ValueError(
            f"{name} is not an IDX file: bad magic number {data[:4].hex(' ')} "
            "(expected 00 00, a type code such as 08, then the number of axes). "
            "Is it the right file?"
        )
    dtype, ndim = IDX_DTYPES[data[2]], data[3]
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(f"{name} is truncated inside its header: {len(data)} bytes, "
                         f"a {ndim}-axis header needs {header_len}.")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
    found = len(data) - header_len
    if found != expected:
        what = "truncated" if found < expected else "too long"
        raise ValueError(
            f"{name} is {what}: its header announces shape {shape} of {dtype.name}, "
            f"that is {expected} bytes of data, but {found} bytes follow the header. "
            "Delete it and fetch it again (python datasets.py fetch)."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    # astype makes a native-endian, writable copy (frombuffer views are read-only).
    return array.astype(dtype.newbyteorder("="))


def read_idx(path):
    """Read the IDX file at ``path`` (gzipped or not); see :func:`parse_idx`."""
    with open(path, "rb") as f:
        return parse_idx(f.read(), name=str(path))


def idx_bytes(array):
    """The bytes of ``array`` written as an (uncompressed) IDX file."""
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"IDX has no type code for dtype {array.dtype}. "
                         f"Use one of {[str(d) for d in codes]}.")
    header = bytes([0, 0, codes[native], array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    big_endian = array.astype(array.dtype.newbyteorder(">"), copy=False)
    return header + np.ascontiguousarray(big_endian).tobytes()


def write_idx(path, array):
    """Write ``array`` to ``path`` as IDX, gzipped when the name ends in ``.gz``."""
    data = idx_bytes(array)
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)  # mtime=0: same input, same bytes
    with open(path, "wb") as f:
        f.write(data)
