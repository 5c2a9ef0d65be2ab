using Microsoft.Extensions.Options;

namespace NeuralTrade.Events.Workers.Training;

[OptionsValidator]
public sealed partial class TrainingOptionsValidator : IValidateOptions<TrainingOptions>;
