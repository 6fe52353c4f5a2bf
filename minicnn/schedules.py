"""Learning-rate schedules: the rate as a function of the optimizer's step (Keras's
``keras.optimizers.schedules``; also reachable as ``minicnn.optimizers.schedules``).

Pass one as ``learning_rate``; step t (0, 1, 2, ... counted by ``optimizer.iterations``,
which the model file saves, so a resumed run continues the schedule) uses ``schedule(t)``::

    ExponentialDecay:        lr0 * rate ** (t / steps)           (t // steps with staircase=True)
    CosineDecay:             lr0 * ((1 - alpha) * (1 + cos(pi * min(t, steps) / steps)) / 2 + alpha)
    PiecewiseConstantDecay:  values[i] for boundaries[i-1] < t <= boundaries[i]

>>> from minicnn.optimizers import Adam, schedules
>>> optimizer = Adam(learning_rate=schedules.ExponentialDecay(1e-3, decay_steps=469, decay_rate=0.9))
"""
import math
import numbers


def check_rate(schedule, argument, value, positive=True):
    """A learning rate (or a decay factor) must be a finite number above 0; say so when it is not.

    A negative rate climbs the loss instead of descending it, so it is refused when the
    schedule is made rather than discovered in ``fit``.
    """
    if (not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value)
            or (value <= 0 if positive else value < 0)):
        raise ValueError(f"{schedule}: {argument} must be a finite number {'above' if positive else 'at least'} 0. "
                         f"Received {argument}={value!r}.")
    return float(value)


def check_steps(schedule, argument, value, positive=True):
    """A count of optimizer steps: an int, above 0 (or at least 0 where ``positive=False``)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or (value <= 0 if positive else value < 0):
        raise ValueError(f"{schedule}: {argument} must be a whole number of steps {'above' if positive else 'at least'} 0. "
                         f"Received {argument}={value!r}.")
    return int(value)


class LearningRateSchedule:
    """Base: ``schedule(step)`` is the learning rate of that step; ``get_config`` rebuilds it."""

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        return dict(vars(self))


class ExponentialDecay(LearningRateSchedule):
    """The rate shrinks by ``decay_rate`` every ``decay_steps`` steps (smoothly, or in stairs)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False):
        self.initial_learning_rate = check_rate("ExponentialDecay", "initial_learning_rate", initial_learning_rate)
        self.decay_steps = check_steps("ExponentialDecay", "decay_steps", decay_steps)
        self.decay_rate = check_rate("ExponentialDecay", "decay_rate", decay_rate)
        self.staircase = bool(staircase)

    def __call__(self, step):
        progress = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (math.floor(progress) if self.staircase else progress)


class CosineDecay(LearningRateSchedule):
    """Half a cosine from the rate down to ``alpha`` times it over ``decay_steps``, then flat.

    With ``warmup_target`` the rate first climbs linearly from ``initial_learning_rate`` to it
    over ``warmup_steps``, then the cosine starts from ``warmup_target`` (Keras 3).
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = check_rate("CosineDecay", "initial_learning_rate", initial_learning_rate,
                                                positive=warmup_target is None)   # a warm-up may start at 0
        self.decay_steps = check_steps("CosineDecay", "decay_steps", decay_steps)
        self.alpha = check_rate("CosineDecay", "alpha", alpha, positive=False)
        self.warmup_target = None if warmup_target is None else check_rate("CosineDecay", "warmup_target",
                                                                            warmup_target)
        self.warmup_steps = check_steps("CosineDecay", "warmup_steps", warmup_steps, positive=False)

    def __call__(self, step):
        start = self.initial_learning_rate
        if self.warmup_target is not None:
            if step < self.warmup_steps:
                return start + (self.warmup_target - start) * step / self.warmup_steps
            start, step = self.warmup_target, step - self.warmup_steps
        cosine = 0.5 * (1 + math.cos(math.pi * min(step, self.decay_steps) / self.decay_steps))
        return start * ((1 - self.alpha) * cosine + self.alpha)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to step ``boundaries[0]`` (included), then ``values[1]``, ... ."""

    def __init__(self, boundaries, values):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: values must have one entry more than boundaries. "
                             f"Received {len(boundaries)} boundaries and {len(values)} values.")
        self.boundaries = [check_steps("PiecewiseConstantDecay", "boundaries", b, positive=False) for b in boundaries]
        self.values = [check_rate("PiecewiseConstantDecay", "values", v) for v in values]

    def __call__(self, step):
        return self.values[sum(step > b for b in self.boundaries)]


SCHEDULES = {cls.__name__: cls for cls in (ExponentialDecay, CosineDecay, PiecewiseConstantDecay)}


def serialize(schedule):
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def get(learning_rate):
    """A float, a schedule, or a ``serialize`` dict (from a model file) -> a float or a schedule."""
    if isinstance(learning_rate, dict):
        return SCHEDULES[learning_rate["class_name"]](**learning_rate["config"])
    return learning_rate if isinstance(learning_rate, LearningRateSchedule) else float(learning_rate)
