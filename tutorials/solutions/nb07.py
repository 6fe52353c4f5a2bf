"""Solutions to the exercises of 07_debugging.ipynb."""
import math

# 1. p = 1/4 for every class: -log(1/4) = ln 4.
answer_1 = math.log(4)

# 2. Below 0 LeakyReLU is negative_slope * x, whose derivative is negative_slope: 0.3 by default (Keras's),
#    so a unit that never fires still passes 0.3 of its gradient down and can recover.
answer_2 = 0.3

# 3. 0.02 / 2.0 = 1e-2: ten times CS231n's rule of thumb (1e-3): the learning rate is on the high side.
answer_3 = 0.02 / 2.0

# 4. 32 / 8 = 4 batches per epoch, 50 epochs.
answer_4 = 50 * 4
