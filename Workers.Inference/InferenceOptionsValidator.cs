using Microsoft.Extensions.Options;

namespace NeuralTrade.Events.Workers.Inference;

[OptionsValidator]
public sealed partial class InferenceOptionsValidator : IValidateOptions<InferenceOptions>;
