using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Testing;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// A worker's own process wiring (service defaults, the worker's registration, the bus) on MassTransit's
/// in-memory test harness, one host per test: the base of the worker unit-test fixtures.
/// Each test gets a scratch directory (<see cref="Scratch"/>, also the worker's <c>Tracking:LocalDirectory</c>)
/// and fast retries; after the test the host is stopped, then the in-process MLflow server (if the test started
/// one, see <see cref="StartMlflowAsync"/>) is disposed, and the directory deleted.
/// </summary>
public abstract class WorkerHarnessFixture
{
    IHost? _host;
    FakeMlflowServer? _mlflow;
    ITestHarness? _harness;

    /// <summary>The service name for telemetry, e.g. <c>"inference-tests"</c>.</summary>
    protected abstract string ServiceName { get; }

    /// <summary>Registers the worker under test, as its Program.cs does.</summary>
    protected abstract void AddWorker(IHostApplicationBuilder builder);

    protected string Scratch { get; private set; } = "";

    protected IHost Host => _host ?? throw new InvalidOperationException("build the host first");

    protected ITestHarness Harness => _harness ?? throw new InvalidOperationException("build the host first");

    protected IServiceProvider Services => Host.Services;

    protected T Get<T>() where T : notnull => Host.Services.GetRequiredService<T>();

    [SetUp]
    public void CreateScratch() =>
        Scratch = Path.Combine(Path.GetTempPath(), $"nt-{ServiceName}-{Guid.NewGuid().ToString("N")[..8]}");

    [TearDown]
    public async Task StopHostAndCleanUp()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
            _host = null;
            _harness = null;
        }

        if (_mlflow is not null)
        {
            await _mlflow.DisposeAsync();
            _mlflow = null;
        }

        if (Directory.Exists(Scratch))
            Directory.Delete(Scratch, recursive: true);
    }

    /// <summary>The in-process MLflow server of this test; see <see cref="StartMlflowAsync"/>.</summary>
    protected FakeMlflowServer Mlflow => _mlflow ?? throw new InvalidOperationException("start MLflow first");

    /// <summary>Starts an in-process MLflow server for this test; it outlives the host, which may call it while stopping.</summary>
    protected async Task StartMlflowAsync() => _mlflow ??= await FakeMlflowServer.StartAsync();

    /// <summary>
    /// Builds (does not start) the worker's host. Settings apply in order: the fixture's defaults, then
    /// <paramref name="settings"/> (a later duplicate key wins); <paramref name="services"/> runs before the worker registers, so a test's
    /// singletons (an in-memory store that outlives a host, a fixed clock) take precedence over the worker's TryAdd.
    /// </summary>
    protected IHost Build(
        IEnumerable<KeyValuePair<string, string?>>? settings = null,
        Action<IServiceCollection>? services = null,
        TimeSpan? timeout = null,
        TimeSpan? inactivity = null)
    {
        if (_host is not null)
            throw new InvalidOperationException("one host per test");
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tracking:LocalDirectory"] = Scratch,
            ["Messaging:RetryIntervalsMs"] = "10",
        });
        if (settings is not null) // later keys win, as with configuration sources
            builder.Configuration.AddInMemoryCollection(settings.GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Last().Value));
        services?.Invoke(builder.Services);
        builder.AddServiceDefaults(ServiceName);
        AddWorker(builder);
        builder.AddNeuralTradeBus(useTestHarness: true);
        _host = builder.Build();
        _harness = _host.Services.GetTestHarness();
        _harness.TestTimeout = timeout ?? TimeSpan.FromSeconds(30);
        _harness.TestInactivityTimeout = inactivity ?? TimeSpan.FromSeconds(10);
        return _host;
    }
}
