"""Solutions to the exercises of 01_explore_fashion_mnist.ipynb (computed on the same data)."""
import numpy as np

import minicnn
from minicnn import course

(x_train, y_train), (x_test, y_test) = minicnn.load_fashion_mnist(sample=course.FAST)

# 1. Every class has the same count: 1,000 (full) or 40 (sample).
answer_1 = int(np.bincount(y_test)[0])

# 2. The black background: about half of all values, as in the training images.
answer_2 = float(np.mean(x_test == 0))

# 3. The mean over each class's images and pixels; the largest one's name.
answer_3 = minicnn.CLASS_NAMES[int(np.argmax([x_train[y_train == k].mean() for k in range(10)]))]


# 4. The running total of the shares, the first component where it reaches share; positions count from 0.
def fewest_components(ratio, share):
    return int(np.argmax(np.cumsum(ratio) >= share)) + 1


answer_4 = fewest_components
