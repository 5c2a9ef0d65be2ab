using Microsoft.Extensions.Options;

namespace NeuralTrade.Events.Workers.Ingest;

[OptionsValidator]
public sealed partial class IngestOptionsValidator : IValidateOptions<IngestOptions>;
