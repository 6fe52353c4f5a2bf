"""The folder loader (minicnn.datasets.folder) on a generated tree of PNG and JPEG files, beside Keras's."""
import os

import numpy as np
import pytest
from PIL import Image

from minicnn.datasets import image_dataset_from_directory
from minicnn.datasets.folder import load_image

SIZE = (6, 5)  # (H, W) of every generated image


def rgb(seed):
    return np.random.default_rng(seed).integers(0, 256, SIZE + (3,), dtype=np.uint8)


def make_tree(root):
    """Three classes of small images in every colour mode, a text file, a hidden folder, a nested folder.

    Returns {relative path: the RGB pixels Pillow's convert("RGB") must give}.
    """
    expected = {}

    def save(relative, image, **options):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, **options)
        expected[relative] = np.asarray(Image.open(path).convert("RGB"))

    for i in range(4):
        save(f"cats/rgb_{i}.png", Image.fromarray(rgb(i)))
        save(f"dogs/grey_{i}.png", Image.fromarray(rgb(10 + i)[..., 0]))                 # mode "L"
        save(f"owls/palette_{i}.png", Image.fromarray(rgb(20 + i)).quantize(8))           # mode "P"
    save("cats/alpha.PNG", Image.fromarray(np.dstack([rgb(30), rgb(31)[..., :1]])))      # RGBA, upper case
    save("dogs/photo.jpg", Image.fromarray(rgb(40)), quality=90)
    save("owls/nested/deeper.jpeg", Image.fromarray(rgb(41)), quality=90)
    (root / "cats" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    Image.fromarray(rgb(50)).save(root / ".hidden" / "skip.png")
    return expected


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    return root, make_tree(root)


def test_classes_files_and_pixels(tree):
    root, expected = tree
    x, y = data = image_dataset_from_directory(root, image_size=SIZE, shuffle=False)
    assert data.class_names == ["cats", "dogs", "owls"]          # sorted subfolders; .hidden skipped
    relative = [os.path.relpath(path, root) for path in data.file_paths]
    assert sorted(relative) == sorted(expected)                   # notes.txt skipped, nested file found
    assert relative[:5] == ["cats/alpha.PNG"] + [f"cats/rgb_{i}.png" for i in range(4)]
    assert x.shape == (15, 6, 5, 3) and x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_array_equal(y, [0] * 5 + [1] * 5 + [2] * 5)
    for image, name in zip(x, relative):
        np.testing.assert_array_equal(image, expected[name])      # 0..255, not rescaled


def test_colour_modes(tree):
    root, _ = tree
    palette = root / "owls" / "palette_0.png"
    assert Image.open(palette).mode == "P"
    np.testing.assert_array_equal(load_image(palette, "RGB"), np.asarray(Image.open(palette).convert("RGB")))
    grey = load_image(root / "cats" / "rgb_0.png", "L")
    assert grey.shape == SIZE + (1,)
    np.testing.assert_array_equal(grey[..., 0], np.asarray(Image.open(root / "cats" / "rgb_0.png").convert("L")))
    rgba = load_image(root / "cats" / "alpha.PNG", "RGBA")
    assert rgba.shape == SIZE + (4,) and len(np.unique(rgba[..., 3])) > 1   # alpha kept in "rgba"
    x, _ = image_dataset_from_directory(root, image_size=SIZE, color_mode="grayscale", shuffle=False)
    assert x.shape[-1] == 1


def test_seeded_split_is_a_partition_and_repeats(tree):
    root, _ = tree
    train, val = image_dataset_from_directory(root, image_size=SIZE, seed=3, validation_split=0.3,
                                              subset="both")
    assert len(val.file_paths) == int(0.3 * 15) and len(train.file_paths) == 15 - 4
    assert not set(train.file_paths) & set(val.file_paths)
    again = image_dataset_from_directory(root, image_size=SIZE, seed=3, validation_split=0.3, subset="validation")
    assert again.file_paths == val.file_paths
    np.testing.assert_array_equal(again[0], val[0])
    other = image_dataset_from_directory(root, image_size=SIZE, seed=4, validation_split=0.3, subset="validation")
    assert other.file_paths != val.file_paths
    with pytest.raises(ValueError, match="seed"):
        image_dataset_from_directory(root, validation_split=0.3, subset="training")


def test_resize_is_bilinear_with_half_pixel_centres(tmp_path):
    # A 1 x 2 image [0, 100] widened to 1 x 4: source columns (j + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25,
    # clamped to [0, 1]: values 0, 25, 75, 100.
    path = tmp_path / "two.png"
    Image.fromarray(np.array([[0, 100]], dtype=np.uint8)).save(path)
    np.testing.assert_allclose(load_image(path, "L", (1, 4))[0, :, 0], [0, 25, 75, 100])


def test_corrupt_and_truncated_images_are_named(tmp_path):
    (tmp_path / "a").mkdir()
    Image.fromarray(rgb(0)).save(tmp_path / "a" / "good.png")
    (tmp_path / "a" / "broken.jpg").write_bytes(b"this is no jpeg")
    with pytest.raises(ValueError, match="broken.jpg"):
        image_dataset_from_directory(tmp_path, image_size=SIZE)
    (tmp_path / "a" / "broken.jpg").unlink()
    data = (tmp_path / "a" / "good.png").read_bytes()
    (tmp_path / "a" / "cut.png").write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match="cut.png"):
        image_dataset_from_directory(tmp_path, image_size=SIZE)


def test_missing_or_empty_folders_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="typo"):
        image_dataset_from_directory(tmp_path / "typo")
    with pytest.raises(ValueError, match="no subfolders"):
        image_dataset_from_directory(tmp_path)
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="No images found"):
        image_dataset_from_directory(tmp_path)


def _keras():
    if os.environ.get("MINICNN_REQUIRE_KERAS", "") in ("", "0"):
        pytest.importorskip("keras")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    return keras


def test_same_files_split_and_pixels_as_keras(tree):
    keras = _keras()
    from keras.src.utils.image_dataset_utils import _load_image_grain   # Keras's Pillow reader
    root, _ = tree
    for color_mode, channels in (("rgb", 3), ("grayscale", 1), ("rgba", 4)):
        theirs = keras.utils.image_dataset_from_directory(
            str(root), color_mode=color_mode, image_size=(4, 7), seed=11, validation_split=0.25,
            subset="both", batch_size=None, verbose=False)
        mine = image_dataset_from_directory(str(root), color_mode=color_mode, image_size=(4, 7), seed=11,
                                            validation_split=0.25, subset="both")
        for k, m in zip(theirs, mine):
            assert m.class_names == k.class_names
            assert m.file_paths == k.file_paths                         # same files, same order, same split
            for image, path in zip(m[0], m.file_paths):                 # Pillow, resized as Keras does
                reference = _load_image_grain(path, (4, 7), channels, "bilinear", "channels_last")
                np.testing.assert_allclose(image, np.asarray(reference), atol=2e-4)
        # Keras's tf.data pipeline decodes with TensorFlow: the same PNG pixels, JPEG within 3 levels
        # (another IDCT). It reshuffles the order on every pass, so compare path by path.
        if color_mode == "rgb":
            by_path = dict(zip(mine[0].file_paths, mine[0][0]))
            ordered = keras.utils.image_dataset_from_directory(
                str(root), image_size=(4, 7), shuffle=False, batch_size=None, verbose=False)
            for (image, _), path in zip(ordered, ordered.file_paths):
                if path in by_path:
                    jpeg = path.endswith((".jpg", ".jpeg"))
                    np.testing.assert_allclose(by_path[path], image.numpy(), atol=3.01 if jpeg else 2e-4)


def test_class_names_choose_and_order_the_classes_and_labels_may_be_given_or_none(tree):
    root, _ = tree
    x, y = data = image_dataset_from_directory(root, class_names=["owls", "cats"], image_size=SIZE, shuffle=False)
    assert data.class_names == ["owls", "cats"] and len(x) == 10
    np.testing.assert_array_equal(y, [0] * 5 + [1] * 5)             # the order given, not sorted
    with pytest.raises(ValueError, match="subfolders"):
        image_dataset_from_directory(root, class_names=["owls", "bats"])
    images, labels = unlabelled = image_dataset_from_directory(root, labels=None, image_size=SIZE, shuffle=False)
    # Without classes every image below the folder counts, .hidden/skip.png too (as in Keras)
    assert labels is None and unlabelled.class_names is None and len(images) == 16
    given = list(range(16))
    _, y = explicit = image_dataset_from_directory(root, labels=given, image_size=SIZE, seed=5)
    order = [unlabelled.file_paths.index(path) for path in explicit.file_paths]
    np.testing.assert_array_equal(y, order)                          # each label travels with its file
