using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Workers.Inference;

return await WorkerProgram.RunAsync(args, "inference", builder => builder.AddInferenceWorker());
