using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Workers.Registry;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults("registry");
builder.AddRegistryWorker();
builder.AddNeuralTradeBus();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
