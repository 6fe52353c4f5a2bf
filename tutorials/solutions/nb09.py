"""Solutions to the exercises of 09_looking_inside.ipynb."""

# 1. conv: 3 (jump 1); pool: 3 + 1 = 4 (jump 2); conv: 4 + 2*2 = 8; pool: 8 + 2 = 10 (jump 4);
#    conv: 10 + 2*4 = 18; one more 3 x 3 conv at jump 4: 18 + 2*4 = 26.
answer_1 = 26

# 2. Grad-CAM's channel weight is w[k, c] / (h * w).
answer_2 = 14 * 14

# 3. round(0.1 * 784) = round(78.4).
answer_3 = 78

# 4. z_c is the mean of CAM_c over its 7 x 7 = 49 cells plus b_c: one cell up by 4.9 moves the mean by 4.9 / 49.
answer_4 = 4.9 / 49
