using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Workers.Ingest;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults("ingest");
builder.AddIngestWorker();
builder.AddNeuralTradeBus();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
