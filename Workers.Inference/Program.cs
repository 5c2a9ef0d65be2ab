using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Workers.Inference;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults("inference");
builder.AddInferenceWorker();
builder.AddNeuralTradeBus();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
