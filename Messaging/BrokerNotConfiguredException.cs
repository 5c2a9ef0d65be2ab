namespace NeuralTrade.Events.Messaging;

/// <summary>A worker process was started with no broker and without asking for the in-memory bus.</summary>
public sealed class BrokerNotConfiguredException() : InvalidOperationException(
    "RABBITMQ_URL is not set, so this worker would reach no other: set RABBITMQ_URL=amqp://USER:PASSWORD@HOST:5672/ " +
    "(or Messaging__RabbitMqUrl), or Messaging__Embedded=true to run it alone on an in-memory bus.");
