using MassTransit;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Messaging;

/// <summary>Names a contract's exchange as the wire contract does (<c>data.ingested</c>); other types keep MassTransit's names.</summary>
internal sealed class ContractEntityNameFormatter(IEntityNameFormatter inner) : IEntityNameFormatter
{
    public string FormatEntityName<T>() => Exchanges.NameOf(typeof(T)) ?? inner.FormatEntityName<T>();
}
