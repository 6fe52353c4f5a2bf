"""Solutions to the exercises of 05_training_dynamics.ipynb."""
import math

# 1. m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025, alpha = 0.001 * sqrt(0.001) / 0.1;
#    alpha * m / (sqrt(v) + eps) = 0.001 (to 6 digits): Adam's first step is lr * sign(g).
alpha = 0.001 * math.sqrt(1 - 0.999) / (1 - 0.9)
answer_1 = alpha * 0.05 / (math.sqrt(0.00025) + 1e-7)

# 2. m = 0.9 m - 0.1  =>  m = -0.1 / (1 - 0.9) = -1: ten times plain SGD's step.
answer_2 = 0.1 / (1 - 0.9)

# 3. fan_in = 3*3*1 = 9, fan_out = 3*3*32 = 288: sqrt(6 / 297).
answer_3 = math.sqrt(6 / (9 + 288))

# 4. The layer is linear before its ReLU: 255 times the input, 255 times the output.
answer_4 = 255
