using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Workers.Ingest;

return await WorkerProgram.RunAsync(args, "ingest", builder => builder.AddIngestWorker());
