using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>Loads every champion from the registry state before the bus starts taking requests.</summary>
public sealed partial class ChampionLoader(IModelRegistryStore registry, ModelSwapper swapper, ILogger<ChampionLoader> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var champion in await registry.GetChampionsAsync(cancellationToken))
        {
            try
            {
                await swapper.SwapAsync(champion.ModelName, champion.Version, champion.Artifact, cancellationToken);
            }
            catch (InvalidMessageException e)
            {
                LogChampionRefused(champion.ModelName, champion.Version, e.Message);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Error, Message = "Champion {ModelName} v{Version} could not be loaded at start: {Error}")]
    partial void LogChampionRefused(string modelName, int version, string error);
}
