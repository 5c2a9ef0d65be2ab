namespace NeuralTrade.Events.Testing;

/// <summary>NUnit categories that scripts select by (<c>--filter TestCategory=…</c>).</summary>
public static class TestCategories
{
    /// <summary>
    /// Tests whose outcome rests on a trained model's floats: learning, gating, serving trained models, the whole loop.
    /// <c>deploy/test.sh</c> runs them a second time under another CPU dispatch setting (docs/testing.md, "Numerics").
    /// </summary>
    public const string Numerics = "Numerics";
}
