"""Tasks of notebook 05: one step of SGD with momentum and one of Adam, as Keras writes them.

The check runs three steps of the learner's function beside minicnn's optimizer
(``minicnn.optimizers.SGD`` / ``Adam``) on the same weights and gradients, and
compares the weights and the optimizer's state after every step.
"""
import numpy as np

from ...optimizers import SGD, Adam
from .feedback import Task, call, compare, draw, unpack

NOTEBOOK = "05_training_dynamics"
STEPS = 3


def optimizer_cases(rng):
    """(weights, [gradient of each step]): a vector, then a small matrix."""
    return [(draw(rng, shape), [draw(rng, shape) for _ in range(STEPS)]) for shape in [(4,), (2, 3)]]


def minicnn_steps(optimizer, w, grads):
    """minicnn's weights and state after each step: [(w, {slot: array}), ...]."""
    w, states = w.copy(), []
    for grad in grads:
        optimizer.apply([w], [grad.copy()])
        states.append((w.copy(), {name: optimizer.slots[name][0].copy() for name in optimizer.slots}))
    return states


def run_sgd(answer, rng):
    lr, momentum = 0.1, 0.9
    for w0, grads in optimizer_cases(rng):
        w, velocity = w0.copy(), np.zeros_like(w0)
        expected = minicnn_steps(SGD(lr, momentum=momentum), w0, grads)
        for step, (grad, (right_w, slots)) in enumerate(zip(grads, expected), start=1):
            label = f"On w {w0.shape}, step {step}: "
            old_w, old_velocity = w, velocity
            result = call(answer, "sgd_momentum_step", w.copy(), grad.copy(), velocity.copy(), lr, momentum)
            w, velocity = unpack(result, 2, "sgd_momentum_step", "(w, velocity)")
            compare("velocity", velocity, slots["momentums"], "", [
                ("it has the opposite sign of the spec's (Keras's): velocity = momentum * velocity "
                 "- learning_rate * dw, and w moves by + velocity.", -slots["momentums"])], label)
            compare("w", w, right_w, "", [
                ("w moved by the old velocity: update the velocity first, then move w by the new one.",
                 old_w + old_velocity)], label)
            w, velocity = right_w.copy(), slots["momentums"].copy()     # go on from the right state
    return f"w and velocity equal minicnn's SGD(momentum=0.9) over {STEPS} steps on 2 drawn cases."


def run_adam(answer, rng):
    lr, beta_1, beta_2, epsilon = 0.01, 0.9, 0.999, 1e-7
    for w0, grads in optimizer_cases(rng):
        w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
        expected = minicnn_steps(Adam(lr, beta_1, beta_2, epsilon), w0, grads)
        for t, (grad, (right_w, slots)) in enumerate(zip(grads, expected), start=1):
            label = f"On w {w0.shape}, step t={t}: "
            result = call(answer, "adam_step", w.copy(), grad.copy(), m.copy(), v.copy(), t,
                          lr, beta_1, beta_2, epsilon)
            new_w, new_m, new_v = unpack(result, 3, "adam_step", "(w, m, v)")
            compare("m", new_m, slots["momentums"], "", (), label)
            compare("v", new_v, slots["velocities"], "", [
                ("it averages |dw|; v is the running mean of the squared gradient.",
                 beta_2 * v + (1 - beta_2) * np.abs(grad))], label)
            m_now, v_now = slots["momentums"], slots["velocities"]
            compare("w", new_w, right_w, "", [
                ("the step misses the bias correction: m and v start at 0, so early on they are too small by "
                 "the factors (1 - beta_1**t) and (1 - beta_2**t).", w - lr * m_now / (np.sqrt(v_now) + epsilon))],
                label)
            w, m, v = right_w.copy(), m_now.copy(), v_now.copy()
    return f"w, m and v equal minicnn's Adam over {STEPS} steps on 2 drawn cases."


def tasks():
    return [
        Task("sgd_momentum", NOTEBOOK, "one step of SGD with momentum", ("sgd_momentum_step",), run=run_sgd,
             cases=optimizer_cases, seed=15),
        Task("adam", NOTEBOOK, "one step of Adam", ("adam_step",), run=run_adam, cases=optimizer_cases, seed=16),
    ]
