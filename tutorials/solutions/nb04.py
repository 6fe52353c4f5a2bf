"""Solutions to the exercises of 04_layers_and_gradients.ipynb."""
import numpy as np

# 1. N*OH*OW = 2*3*3 rows (OH = 5 - 3 + 1 = 3), KH*KW*C = 27 columns.
answer_1 = (18, 27)

# 2. grad_out * (x > 0).
answer_2 = np.array([1.0, 2.0, 3.0, 4.0]) * (np.array([-2.0, 0.5, 3.0, -0.1]) > 0)

# 3. 14 / (7 * 7).
answer_3 = 14 / 49

# 4. x.T @ grad_out: (3, 2) @ (2, 2) -> (3, 2).
x = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
grad_out = np.array([[1.0, 2.0], [3.0, -1.0]])
answer_4 = x.T @ grad_out

# 5. The first 3 (row 0, column 0) wins; the numerical gradient would say 0.5 and 0.5.
answer_5 = [[1, 0], [0, 0]]
