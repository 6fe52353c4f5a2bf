"""One atomic write for every file minicnn writes: a reader, or a crash, sees the old file or the
new one, never half of each.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with replacing(path) as temp:          # write the temporary file ...
    ...     with open(temp, "w") as file:
    ...         _ = file.write("hello")
    >>> open(path).read()                      # ... which then becomes ``path`` in one step
    'hello'

The steps, and why each one is there:

1. write to a temporary file **in the same folder** (``tempfile.mkstemp``, which
   never reuses an existing name): a rename across file systems would be a copy;
2. ``fsync`` it, so its bytes are on disk before any name points at them;
3. ``os.replace`` it over the target: one directory entry swapped in one step;
4. ``fsync`` the folder, so the rename itself survives a power cut (POSIX);

and if anything fails on the way (Ctrl-C included), the temporary file is removed.
A process killed outright cannot clean up: a hidden ``.NAME.xxxxxxxx.tmp`` may
then stay next to the target; nothing in minicnn ever reads such files.
"""
import contextlib
import json
import os
import stat
import tempfile

FILE_MODE = 0o644      # mkstemp makes owner-only files; what minicnn writes is meant for sharing


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path next to ``path``; when the block ends without an error, the file
    written there replaces ``path`` atomically (steps 2-4 above). Returns nothing."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(21, "Is a folder, not a file name; add a file name to the path", path)
    if os.path.exists(path) and not os.stat(path).st_mode & stat.S_IWUSR:
        # A rename would replace it anyway (even for root): honour the read-only mark instead.
        raise PermissionError(13, "The file is read-only; make it writable (chmod u+w) or choose another name",
                              path)
    descriptor, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    os.close(descriptor)
    try:
        yield temp
        os.chmod(temp, FILE_MODE)
        _fsync(temp, os.O_RDWR)
        os.replace(temp, path)
    except BaseException:                  # also KeyboardInterrupt: never leave the temp file
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise
    with contextlib.suppress(OSError, AttributeError):   # Windows cannot open folders, and needs not
        _fsync(folder, os.O_RDONLY | os.O_DIRECTORY)


def _fsync(path, flags):
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_bytes(path, data):
    """Write ``data`` (bytes) to ``path`` atomically; returns ``path``."""
    with replacing(path) as temp, open(temp, "wb") as file:
        file.write(data)
    return path


def write_text(path, text):
    """Write ``text`` as UTF-8 to ``path`` atomically; returns ``path``."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path, data):
    """Write ``data`` as indented JSON to ``path`` atomically; returns ``path``."""
    return write_text(path, json.dumps(data, indent=2))


class DamagedFileError(ValueError):
    """A file minicnn wrote earlier that no longer reads as it should; the message names it."""


def read_json(path):
    """The data in the JSON file ``path``; a damaged file raises DamagedFileError naming it."""
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DamagedFileError(f"{path} is damaged: it is not valid JSON ({err}). Restore it from a copy, "
                               f"or delete the folder and start again.") from None
