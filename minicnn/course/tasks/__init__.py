"""The course's graded implementation tasks: the learner writes a layer, a check names the bug.

    >>> from minicnn.course import tasks
    >>> [task.name for task in tasks.all_tasks()][:3]
    ['conv_forward_naive', 'im2col', 'col2im']
    >>> tasks.check("relu", relu_forward, relu_backward)      # doctest: +SKIP
    relu: right. ...

Each task is a :class:`~minicnn.course.tasks.feedback.Task`: ``name``,
``notebook``, ``functions`` (the names the learner writes), ``check(answer)``
(prints its verdict, returns a bool) and ``solution`` (the worked answer from
``tutorials/solutions/tasks/NAME.py``). A notebook carries each task as a stub
cell (the solution's functions with their bodies replaced by
``raise NotImplementedError``) and a check cell under it (``cells``). Once the
layers of notebook 04 pass, ``minicnn.course.yours`` trains them.
"""
from ..._lazy import attach
from . import basics, convolution, maps, optimizers, pooling, regularisation

__getattr__, __dir__ = attach(__name__, __path__)

COURSE_ORDER = ["conv_forward_naive", "im2col", "col2im", "conv", "max_pool", "avg_pool", "dropout",   # notebook 04
                "dense", "relu", "global_average_pooling", "softmax_cross_entropy",
                "sgd_momentum", "adam",                                                           # 05
                "batchnorm",                                                                      # 06
                "cam", "grad_cam"]                                                                # 09


def all_tasks():
    """Every task, in course order (notebook by notebook, as the notebook meets them)."""
    modules = (basics, convolution, pooling, regularisation, optimizers, maps)
    found = {task.name: task for module in modules for task in module.tasks()}
    return [found[name] for name in COURSE_ORDER]


def get(name):
    """The task called ``name``; the error lists the names."""
    found = {task.name: task for task in all_tasks()}
    if name not in found:
        raise ValueError(f"No task {name!r}; the tasks are {', '.join(found)}.")
    return found[name]


def check(name, *functions):
    """``check("dense", dense_forward, dense_backward)``: the check cell of a notebook."""
    return get(name).check(functions[0] if len(functions) == 1 else tuple(functions))
