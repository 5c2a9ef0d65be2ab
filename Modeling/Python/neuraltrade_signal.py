"""NeuralTrade signal model as an MLflow python_function model (custom flavor, ``loader_module``).

MLflow puts the model directory's ``code/`` on ``sys.path``, imports this module and calls
``_load_pyfunc(<model directory>/data)``. Without MLflow, do the same by hand::

    import sys; sys.path.insert(0, "<model dir>/code")
    import neuraltrade_signal
    model = neuraltrade_signal._load_pyfunc("<model dir>/data")
    probabilities = model.predict(windows)   # float32 (n, 3): sell, hold, buy

Input: the fleet's feature windows, float32 of shape (n, window, features), unscaled: the features the fleet computes
(``feature_spec`` and ``feature_names`` of ``data/config.json``; computed by the fleet's C# FeatureCalculator, rows in time
order, the last row is the candle the signal is for). ``predict`` applies what the fleet's Inference applies: the training
scaler (``(x - mean) / std``, clipped at +-clip, a non-finite value becomes 0), the network, and softmax(logits / T) with
the calibration temperature T. Needs torch (1.13 or later) and numpy; no MLflow import.
"""

import json
import os

# The fleet caps oneDNN at AVX2 (Modeling/TorchRuntime.cs): on AVX-512 CPUs oneDNN's AVX-512 LSTM inference kernel
# computes another function for some hidden sizes. oneDNN reads this when it first dispatches, so setting it here, before
# any network runs, gives the fleet's kernels. A value the user set is kept.
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

CONFIG_FILE = "config.json"
FORMAT = 1


class SignalPredictor(nn.Module):
    """The fleet's SignalPredictor (Modeling/SignalPredictor.cs), layer by layer; attribute names are the state dict keys."""

    def __init__(self, features, hidden_size, num_layers, dropout, classes=3):
        super().__init__()
        h = hidden_size
        self.input_norm = nn.BatchNorm1d(features)
        self.input_projection = nn.Linear(features, h // 2)
        self.lstm = nn.LSTM(h // 2, h, num_layers=num_layers, batch_first=True, bidirectional=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.attention_hidden = nn.Linear(2 * h, h)
        self.attention_score = nn.Linear(h, 1)
        self.classifier_in = nn.Linear(2 * h, h)
        self.classifier_norm = nn.LayerNorm(h)
        self.classifier_dropout1 = nn.Dropout(dropout)
        self.classifier_mid = nn.Linear(h, h // 2)
        self.classifier_dropout2 = nn.Dropout(dropout)
        self.classifier_out = nn.Linear(h // 2, classes)

    def forward(self, x):
        # BatchNorm1d normalises channels on dim 1: (B, T, F) -> (B, F, T) and back.
        x = self.input_norm(x.transpose(1, 2)).transpose(1, 2)
        x = F.gelu(self.input_projection(x))
        sequence, _ = self.lstm(x)                                                      # (B, T, 2H)
        scores = self.attention_score(torch.tanh(self.attention_hidden(sequence)))      # (B, T, 1)
        weights = torch.softmax(scores, dim=1)
        context = (weights * sequence).sum(1)                                           # (B, 2H)
        z = F.gelu(self.classifier_norm(self.classifier_in(context)))
        z = self.classifier_dropout1(z)
        z = self.classifier_dropout2(F.gelu(self.classifier_mid(z)))
        return self.classifier_out(z)


class SignalModel:
    """What ``_load_pyfunc`` returns: ``predict(windows)`` gives the fleet's calibrated class probabilities."""

    def __init__(self, config, network):
        self.config = config
        self.network = network
        self.window = int(config["window_size"])
        self.features = len(config["feature_names"])
        self.classes = list(config["classes"])
        scaler = config["scaler"]
        self._mean = np.asarray(scaler["mean"], dtype=np.float32)
        self._std = np.asarray(scaler["std"], dtype=np.float32)
        self._clip = np.float32(scaler["clip"])
        self.temperature = float(config["temperature"])

    def scale(self, windows):
        """The training scaler as the fleet applies it (FeatureScaler.TransformInPlace), in float32."""
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            z = (windows - self._mean) / self._std
        return np.where(np.isfinite(z), np.clip(z, -self._clip, self._clip), np.float32(0)).astype(np.float32)

    def predict(self, model_input, params=None):
        windows = np.asarray(model_input, dtype=np.float32)
        if windows.ndim == 2:
            windows = windows[np.newaxis]
        if windows.ndim != 3 or windows.shape[1:] != (self.window, self.features):
            raise ValueError(f"expected windows of shape (n, {self.window}, {self.features}) "
                             f"(the features {', '.join(self.config['feature_names'])}), got {tuple(np.shape(model_input))}")
        x = torch.from_numpy(np.ascontiguousarray(self.scale(windows)))
        with torch.no_grad():
            logits = self.network(x)
            if self.temperature != 1:
                logits = logits / self.temperature
            return torch.softmax(logits, 1).numpy()


def load(data_path):
    """The model in ``data_path`` (the MLflow model's ``data/`` directory): config.json and the PyTorch state dict."""
    with open(os.path.join(data_path, CONFIG_FILE), encoding="utf-8") as f:
        config = json.load(f)
    if config.get("format") != FORMAT:
        raise ValueError(f"{CONFIG_FILE} has format {config.get('format')}; this loader reads format {FORMAT}")
    network = SignalPredictor(len(config["feature_names"]), int(config["hidden_size"]), int(config["num_layers"]),
                              float(config["dropout"]), len(config["classes"]))
    path = os.path.join(data_path, config["weights"])
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch before 1.13 has no weights_only
        state = torch.load(path, map_location="cpu")
    network.load_state_dict(state, strict=True)
    network.eval()
    return SignalModel(config, network)


def _load_pyfunc(data_path):
    """MLflow's entry point for a ``loader_module``: called with the path of the model's ``data`` directory."""
    return load(data_path)
