"""Solutions to the exercises of 03_convolution_arithmetic.ipynb."""
import math

# 1. (28 + 4 - 5) // 2 + 1 = 14.
answer_1 = (28 + 2 * 2 - 5) // 2 + 1

# 2. ceil(28 / 3) = 10 and ceil(9 / 3) = 3: windows start at 0, 3, ..., 27 and at 0, 3, 6.
answer_2 = (math.ceil(28 / 3), math.ceil(9 / 3))

# 3. r = 1; conv 5x5: r = 1 + 4*1 = 5; pool 2 (stride 2): r = 5 + 1*1 = 6, jump 2; conv 5x5: r = 6 + 4*2 = 14.
answer_3 = 14

# 4. 6,272 inputs x 12,544 outputs + 12,544 biases, against 18,496 for the convolution.
answer_4 = (14 * 14 * 32) * (14 * 14 * 64) + 14 * 14 * 64

# 5. max 6, mean (1 + 6 + 3 + 0) / 4 = 2.5.
answer_5 = (6.0, 2.5)
