using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// The parameter update of TorchSharp's <c>optim.AdamW</c> (its options and learning rate read from that optimizer, so
/// its learning-rate scheduler still drives it), computed with the same operations in the same order — the same floats —
/// but with every scalar argument held in a variable until the call that reads it has returned.
/// </summary>
/// <remarks>
/// TorchSharp's own step passes scalars it converts from doubles on the fly (<c>mul_(beta1)</c>); a
/// <see cref="Scalar"/> is a raw native handle with a finalizer, so once its handle has been read the object can be
/// collected, and under GC pressure the finalizer frees it while libtorch still reads it ("Unknown scalar type" from
/// c10's Scalar.h, seen in CI). <see cref="AdamWStepTests"/> checks the update bit for bit against TorchSharp's.
/// </remarks>
public sealed class AdamWStep : IDisposable
{
    readonly AdamW _optimizer;
    readonly Parameter[] _parameters;
    readonly Tensor[] _expAvg, _expAvgSq;
    readonly long[] _steps;

    public AdamWStep(AdamW optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        _optimizer = optimizer;
        _parameters = [.. optimizer.ParamGroups.Cast<AdamW.ParamGroup>().SelectMany(g => g.Parameters)];
        _expAvg = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _expAvgSq = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _steps = new long[_parameters.Length];
    }

    /// <summary>One update of every parameter that has a gradient, at the optimizer's current learning rate.</summary>
    public void Step()
    {
        var group = (AdamW.ParamGroup)_optimizer.ParamGroups.Single();
        var options = (AdamW.Options)group.Options;
        var (beta1, beta2, eps, weightDecay, lr) =
            (options.beta1!.Value, options.beta2!.Value, options.eps!.Value, options.weight_decay!.Value, group.LearningRate);
        if (options.amsgrad == true || options.maximize == true)
            throw new NotSupportedException("AdamWStep computes plain AdamW (no amsgrad, no maximize)");

        using var noGrad = no_grad();
        using var decay = (1 - lr * weightDecay).ToScalar();
        using var keep1 = beta1.ToScalar();
        using var take1 = (1 - beta1).ToScalar();
        using var keep2 = beta2.ToScalar();
        using var take2 = (1 - beta2).ToScalar();
        using var epsilon = eps.ToScalar();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var param = _parameters[i];
            using var grad = param.grad;
            if (grad is null)
                continue;

            _steps[i] += 1;
            param.mul_(decay);
            var biasCorrection1 = 1 - Math.Pow(beta1, _steps[i]);
            var biasCorrection2 = 1 - Math.Pow(beta2, _steps[i]);
            _expAvg[i].mul_(keep1).add_(grad, alpha: take1);
            _expAvgSq[i].mul_(keep2).addcmul_(grad, grad, value: take2);

            using var root = Math.Sqrt(biasCorrection2).ToScalar();
            using var sqrt = _expAvgSq[i].sqrt();
            using var denominator = sqrt.div(root).add_(epsilon);
            using var stepSize = (-(lr / biasCorrection1)).ToScalar();
            param.addcdiv_(_expAvg[i], denominator, value: stepSize);
        }
    }

    public void Dispose()
    {
        foreach (var t in _expAvg.Concat(_expAvgSq))
            t.Dispose();
    }
}
