"""Solutions to the exercises of 12_your_own_images.ipynb."""
import math

# 1. The extension decides, in any case: .png .JPG .jpeg .gif are images; .txt, .webp and .tiff are not
#    on Keras's list (.bmp .gif .jpeg .jpg .png).
answer_1 = ["cat_01.png", "cat_02.JPG", "cat_03.jpeg", "cat_05.gif"]

# 2. int(0.2 * 250) = 50 files, the last 50 after the seeded shuffle.
answer_2 = 50

# 3. p = 1/3 for every class: -log(1/3) = ln 3 = 1.0986.
answer_3 = math.log(3)
