using Microsoft.Extensions.Options;

namespace NeuralTrade.Events.Workers.Monitor;

[OptionsValidator]
public sealed partial class MonitorOptionsValidator : IValidateOptions<MonitorOptions>;
