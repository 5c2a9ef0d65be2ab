using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Monitor;

[OptionsValidator]
public sealed partial class MonitorOptionsValidator : IValidateOptions<MonitorOptions>;
