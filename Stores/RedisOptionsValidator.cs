using Microsoft.Extensions.Options;

namespace NeuralTrade.Events.Stores;

[OptionsValidator]
public sealed partial class RedisOptionsValidator : IValidateOptions<RedisOptions>;
