using NeuralTrade.Events.Hosting;

// The registry worker's host: configuration, telemetry, health and the bus, with no consumers yet.
// Its consumers arrive with their issue; until then it starts, reports ready, and stops cleanly.
var builder = WebApplication.CreateSlimBuilder(args);
builder.AddServiceDefaults("registry");
builder.AddNeuralTradeBus();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
