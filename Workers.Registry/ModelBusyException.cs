namespace NeuralTrade.Events.Workers.Registry;

/// <summary>The model's decision lock could not be had in time: the message goes back for a later retry.</summary>
public sealed class ModelBusyException(string message) : Exception(message);
