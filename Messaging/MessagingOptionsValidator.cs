using Microsoft.Extensions.Options;

namespace NeuralTrade.Events.Messaging;

[OptionsValidator]
public sealed partial class MessagingOptionsValidator : IValidateOptions<MessagingOptions>;
