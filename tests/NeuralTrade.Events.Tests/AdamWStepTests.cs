using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// <see cref="AdamWStep"/> is TorchSharp's AdamW update with its scalars kept alive: twin parameter sets, given the same
/// gradients step after step under the same cosine schedule, stay equal bit for bit. The gradients are exact by
/// construction (the loss Σ p·g has gradient g), so the check holds under any CPU dispatch setting; a model's own
/// backward pass need not be bitwise repeatable there.
/// </summary>
[TestFixture]
[Category(TestCategories.Numerics)]
public sealed class AdamWStepTests
{
    [Test]
    public void Updates_bit_for_bit_as_TorchSharps_AdamW_under_its_cosine_schedule()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(11);
        long[][] shapes = [[16, 6], [16], [3, 4, 5]];
        var initial = shapes.Select(s => randn(s)).ToList();
        var ours = initial.Select(t => new Parameter(t.clone())).ToList();
        var theirs = initial.Select(t => new Parameter(t.clone())).ToList();
        using var ourOptimizer = optim.AdamW(ours, 3e-3, weight_decay: 0.01);
        using var theirOptimizer = optim.AdamW(theirs, 3e-3, weight_decay: 0.01);
        var ourSchedule = optim.lr_scheduler.CosineAnnealingLR(ourOptimizer, 4);
        var theirSchedule = optim.lr_scheduler.CosineAnnealingLR(theirOptimizer, 4);
        using var step = new AdamWStep(ourOptimizer);

        for (var epoch = 0; epoch < 4; epoch++)
        {
            for (var batch = 0; batch < 3; batch++)
            {
                var gradients = shapes.Select(s => randn(s)).ToList();
                Backward(ourOptimizer, ours, gradients);
                step.Step();
                Backward(theirOptimizer, theirs, gradients);
                theirOptimizer.step();

                for (var i = 0; i < ours.Count; i++)
                    Assert.That(ours[i].Equals(theirs[i]), Is.True, $"epoch {epoch}, batch {batch}: parameter {i} differs after the update");
            }

            ourSchedule.step();
            theirSchedule.step();
        }

        for (var i = 0; i < ours.Count; i++)
            Assert.That(ours[i].Equals(initial[i]), Is.False, $"parameter {i} was updated");
    }

    /// <summary>Gradients exactly <paramref name="gradients"/>: the loss Σ (p · g).sum() differentiates to g.</summary>
    static void Backward(optim.Optimizer optimizer, List<Parameter> parameters, List<Tensor> gradients)
    {
        optimizer.zero_grad();
        var loss = parameters.Zip(gradients, (p, g) => (p * g).sum()).Aggregate((a, b) => a + b);
        loss.backward();
    }
}
