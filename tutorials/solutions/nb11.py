"""Solutions to the exercises of 11_bug_hunt.ipynb."""
import math

# 1. gradcheck_each_layer(mystery_network(42) built in float64 on small images) flags 'pool' (its
#    backward spreads the gradient over the whole window); compare_forward flags 'dropout'
#    (training outputs 1 - rate = 0.7 times minicnn's); the loss at the start is near ln 10 and the
#    weight norms are like the clean network's, so the initialisation is fine.
answer_1 = ["pool", "dropout"]

# 2. The second softmax's inputs lie in [0, 1]; its top output is largest for the input (1, 0, ..., 0):
#    e / (e + 9) = 0.232, so the loss is at least -log(e / (e + 9)) = log(e + 9) - 1.
answer_2 = math.log(math.e + 9) - 1

# 3. Nothing to learn that carries over: a guess is right one time in four.
answer_3 = 0.25
