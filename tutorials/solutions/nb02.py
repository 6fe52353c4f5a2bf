"""Solutions to the exercises of 02_first_cnn.ipynb."""
import math

import numpy as np

# 1. 7 * 7 * 32 = 1,568 inputs times 128 units, plus 128 biases.
answer_1 = 7 * 7 * 32 * 128 + 128

# 2. Three full batches of 300 and one of 100.
answer_2 = math.ceil(1000 / 300)

# 3. (16 - 3) // 1 + 1 = 14 rows and columns, one channel per filter.
answer_3 = (14, 14, 64)

# 4. Column 2 of the matrix holds everything predicted as class 2: 8 + 4 + 35 = 47, 35 of them right.
confusion = np.array([[50, 2, 8], [1, 45, 4], [12, 3, 35]])
answer_4 = confusion[2, 2] / confusion[:, 2].sum()
