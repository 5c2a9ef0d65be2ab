using System.Globalization;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using static TorchSharp.torch;

// A fixed recipe, independent of the test fixtures' (a change to those must not move the golden figures).
var recipe = new Hyperparameters
{
    WindowSize = 16, HiddenSize = 8, NumLayers = 1, Dropout = 0.1, Epochs = 2, BatchSize = 32, LearningRate = 3e-3, Patience = 10,
    Seed = 3, MinSamples = 100, Horizon = 5, FixedThreshold = 0.006, VolatilityScale = 0,
};

set_num_threads(1);
var data = SignalDataset.Build(PlantedMarket.Generate(700, seed: 11), recipe.WindowSize, recipe.Labels);
var split = data.Split(recipe.TrainFraction, recipe.ValidationFraction);
using var trained = SignalTrainer.Train(data, split, recipe, CPU);
foreach (var (epoch, h) in trained.History.Select((h, i) => (i + 1, h)))
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch} train {h.TrainLoss:R} validation {h.ValidationLoss:R}"));
