"""Solutions to the exercises of 05_training_dynamics.ipynb."""
import math

# 1. Step 1: m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025. Step 2: m = 0.9 * 0.05 - 0.1 * 0.5 = -0.005,
#    v = 0.999 * 0.00025 + 0.001 * 0.25 = 0.00049975, alpha = 0.001 * sqrt(1 - 0.999**2) / (1 - 0.9**2).
#    The weight changes by -alpha * m / (sqrt(v) + eps) = +5.26e-5: the reversed gradient nearly cancels m,
#    so the step is about a twentieth of lr (and goes up).
m, v = 0.9 * 0.05 + 0.1 * -0.5, 0.999 * 0.00025 + 0.001 * 0.25
alpha = 0.001 * math.sqrt(1 - 0.999**2) / (1 - 0.9**2)
answer_1 = -alpha * m / (math.sqrt(v) + 1e-7)

# 2. m = 0.9 m - 0.1  =>  m = -0.1 / (1 - 0.9) = -1: ten times plain SGD's step.
answer_2 = 0.1 / (1 - 0.9)

# 3. fan_in = 3*3*1 = 9, fan_out = 3*3*32 = 288: sqrt(6 / 297).
answer_3 = math.sqrt(6 / (9 + 288))

# 4. v = 0.1 * 0.25 = 0.025, the step 0.001 * 0.5 / sqrt(0.025 + 1e-7) = 0.00316: about 3.16 times lr, where
#    Adam's first step is lr. RMSprop has no bias correction: v starts at 0 and after one step is only
#    (1 - rho) g^2, so dividing by sqrt(v) gives g / (sqrt(1 - rho) |g|) = 1 / sqrt(0.1) times too much.
answer_4 = 0.001 * 0.5 / math.sqrt(0.1 * 0.25 + 1e-7)
