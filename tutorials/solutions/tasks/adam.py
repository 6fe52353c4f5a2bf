import numpy as np


def adam_step(w, dw, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One step of Adam (Kingma & Ba, 2015). t: the number of this step, 1 for the first.

    m and v are running means of dw and dw**2 that start at 0; divided by (1 - beta_1**t)
    and (1 - beta_2**t) they lose that start's pull towards 0 (the bias correction).
    The step is learning_rate * m_hat / (sqrt(v_hat) + epsilon).
    Returns (new w, new m, new v); change no input in place.
    """
    m = beta_1 * m + (1 - beta_1) * dw
    v = beta_2 * v + (1 - beta_2) * dw * dw
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v
