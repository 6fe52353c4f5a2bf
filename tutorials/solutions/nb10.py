"""Solutions to the exercises of 10_minicnn_beside_keras.ipynb."""

# 1. (KH, KW, C_in, F).
answer_1 = (5, 5, 3, 16)

# 2. Conv2D and Dense: a kernel and a bias each; BatchNormalization: gamma, beta, and the moving mean and
#    variance it keeps for inference (not trained, but weights all the same); pooling and Flatten: none.
answer_2 = 2 + 4 + 2

# 3. np.finfo(np.float32).eps == 2 ** -23 (about 1.19e-7).
answer_3 = -23

# 4. 60,000 / 32 = 1,875 batches, all full.
answer_4 = 1875
