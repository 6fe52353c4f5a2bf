"""Solutions to the exercises of 04_layers_and_gradients.ipynb."""
import numpy as np

# 1. N*OH*OW = 2*3*3 rows (OH = 5 - 3 + 1 = 3), KH*KW*C = 27 columns.
answer_1 = (18, 27)

# 2. grad_out * (x > 0): at x = 0 exactly minicnn (like Keras) passes nothing.
answer_2 = np.array([4.0, 3.0, 2.0, -1.0]) * (np.array([1.5, -0.5, 0.0, 2.0]) > 0)

# 3. 14 / (7 * 7).
answer_3 = 14 / 49

# 4. x.T @ grad_out: (3, 2) @ (2, 2) -> (3, 2).
x = np.array([[2.0, -1.0, 0.0], [1.0, 3.0, 1.0]])
grad_out = np.array([[0.0, 1.0], [2.0, -2.0]])
answer_4 = x.T @ grad_out

# 5. The first 2 in row-major order (row 0, column 1) wins; the numerical gradient would say 0.5 and 0.5.
answer_5 = [[0, 1], [0, 0]]
