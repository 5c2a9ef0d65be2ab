using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Workers.Training;

return await WorkerProgram.RunAsync(args, "training", builder =>
{
    builder.AddTrainingWorker();
    // A job is handed back (and retried elsewhere) when the worker stops; give it time to do so.
    builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
});
