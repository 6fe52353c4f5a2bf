"""A plan: the steps that run a list of layers, and the order backward walks them.

``Sequential.forward`` runs ``plan.steps`` one after another and ``backward`` calls
``plan.backward_passes(...)`` in turn. A step is anything with ``forward(x, training)``
and ``backward(grad_out) -> dx``:

- on the numpy backend each layer is its own step (:func:`per_layer`): the code in
  ``minicnn/layers/`` is what runs;
- on the numba backend ``minicnn.fast.plan`` swaps in a compiled twin for each hot
  layer and one fused block for each run of layers it knows how to fuse
  (``[ZeroPadding2D] Conv2D(relu) [Dropout] MaxPooling2D``), so one step may
  cover several layers: ``spans`` says how many.

What backward needs beyond "call each step's backward, last first" is decided here,
not in the model:

- ``from_logits``: the loss gave the gradient with respect to the last layer's
  pre-activation (softmax + cross-entropy fused), so the last step starts from
  ``backward_preactivation``;
- ``running()``: the model runs the steps of a pass inside it; the numba backend's
  holds BLAS to one thread there (``minicnn/fast/runtime.py``), because its steps spread
  their work over the cores themselves;
- ``input_gradient=False`` (training): the input is data and nothing below the
  lowest layer with weights learns, so backward stops at that step, and a step
  that can skip its own input gradient (``backward_parameters``: a fast conv or
  fused block, whose ``dL/dx`` costs a product as large as its forward one) does.
"""
import contextlib


class Plan:
    """``spans``: ``[(number of layers, step), ...]`` covering ``layers`` in order; ``running``:
    a function giving the context the model runs the steps in (nothing, unless a backend needs it)."""

    def __init__(self, layers, spans, running=contextlib.nullcontext):
        self.layers = list(layers)
        self.spans = list(spans)
        self.running = running
        if sum(count for count, _ in self.spans) != len(self.layers):
            raise ValueError(f"a plan's steps cover {sum(c for c, _ in self.spans)} layers, not the "
                             f"{len(self.layers)} it was made for.")

    @property
    def steps(self):
        """What ``forward`` runs, first to last."""
        return [step for _, step in self.spans]

    def lowest_step_with_weights(self):
        """Index of the first step whose layers have trainable weights (0 when none has)."""
        first_layer = 0
        for index, (count, _) in enumerate(self.spans):
            if any(layer.trainable_weights for layer in self.layers[first_layer:first_layer + count]):
                return index
            first_layer += count
        return 0

    def backward_passes(self, from_logits=False, input_gradient=True):
        """The functions backward calls, last step first; each takes the gradient from above.

        With ``input_gradient=False`` the list ends at the lowest step with weights,
        whose function then returns None (or a gradient nobody reads).
        """
        steps = self.steps
        lowest = 0 if input_gradient else self.lowest_step_with_weights()
        passes = []
        for index in reversed(range(lowest, len(steps))):
            step = steps[index]
            if from_logits and index == len(steps) - 1:
                passes.append(step.backward_preactivation)
            elif index == lowest and not input_gradient:
                passes.append(getattr(step, "backward_parameters", step.backward))
            else:
                passes.append(step.backward)
        return passes


def per_layer(layers):
    """The numpy backend's plan: every layer runs its own code, one step each."""
    return Plan(layers, [(1, layer) for layer in layers])
