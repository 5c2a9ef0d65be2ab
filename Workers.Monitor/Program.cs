using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Workers.Monitor;

return await WorkerProgram.RunAsync(args, "monitor", builder => builder.AddMonitorWorker());
