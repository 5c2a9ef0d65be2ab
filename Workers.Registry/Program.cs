using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Workers.Registry;

return await WorkerProgram.RunAsync(args, "registry", builder => builder.AddRegistryWorker());
