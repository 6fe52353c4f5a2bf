"""Solutions to the exercises of 03_convolution_arithmetic.ipynb."""
import math

# 1. (28 + 4 - 5) // 2 + 1 = 14.
answer_1 = (28 + 2 * 2 - 5) // 2 + 1

# 2. ceil(28 / 2) = 14 and ceil(7 / 2) = 4.
answer_2 = (math.ceil(28 / 2), math.ceil(7 / 2))

# 3. r = 1; conv 3x3: r = 1 + 2*1 = 3; pool 2 (stride 2): r = 3 + 1*1 = 4, jump 2; conv 3x3: r = 4 + 2*2 = 8.
answer_3 = 8

# 4. 6,272 inputs x 12,544 outputs + 12,544 biases, against 18,496 for the convolution.
answer_4 = (14 * 14 * 32) * (14 * 14 * 64) + 14 * 14 * 64

# 5. max 6, mean (1 + 6 + 3 + 0) / 4 = 2.5.
answer_5 = (6.0, 2.5)
