"""Checkers for ``12_your_own_images.ipynb``: which files are read, the split, the starting loss."""
import math

from . import check


def check_1(answer):
    """The files of a class folder that image_dataset_from_directory reads."""
    read = {"cat_01.png", "cat_02.JPG", "cat_03.jpeg", "cat_05.gif"}
    return check(1, answer, lambda a: set(a) == read,
                 "The loader keeps the names ending in .bmp .gif .jpeg .jpg .png, whatever their case, "
                 "and nothing else.")


def check_2(answer):
    """How many of 250 images validation_split=0.2 holds out."""
    return check(2, answer, lambda a: a == int(0.2 * 250),
                 "Keras keeps the last int(validation_split * N) shuffled files for validation.")


def check_3(answer):
    """The loss of an untrained classifier over the 3 classes of a balanced folder."""
    return check(3, answer, lambda a: abs(a - math.log(3)) < 0.01,
                 "Each class gets a probability of about 1/K; the loss is -log of the right class's.")
