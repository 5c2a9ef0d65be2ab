using System.Globalization;

namespace NeuralTrade.Events.Testing;

/// <summary>
/// Seeds of the models that tests train. <c>NEURALTRADE_TEST_SEED</c> (an integer, default 0) shifts every one of them,
/// so the numerically sensitive tests can be run over several seeds (docs/testing.md, "Numerics"): a test whose
/// assertion holds only for one lucky seed, or one CPU's floats, fails under another.
/// </summary>
public static class TestSeeds
{
    public const string Variable = "NEURALTRADE_TEST_SEED";

    public static int Offset { get; } =
        int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var offset) ? offset : 0;

    /// <summary>The seed to use where a test would use <paramref name="seed"/>.</summary>
    public static int Of(int seed) => seed + Offset;
}
