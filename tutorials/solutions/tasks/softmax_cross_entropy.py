import numpy as np


def softmax_cross_entropy(scores, labels):
    """The mean cross-entropy of softmax(scores) against integer labels, and its gradient.

    scores: (N, K) class scores (logits), labels: (N,) integers in [0, K).
    loss = mean over n of -log p[n, labels[n]], with p = softmax(scores) row by row.
    Returns (loss, dscores), a float and an (N, K) array dL/dscores.
    Must not overflow when scores are in the hundreds.
    """
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)         # softmax is unchanged; exp(...) <= 1
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), labels].mean()
    dscores = np.exp(log_p)
    dscores[np.arange(n), labels] -= 1                           # p - one_hot(labels)
    return loss, dscores / n
