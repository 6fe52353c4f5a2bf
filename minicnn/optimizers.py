"""Optimizers with Keras 3's update rules, step for step.

Each optimizer keeps one state array per weight (``slots``) and says how far
each weight moves (``step``); ``apply(weights, grads)`` moves them all in place,
unless a step is NaN/inf: then no weight moves (the guard of ``train_step``). ``get_state``/``set_state`` expose
the state (moments and the step count) so a saved model resumes exactly.

``learning_rate`` is a number or a schedule (``minicnn.optimizers.schedules``),
read at every step. Gradient clipping, as Keras 3, one at a time:
``clipnorm`` scales each gradient down to at most that L2 norm,
``clipvalue`` clips each entry to [-clipvalue, clipvalue].
"""
import numpy as np

from . import schedules


def clip_by_norm(grad, clipnorm):
    """``grad * clipnorm / max(||grad||, clipnorm)``: unchanged when its norm is small enough."""
    norm = np.sqrt((grad * grad).sum())
    return grad * grad.dtype.type(clipnorm) / np.maximum(norm, grad.dtype.type(clipnorm))


class Optimizer:
    """Base: the learning rate, the step count and a dict of per-weight state lists."""

    slot_names = ()

    def __init__(self, learning_rate, clipnorm=None, clipvalue=None):
        self.learning_rate = learning_rate
        if self._learning_rate == 0:            # a callback may lower the rate to 0 later; a start at 0 is a slip
            raise ValueError("learning_rate must be above 0: at 0 nothing learns. Received learning_rate=0.")
        if clipnorm is not None and clipvalue is not None:
            raise ValueError("Only one of clipnorm and clipvalue can be set, as in Keras. "
                             f"Received clipnorm={clipnorm!r}, clipvalue={clipvalue!r}.")
        if any(c is not None and not c > 0 for c in (clipnorm, clipvalue)):
            raise ValueError(f"clipnorm and clipvalue must be positive. Received clipnorm={clipnorm!r}, "
                             f"clipvalue={clipvalue!r}.")
        self.clipnorm, self.clipvalue = clipnorm, clipvalue
        self.iterations = 0
        self.slots = None

    @property
    def learning_rate(self):
        """The rate of the coming step: the number, or the schedule at ``iterations``."""
        rate = self._learning_rate
        return float(rate(self.iterations)) if isinstance(rate, schedules.LearningRateSchedule) else rate

    @learning_rate.setter
    def learning_rate(self, value):
        value = schedules.get(value)
        if not isinstance(value, schedules.LearningRateSchedule):
            if hasattr(self, "_learning_rate") and self.has_schedule:
                # As Keras: a callback that sets a number would silently throw the schedule away.
                raise TypeError("This optimizer was made with a LearningRateSchedule as its learning_rate, "
                                "so its rate is not settable (ReduceLROnPlateau and LearningRateScheduler set "
                                "it). Use a number as learning_rate to let a callback change it, or keep the "
                                "schedule and drop the callback.")
            if not value >= 0 or not np.isfinite(value):
                raise ValueError(f"learning_rate must be a finite number, at least 0. Received learning_rate={value!r}.")
        self._learning_rate = value

    @property
    def has_schedule(self):
        """True when the rate follows a schedule, which callbacks must not overwrite with a number."""
        return isinstance(self._learning_rate, schedules.LearningRateSchedule)

    def clip(self, grad):
        if self.clipnorm is not None:
            return clip_by_norm(grad, self.clipnorm)
        if self.clipvalue is not None:
            return np.clip(grad, -self.clipvalue, self.clipvalue)
        return grad

    def build(self, weights):
        """One zero array per weight for every slot (first moment, second moment ...)."""
        self.slots = {name: [np.zeros_like(w) for w in weights] for name in self.slot_names}

    def apply(self, weights, grads):
        """``w -= step`` for every weight, then count the step; returns True.

        When a step is NaN or inf (an update that overflows), no weight moves and it
        returns False; the slots keep that step's moments (training stops there).
        """
        if self.slots is None or any(len(slot) != len(weights) for slot in self.slots.values()):
            self.build(weights)                   # first step, or a layer was frozen or unfrozen
        steps = [self.step(i, w, self.clip(g.astype(w.dtype, copy=False))) for i, (w, g) in
                 enumerate(zip(weights, grads))]
        if not all(np.isfinite(step).all() for step in steps):
            return False
        for weight, step in zip(weights, steps):
            self.move(weight, step)
        self.iterations += 1
        return True

    def move(self, weight, step):
        weight -= step

    def step(self, i, weight, grad):
        """How far weight ``i`` moves down: ``apply`` subtracts it. Updates the slots, not the weight."""
        raise NotImplementedError

    def get_config(self):
        rate = self._learning_rate
        config = {"learning_rate": schedules.serialize(rate) if isinstance(rate, schedules.LearningRateSchedule)
                  else rate}
        return {**config, **{k: v for k, v in (("clipnorm", self.clipnorm), ("clipvalue", self.clipvalue))
                             if v is not None}}

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

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **clipping):
        super().__init__(learning_rate, **clipping)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must be in [0, 1). Received momentum={momentum!r}.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.slot_names = ("momentums",) if self.momentum else ()

    def step(self, i, weight, grad):
        lr = self.learning_rate
        if not self.momentum:
            return lr * grad
        m = self.slots["momentums"][i]
        m *= self.momentum
        m -= lr * grad
        return -(self.momentum * m - lr * grad) if self.nesterov else -m        # w += ... as w -= -...

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

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **clipping):
        super().__init__(learning_rate, **clipping)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def step(self, i, weight, grad):
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
        return (m * alpha) / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay: first ``w -= w * weight_decay * lr``, then Adam's step."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **clipping):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **clipping)
        self.weight_decay = float(weight_decay)

    def move(self, weight, step):
        # Keras subtracts the decay, then Adam's step (one sum of the two would round differently).
        weight -= weight * weight.dtype.type(self.weight_decay) * weight.dtype.type(self.learning_rate)
        weight -= step

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}


class RMSprop(Optimizer):
    """v = rho*v + (1 - rho)*g*g;  w -= lr * g / sqrt(v + epsilon)  (Keras 3, no momentum)."""

    slot_names = ("velocities",)

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7, **clipping):
        super().__init__(learning_rate, **clipping)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def step(self, i, weight, grad):
        v = self.slots["velocities"][i]
        v *= self.rho
        v += (1 - self.rho) * (grad * grad)
        return self.learning_rate * grad / np.sqrt(v + self.epsilon)

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
