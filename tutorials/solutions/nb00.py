"""Solutions to the exercises of 00_start_here.ipynb."""
import math

# 1. (N, H, W, C): 32 images, 28 rows, 28 columns, 1 channel.
answer_1 = (32, 28, 28, 1)

# 2. Flattened, an image is 32 * 32 * 3 = 3,072 values: W: (3072, 10) and b: (10,).
answer_2 = 3072 * 10 + 10

# 3. -log(1/5) for every image, so the mean is ln 5.
answer_3 = math.log(5)

# 4. f'(w) = 2 (w - 1) = 4 at w = 3; w - 0.1 * 4.
answer_4 = 3 - 0.1 * 2 * (3 - 1)
