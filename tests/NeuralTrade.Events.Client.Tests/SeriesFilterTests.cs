using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Client.Tests;

/// <summary>A subscription's filter becomes the arguments of its binding to the per-series headers exchange.</summary>
public sealed class SeriesFilterTests
{
    [Test]
    public void One_series_binds_on_all_three_headers()
    {
        var arguments = SeriesFilter.For(new Series("binance", "BTC/USDT", "1m")).ToBindingArguments();

        Assert.That(arguments, Is.EquivalentTo(new Dictionary<string, object?>
        {
            ["x-match"] = "all", ["exchange"] = "binance", ["symbol"] = "BTC/USDT", ["interval"] = "1m",
        }));
    }

    [Test]
    public void An_open_member_is_omitted_so_that_it_matches_anything()
    {
        Assert.That(new SeriesFilter(Symbol: "BTC/USDT").ToBindingArguments(),
            Is.EquivalentTo(new Dictionary<string, object?> { ["x-match"] = "all", ["symbol"] = "BTC/USDT" }));
        Assert.That(new SeriesFilter("binance", Interval: "1h").ToBindingArguments(),
            Is.EquivalentTo(new Dictionary<string, object?> { ["x-match"] = "all", ["exchange"] = "binance", ["interval"] = "1h" }));
        Assert.That(SeriesFilter.All.ToBindingArguments(), Is.EquivalentTo(new Dictionary<string, object?> { ["x-match"] = "all" }));
    }

    [Test]
    public void The_binding_uses_the_header_names_the_fleet_sets()
    {
        var arguments = SeriesFilter.For("binance", "BTC/USDT", "1m").ToBindingArguments();

        Assert.That(arguments.Keys.Where(k => k != "x-match"),
            Is.EquivalentTo(new[] { Exchanges.SeriesHeaders.Exchange, Exchanges.SeriesHeaders.Symbol, Exchanges.SeriesHeaders.Interval }));
        Assert.That(Exchanges.BySeries[Exchanges.PredictionCompleted], Is.EqualTo("prediction.completed.by-series"));
    }

    [Test]
    public void Matches_holds_for_set_members_exactly_and_open_ones_always()
    {
        var filter = new SeriesFilter("binance", Interval: "1m");

        Assert.That(filter.Matches("binance", "ETH/USDT", "1m"), Is.True);
        Assert.That(filter.Matches("binance", "BTC/USDT", "5m"), Is.False);
        Assert.That(filter.Matches("Binance", "BTC/USDT", "1m"), Is.False, "series names are case-sensitive, as the broker compares headers");
        Assert.That(SeriesFilter.All.Matches("x", "Y", "1d"), Is.True);
    }

    [TestCase("", null, null, "exchange ''")]
    [TestCase("Binance", null, null, "exchange 'Binance'")]
    [TestCase(null, "btc/usdt", null, "symbol 'btc/usdt'")]
    [TestCase(null, null, "1w", "interval '1w' is not one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d")]
    public void A_filter_no_series_can_match_is_refused_with_the_member_named(string? exchange, string? symbol, string? interval, string named)
    {
        var filter = new SeriesFilter(exchange, symbol, interval);

        var e = Assert.Throws<ArgumentException>(() => filter.Validate("filter"));

        Assert.That(e!.Message, Does.Contain("matches no series").And.Contain(named));
    }

    [Test]
    public void A_series_must_name_every_part()
    {
        Assert.DoesNotThrow(() => new Series("binance", "BTC/USDT", "1m").Validate("series"));
        var e = Assert.Throws<ArgumentException>(() => new Series("binance", null!, "1m").Validate("series"));
        Assert.That(e!.Message, Does.Contain("symbol ''"));
    }

    [Test]
    public void Filters_and_series_print_as_the_fleet_writes_series() =>
        Assert.That((new SeriesFilter(Symbol: "BTC/USDT").ToString(), new Series("binance", "BTC/USDT", "1m").ToString()),
            Is.EqualTo(("*:BTC/USDT:*", "binance:BTC/USDT:1m")));
}
