using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Workers.Training;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults("training");
builder.AddTrainingWorker();
builder.AddNeuralTradeBus();
// A job is handed back (and retried elsewhere) when the worker stops; give it time to do so.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
