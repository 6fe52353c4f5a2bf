"""Solutions to the exercises of 06_overfitting_and_regularisation.ipynb."""
import math

# 1. 3.0 / (1 - 0.5): the survivors are scaled up.
answer_1 = 3.0 / (1 - 0.5)

# 2. 0.01 * (1**2 + (-2)**2).
answer_2 = 0.01 * (1.0**2 + (-2.0) ** 2)

# 3. Best 0.8 after epoch 2; epoch 3 (0.85) and epoch 4 (0.9) do not improve: patience 2 is used up.
answer_3 = 4

# 4. mean 2, variance 1: (3 - 2) / sqrt(1 + 0.001).
answer_4 = (3.0 - 2.0) / math.sqrt(1.0 + 1e-3)
