namespace NeuralTrade.Events.Testing;

/// <summary>NUnit categories that scripts select by (<c>--filter TestCategory=…</c>).</summary>
public static class TestCategories
{
    /// <summary>
    /// Tests whose outcome rests on a trained model's floats: learning, gating, serving trained models, the whole loop.
    /// <c>deploy/test.sh</c> runs them a second time under another CPU dispatch setting (docs/testing.md, "Numerics").
    /// </summary>
    public const string Numerics = "Numerics";

    /// <summary>
    /// A numerically sensitive test left out of the second CPU dispatch pass (deploy/test.sh) to keep CI within its
    /// budget: its assertions hold for any floats by construction, and the parts it trains are covered under the
    /// second dispatch by smaller tests.
    /// </summary>
    public const string FirstDispatchOnly = "FirstDispatchOnly";
}
