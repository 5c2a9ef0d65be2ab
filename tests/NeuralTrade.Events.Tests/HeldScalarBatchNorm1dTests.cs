using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// <see cref="HeldScalarBatchNorm1d"/> is <c>nn.BatchNorm1d</c> with its counter's scalars kept alive: the same
/// checkpoint keys, and twins fed the same batches give the same outputs, running statistics and counter, in training and
/// in evaluation, bit for bit (both run the same libtorch batch_norm kernel on the same inputs).
/// </summary>
[TestFixture]
[Category(TestCategories.Numerics)]
public sealed class HeldScalarBatchNorm1dTests
{
    [Test]
    public void Computes_what_nn_BatchNorm1d_computes_and_has_its_checkpoint_keys()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var ours = new HeldScalarBatchNorm1d(6);
        using var theirs = nn.BatchNorm1d(6);
        using (no_grad())
        {
            var weight = randn(6);
            var bias = randn(6);
            ours.weight.copy_(weight);
            theirs.weight.copy_(weight);
            ours.bias!.copy_(bias);
            theirs.bias!.copy_(bias);
        }

        Assert.That(ours.state_dict().Keys, Is.EquivalentTo(theirs.state_dict().Keys));
        for (var step = 0; step < 5; step++)
        {
            var input = randn(8, 6, 12) * 3 + 1; // (batch, channels, time), as SignalPredictor feeds it
            Assert.That(ours.forward(input).Equals(theirs.forward(input)), Is.True, $"training output, step {step}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(ours.running_mean!.Equals(theirs.running_mean!), Is.True, "running mean");
            Assert.That(ours.running_var!.Equals(theirs.running_var!), Is.True, "running variance");
            Assert.That(ours.num_batches_tracked!.item<long>(), Is.EqualTo(5));
            Assert.That(theirs.num_batches_tracked!.item<long>(), Is.EqualTo(5));
        });

        ours.eval();
        theirs.eval();
        var probe = randn(4, 6, 12);
        Assert.That(ours.forward(probe).Equals(theirs.forward(probe)), Is.True, "evaluation output");
        Assert.That(ours.num_batches_tracked!.item<long>(), Is.EqualTo(5), "evaluation does not count");
        Assert.Throws<ArgumentException>(() => ours.forward(randn(2, 6, 3, 3)));
    }
}
