"""Optimizers with Keras 3's update rules, step for step.

Each optimizer keeps one state array per weight (``slots``) and updates the
weights in place: ``apply(weights, grads)``. ``get_state``/``set_state`` expose
the state (moments and the step count) so a saved model resumes exactly.
"""
import numpy as np


class Optimizer:
    """Base: the learning rate, the step count and a dict of per-weight state lists."""

    slot_names = ()

    def __init__(self, learning_rate):
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be positive. Received learning_rate={learning_rate!r}.")
        self.learning_rate = float(learning_rate)
        self.iterations = 0
        self.slots = None

    def build(self, weights):
        """One zero array per weight for every slot (first moment, second moment ...)."""
        self.slots = {name: [np.zeros_like(w) for w in weights] for name in self.slot_names}

    def apply(self, weights, grads):
        """Update every weight in place from its gradient, then count the step."""
        if self.slots is None or any(len(slot) != len(weights) for slot in self.slots.values()):
            self.build(weights)                   # first step, or a layer was frozen or unfrozen
        for i, (w, g) in enumerate(zip(weights, grads)):
            self.update(i, w, g.astype(w.dtype, copy=False))
        self.iterations += 1

    def update(self, i, weight, grad):
        raise NotImplementedError

    def get_config(self):
        return {"learning_rate": self.learning_rate}

    def get_state(self):
        """``{"iterations": int, slot name: [arrays]}``: everything ``apply`` remembers."""
        return {"iterations": self.iterations, **(self.slots or {})}

    def set_state(self, state):
        self.iterations = int(state["iterations"])
        built = all(name in state for name in self.slot_names) and self.iterations > 0
        self.slots = {name: [np.array(a) for a in state[name]] for name in self.slot_names} if built else None


class SGD(Optimizer):
    """w -= lr * g; with momentum (Keras's form): m = momentum*m - lr*g, w += m.

    Nesterov looks one step ahead: w += momentum*m - lr*g.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1). Received momentum={momentum!r}.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.slot_names = ("momentums",) if self.momentum else ()

    def update(self, i, weight, grad):
        lr = self.learning_rate
        if not self.momentum:
            weight -= lr * grad
            return
        m = self.slots["momentums"][i]
        m *= self.momentum
        m -= lr * grad
        weight += self.momentum * m - lr * grad if self.nesterov else m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba) as Keras 3 writes it::

        m += (g - m) * (1 - beta_1)                  running mean of gradients
        v += (g*g - v) * (1 - beta_2)                running mean of squared gradients
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)     bias correction
        w -= alpha * m / (sqrt(v) + epsilon)
    """

    slot_names = ("momentums", "velocities")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def update(self, i, weight, grad):
        m, v = self.slots["momentums"][i], self.slots["velocities"][i]
        # The bias correction is computed in the weight's float type, as Keras does: in
        # float32, 0.999 ** t differs from the float64 value by about 6e-6 (relative),
        # which Adam amplifies over a few steps; this way the updates match Keras's bit for bit.
        dtype = weight.dtype.type
        t = dtype(self.iterations + 1)
        beta_1, beta_2 = dtype(self.beta_1), dtype(self.beta_2)
        alpha = dtype(self.learning_rate) * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        m += (grad - m) * (1 - self.beta_1)
        v += (grad * grad - v) * (1 - self.beta_2)
        weight -= (m * alpha) / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay: first ``w -= w * weight_decay * lr``, then Adam's step."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self.weight_decay = float(weight_decay)

    def update(self, i, weight, grad):
        weight -= weight * weight.dtype.type(self.weight_decay) * weight.dtype.type(self.learning_rate)
        super().update(i, weight, grad)

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}


class RMSprop(Optimizer):
    """v = rho*v + (1 - rho)*g*g;  w -= lr * g / sqrt(v + epsilon)  (Keras 3, no momentum)."""

    slot_names = ("velocities",)

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def update(self, i, weight, grad):
        v = self.slots["velocities"][i]
        v *= self.rho
        v += (1 - self.rho) * (grad * grad)
        weight -= self.learning_rate * grad / np.sqrt(v + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop}


def get(optimizer):
    """An optimizer from an instance or a Keras string name ("adam", "sgd", "rmsprop", "adamw")."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    key = str(optimizer).lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {optimizer!r}. Use one of {sorted(OPTIMIZERS)} "
                         f"or an optimizer object such as Adam(learning_rate=1e-3).")
    return OPTIMIZERS[key]()
