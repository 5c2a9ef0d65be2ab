using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// <see cref="AdamWStep"/> is TorchSharp's AdamW update with its scalars kept alive: on twin models (same seed, same
/// batches, the same cosine schedule) the two give the same parameters bit for bit, step after step.
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
        using var ours = new SignalPredictor(features: 6, hiddenSize: 16, numLayers: 2, dropout: 0);
        random.manual_seed(11);
        using var theirs = new SignalPredictor(features: 6, hiddenSize: 16, numLayers: 2, dropout: 0);
        using var ourOptimizer = optim.AdamW(ours.parameters(), 3e-3, weight_decay: 0.01);
        using var theirOptimizer = optim.AdamW(theirs.parameters(), 3e-3, weight_decay: 0.01);
        var ourSchedule = optim.lr_scheduler.CosineAnnealingLR(ourOptimizer, 4);
        var theirSchedule = optim.lr_scheduler.CosineAnnealingLR(theirOptimizer, 4);
        using var step = new AdamWStep(ourOptimizer);
        using var loss = nn.CrossEntropyLoss();

        var initial = ours.parameters().Select(p => p.detach().clone()).ToList();
        random.manual_seed(5);
        var batches = Enumerable.Range(0, 12).Select(_ => (X: randn(8, 10, 6), Y: randint(0, 3, [8]))).ToList();
        ours.train();
        theirs.train();
        for (var epoch = 0; epoch < 4; epoch++)
        {
            foreach (var (x, y) in batches.Skip(epoch * 3).Take(3))
            {
                ourOptimizer.zero_grad();
                loss.forward(ours.forward(x), y).backward();
                step.Step();

                theirOptimizer.zero_grad();
                loss.forward(theirs.forward(x), y).backward();
                theirOptimizer.step();

                foreach (var (a, b) in ours.parameters().Zip(theirs.parameters()))
                    Assert.That(a.Equals(b), Is.True, $"epoch {epoch}: a parameter differs after the update");
            }

            ourSchedule.step();
            theirSchedule.step();
        }

        Assert.That(ours.parameters().Zip(initial).All(p => !p.First.Equals(p.Second)), Is.True, "every parameter was updated");
    }
}
