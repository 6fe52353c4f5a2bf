"""Solutions to the exercises of 08_all_five_seeds.ipynb."""
import math

# 1. The mean over classes of TP/1000 is (sum of TP)/10000 = 9100/10000: the accuracy.
answer_1 = 9100 / 10000

# 2. Two bytes per float16 number.
answer_2 = 421_642 * 2

# 3. e^2 / (e^2 + 1 + 1).
answer_3 = math.exp(2) / (math.exp(2) + 2)

# 4. A weighted sum of the last conv layer's maps, which have its height and width: 56 x 56 is halved by
#    each of the two MaxPooling2D(2) ('same' convolutions keep the size), so 14 x 14.
answer_4 = (14, 14)
