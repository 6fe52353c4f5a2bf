"""Your own pictures: a folder with one subfolder per class, read as Keras reads it.

    my_photos/
        cats/   a.jpg  b.png ...
        dogs/   c.jpg ...

    >>> from minicnn.datasets import image_dataset_from_directory
    >>> train, val = image_dataset_from_directory("my_photos", image_size=(64, 64),   # doctest: +SKIP
    ...                                           validation_split=0.2, subset="both", seed=1)
    >>> x_train, y_train = train                                                      # doctest: +SKIP
    >>> x_train.shape, train.class_names                                              # doctest: +SKIP
    ((80, 64, 64, 3), ['cats', 'dogs'])

It follows ``keras.utils.image_dataset_from_directory`` step by step, so the same
folder and seed give the same files in the same split:

1. the class names are the subfolders, sorted (hidden ones, starting with ".", skipped);
2. each class folder is walked (``os.walk``, folders and file names sorted) and
   only names ending in ``.bmp .gif .jpeg .jpg .png`` (any case) are kept; a
   ``notes.txt`` beside the pictures is skipped;
3. with ``shuffle`` the list is shuffled by ``np.random.RandomState(seed)``;
4. ``validation_split`` keeps the last ``int(split * N)`` files for validation;
5. each picture is read with Pillow and converted to ``"RGB"`` (or ``"L"``,
   ``"RGBA"``): a palette PNG gets its colours, an RGBA PNG loses its alpha in
   "rgb" mode; then resized to ``image_size`` by bilinear interpolation with
   half-pixel centres (``tf.image.resize``). Pixels are float32 in 0..255, not
   rescaled (divide by 255 before training, as with Keras).

Where Keras returns a batched ``tf.data.Dataset``, this returns the whole data
set as NumPy arrays ``(images (N, H, W, C), labels (N,))`` in the order of step 3
(Keras's dataset reshuffles that order on every pass). The pair also carries
``class_names`` and ``file_paths``, as Keras's dataset does.

The pixels are those of Keras's Pillow reader (its ``format="grain"`` path).
Its default ``tf.data`` path decodes with TensorFlow instead: PNG, BMP and GIF
give the same pixels, JPEG differs by up to 3 levels of 255 (another IDCT), and
"grayscale" of a colour image by up to 1 (libpng's weights of R, G, B are not
Pillow's 0.299, 0.587, 0.114).
"""
import os

import numpy as np

from ..layers.image_transform import upsample

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")   # Keras's ALLOWLIST_FORMATS
COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}  # Keras's name -> Pillow's mode


class ImageFolderData(tuple):
    """``(images, labels)`` that also knows ``class_names`` and ``file_paths`` (as Keras's dataset).

    Unpacks like the pair it is: ``x, y = data``. Without labels (``labels=None``)
    it is the pair ``(images, None)``.
    """

    def __new__(cls, images, labels, class_names, file_paths):
        data = super().__new__(cls, (images, labels))
        data.class_names, data.file_paths = class_names, file_paths
        return data


def image_dataset_from_directory(directory, labels="inferred", class_names=None, color_mode="rgb",
                                 image_size=(256, 256), shuffle=True, seed=None, validation_split=None,
                                 subset=None, interpolation="bilinear"):
    """Read a folder of images into NumPy arrays, with Keras's choice of files, order and split.

    Parameters
    ----------
    directory : str or Path
        With ``labels="inferred"``, one subfolder per class.
    labels : "inferred", None or list of int
        "inferred": from the subfolders; None: no labels; a list: one label per
        file, in the sorted order of the file paths (as Keras).
    class_names : list of str, optional
        The subfolders to use, in this order (default: all, sorted).
    color_mode : "rgb", "grayscale" or "rgba"
        C = 3, 1 or 4 channels.
    image_size : (H, W) or int
        Every image is resized to this.
    shuffle, seed : shuffle the files (with ``seed``; drawn at random when None).
    validation_split : float in (0, 1), optional, with ``subset``
        "training", "validation", or "both" (a pair of results).
    interpolation : "bilinear" (the only method offered)

    Returns
    -------
    ImageFolderData
        ``(images (N, H, W, C) float32 in 0..255, labels (N,) int32)`` with
        ``.class_names`` and ``.file_paths``; with ``subset="both"`` a
        ``(training, validation)`` pair of them.
    """
    channels, size = _check_arguments(color_mode, image_size, interpolation, validation_split, subset,
                                      shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, label_array, class_names = index_directory(directory, labels, class_names, shuffle, seed)
    subsets = ("training", "validation") if subset == "both" else (subset,)
    results = []
    for part in subsets:
        part_paths, part_labels = split_files(paths, label_array, validation_split, part)
        if not part_paths:
            raise ValueError(f"No {part + ' ' if part else ''}images found in {directory}. "
                             f"Allowed file types: {' '.join(IMAGE_EXTENSIONS)}.")
        images = np.stack([load_image(path, channels, size) for path in part_paths])
        results.append(ImageFolderData(images, part_labels, class_names, part_paths))
    return tuple(results) if subset == "both" else results[0]


def _check_arguments(color_mode, image_size, interpolation, validation_split, subset, shuffle, seed):
    """``(Pillow mode, (H, W))`` after checking the arguments as Keras does."""
    if color_mode not in COLOR_MODES:
        raise ValueError(f"color_mode must be one of {sorted(COLOR_MODES)}. Received color_mode={color_mode!r}.")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    if len(image_size) != 2 or not all(int(n) == n and n > 0 for n in image_size):
        raise ValueError(f"image_size must be two positive whole numbers (H, W). Received {image_size!r}.")
    if interpolation != "bilinear":
        raise ValueError(f"Only interpolation='bilinear' is offered. Received {interpolation!r}.")
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be between 0 and 1. Received {validation_split}.")
    if bool(validation_split) != bool(subset):
        raise ValueError("validation_split and subset go together: give both or neither. "
                         f"Received validation_split={validation_split!r}, subset={subset!r}.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'subset must be "training", "validation" or "both". Received {subset!r}.')
    if validation_split and shuffle and seed is None:
        raise ValueError("A validation split of shuffled files needs a seed, so that the training and "
                         "validation files do not overlap between the two calls. Pass seed=...")
    return COLOR_MODES[color_mode], (int(image_size[0]), int(image_size[1]))


def index_directory(directory, labels="inferred", class_names=None, shuffle=True, seed=None):
    """``(file_paths, labels (N,) int32 or None, class_names)``: steps 1-3 of the module docstring."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"No folder {directory!r}: image_dataset_from_directory needs a folder "
                                "holding one subfolder of images per class.")
    subfolders = [""]                      # labels given or none: every image under the folder
    if labels == "inferred":
        found = sorted(name for name in os.listdir(directory)
                       if os.path.isdir(os.path.join(directory, name)) and not name.startswith("."))
        if class_names is not None and not set(class_names) <= set(found):
            raise ValueError(f"class_names must name subfolders of {directory}: {found} (or some of "
                             f"them). Received class_names={list(class_names)}.")
        subfolders = list(class_names) if class_names is not None else found
        if not subfolders:
            raise ValueError(f"{directory} has no subfolders. Put the images of each class in a "
                             "subfolder named after the class.")
    elif class_names is not None:
        raise ValueError("class_names only goes with labels='inferred' (the names of the subfolders).")
    files, file_labels = [], []
    for index, name in enumerate(subfolders):
        found = list(_image_files(os.path.join(directory, name)))
        files += [os.path.join(name, relative) for relative in found]
        file_labels += [index] * len(found)
    if labels == "inferred":
        label_array = np.array(file_labels, dtype=np.int32)
    elif labels is None:
        label_array, subfolders = None, None
    else:
        if len(labels) != len(files):
            raise ValueError(f"labels has {len(labels)} entries but {directory} holds {len(files)} images.")
        label_array, subfolders = np.asarray(labels), [str(label) for label in sorted(set(labels))]
    paths = [os.path.join(directory, name) for name in files]
    if shuffle:
        # As Keras: one RandomState(seed) shuffles the paths, a second one the labels in the same way.
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return paths, label_array, subfolders


def _image_files(folder):
    """Paths relative to ``folder`` of the images below it, folder by folder, names sorted."""
    for root, _, names in sorted(os.walk(folder), key=lambda entry: entry[0]):
        for name in sorted(names):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                yield os.path.relpath(os.path.join(root, name), folder)


def split_files(paths, labels, validation_split, subset):
    """Step 4: the training part is all but the last ``int(validation_split * N)`` files."""
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    keep = slice(None, len(paths) - n_val) if subset == "training" else slice(len(paths) - n_val, None)
    return paths[keep], None if labels is None else labels[keep]


def load_image(path, mode="RGB", size=None):
    """One image as float32 ``(H, W, C)`` in 0..255: Pillow's ``convert(mode)``, then resized to ``size``.

    A file Pillow cannot read (not an image, truncated) raises ``ValueError`` naming it.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.mode != mode and not (mode == "L" and image.mode in ("I;16", "I")):
                image = image.convert(mode)   # palette -> its colours, RGBA -> RGB drops alpha
            pixels = np.asarray(image, dtype=np.float32)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"Cannot read the image {path}: {err}. Delete or replace the file.") from err
    if pixels.ndim == 2:
        pixels = pixels[..., None]                                      # (H, W) -> (H, W, 1)
    if size is not None and pixels.shape[:2] != tuple(size):
        channels_first = np.moveaxis(pixels, -1, 0)                     # (C, H, W): one map per channel
        pixels = np.moveaxis(upsample(channels_first, size), 0, -1).astype(np.float32)
    return pixels
