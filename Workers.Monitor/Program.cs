using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Workers.Monitor;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults("monitor");
builder.AddMonitorWorker();
builder.AddNeuralTradeBus();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
