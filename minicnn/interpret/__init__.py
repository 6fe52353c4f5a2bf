"""Why a network decides what it does: heatmaps, feature maps, filters and layer importance.

- ``cam``: Class Activation Maps and Grad-CAM (one shared base, two ways to weigh channels);
- ``faithfulness``: the deletion score, which tests whether a heatmap points at what matters;
- ``pictures``: heatmaps drawn over their images;
- ``features``: feature maps and filters;
- ``importance``: permutation importance of the conv layers;
- ``targets``: which layers and classes the tools look at;
- ``explain``: one interactive HTML page of a model's insides (``explain(model, x, y)``);
- ``card``: the model card (shapes, parameters, multiply-adds, memory, receptive fields);
- ``recorder``: ``TrainingRecorder``, a callback that records each layer's health per epoch.

    >>> import minicnn
    >>> maps = minicnn.interpret.grad_cam(model, x)      # doctest: +SKIP
"""
from .._lazy import attach

__getattr__, __dir__ = attach(__name__, __path__, {
    "class_activation_map": "cam", "grad_cam": "cam", "deletion_score": "faithfulness",
    "overlay": "pictures", "plot_cam": "pictures", "feature_maps": "features",
    "plot_feature_maps": "features", "plot_filters": "features", "layer_importance": "importance",
    "plot_layer_importance": "importance", "TrainingRecorder": "recorder", "model_card": "card"})
# Imported at once (it loads no plotting library): the function shares its module's name, and an
# eager import keeps minicnn.interpret.explain the function even after "import minicnn.interpret.explain".
from .explain import explain  # noqa: E402
