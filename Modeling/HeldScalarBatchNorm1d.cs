using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// <c>nn.BatchNorm1d</c> with TorchSharp's forward pass, except that the running-statistics counter is advanced with
/// scalars that stay alive. TorchSharp's <c>BatchNorm.forward</c> calls <c>num_batches_tracked.add_(1)</c>, which converts
/// both the 1 and the implicit alpha into <see cref="Scalar"/>s on the fly; a <see cref="Scalar"/> is a native handle with a
/// finalizer, so once its handle is read the object can be collected and freed while libtorch still reads it (see
/// <see cref="AdamWStep"/>). A fresh-clone CI run failed three trainings this way, inside that call, with "For integral
/// input tensors, argument alpha must not be a floating point number": the freed alpha's memory held another scalar.
/// Same parameters, buffers and checkpoint keys as <c>nn.BatchNorm1d</c>; the same function (tested).
/// </summary>
public sealed class HeldScalarBatchNorm1d(long features, double eps = 1e-5, double momentum = 0.1)
    : BatchNorm(features, eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null, name: "BatchNorm1d")
{
    // Held for the life of the process: never finalized while a call reads them.
    static readonly Scalar One = 1L.ToScalar();

    protected override void ValidateInputDimensions(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.ndim != 2 && input.ndim != 3)
            throw new ArgumentException($"expected 2D or 3D input, but got {input.ndim}D input.", nameof(input));
    }

    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        var factor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is { } tracked)
        {
            tracked.add_(One, One);
            if (momentum is null)
                factor = 1.0 / tracked.item<long>();
        }

        var useBatchStatistics = training || (running_mean is null && running_var is null);
        var useRunning = !training || track_running_stats;
        return nn.functional.batch_norm(input, useRunning ? running_mean : null, useRunning ? running_var : null, weight, bias, useBatchStatistics,
            factor, eps);
    }
}
