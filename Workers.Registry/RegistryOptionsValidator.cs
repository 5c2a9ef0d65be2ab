using Microsoft.Extensions.Options;

namespace NeuralTrade.Events.Workers.Registry;

[OptionsValidator]
public sealed partial class RegistryOptionsValidator : IValidateOptions<RegistryOptions>;
