using System.ComponentModel.DataAnnotations;

namespace NeuralTrade.Events.Messaging;

public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    /// <summary>
    /// <c>amqp://user:pass@host:port/vhost</c> or <c>amqps://…</c>. A worker process refuses to start without it, unless
    /// <see cref="Embedded"/> is set; the one-process fleet (Fleet) runs on the in-memory bus without it.
    /// </summary>
    public string? RabbitMqUrl { get; set; }

    /// <summary>
    /// The nodes of a RabbitMQ cluster, <c>host:port</c>, comma-separated (at most 16; host names or IPv4 addresses): the
    /// worker connects to one that answers (the bus tries the URL's own host first) and after losing a node reconnects
    /// to another. The URL still gives the credentials, virtual host and scheme; with amqps:// every node is checked
    /// against the URL host's name, so every node's certificate must carry it. Unset: the URL's host only.
    /// Environment: <c>RABBITMQ_CLUSTER_NODES</c>.
    /// </summary>
    public string? ClusterNodes { get; set; }

    /// <summary>The hosts to connect to, in order: the URL's, then <see cref="ClusterNodes"/> not already named.</summary>
    public IReadOnlyList<(string Host, int Port)> Endpoints()
    {
        var endpoints = new List<(string Host, int Port)>();
        if (UsesRabbitMq && RabbitMqAddress.TryParse(RabbitMqUrl!, out var address, out _))
            endpoints.Add((address!.Host, address.Port));
        foreach (var node in ClusterNodeList())
        {
            if (RabbitMqAddress.TryParseNode(node, endpoints.Count > 0 ? endpoints[0].Port : 5672, out var endpoint, out _)
                && !endpoints.Contains(endpoint))
                endpoints.Add(endpoint);
        }

        return endpoints;
    }

    internal IEnumerable<string> ClusterNodeList() =>
        (ClusterNodes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// Run on MassTransit's in-memory bus when <see cref="RabbitMqUrl"/> is unset: the process talks only to itself, and
    /// nothing published elsewhere reaches it. For trying one worker alone; never implied. Environment: <c>Messaging__Embedded=true</c>.
    /// </summary>
    public bool Embedded { get; set; }

    /// <summary>
    /// PEM file of a private CA that signed the broker's certificate (amqps:// only); unset: the system's trust store.
    /// Environment: <c>RABBITMQ_CA_FILE</c>.
    /// </summary>
    public string? TlsCaFile { get; set; }

    [Range(1, 10_000)]
    public int PrefetchCount { get; set; } = 64;

    /// <summary>
    /// Delays in milliseconds between attempts of a consumer that failed for a reason other than bad input,
    /// comma-separated; empty for no retry. (A string, not an array: the configuration binder appends to a
    /// non-empty default array instead of replacing it.)
    /// </summary>
    public string RetryIntervalsMs { get; set; } = "200,1000,5000";

    public int[] RetryIntervals() =>
        RetryIntervalsMs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();

    [Range(1, 3_600)]
    public int StopTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How long a message whose handling failed because Redis is down (connection or timeout) keeps being retried,
    /// with exponential backoff (1 s doubling to 30 s), before it is dead-lettered; 0 treats an outage like any failure.
    /// </summary>
    [Range(0, 86_400)]
    public int OutageRetrySeconds { get; set; } = 300;

    /// <summary>
    /// A message whose handling was started this many times without finishing (its worker crashed, was killed or lost
    /// the broker each time) is moved to <c>&lt;queue&gt;_error</c> with that reason instead of being handled again.
    /// Counted in the worker's store per message, from the second delivery on; messages that merely waited in a
    /// crashed worker's prefetch are not counted.
    /// </summary>
    [Range(1, 100)]
    public int PoisonAttempts { get; set; } = 3;

    /// <summary>
    /// The broker's own bound (<c>x-delivery-limit</c> of every quorum work queue): after this many returns a message is
    /// dead-lettered to <c>&lt;queue&gt;_error</c> by RabbitMQ itself (header <c>x-death</c>, reason <c>delivery_limit</c>).
    /// The backstop for what never reaches the worker's count, such as a body that crashes the process while it is
    /// read. Part of each queue's declaration: changing it on a deployed broker means re-creating the queues.
    /// </summary>
    [Range(2, 1_000)]
    public int DeliveryLimit { get; set; } = 20;

    /// <summary>
    /// Letters in a dead-letter queue at which the worker logs an error (and keeps reporting the depth as the gauge
    /// <c>neuraltrade.dead_letters</c>): an alarm well before the broker's 1 GiB cap makes the queue refuse letters.
    /// </summary>
    [Range(1, 100_000_000)]
    public int DeadLetterAlarm { get; set; } = 1_000;

    /// <summary>How often the dead-letter queues of this process's work queues are checked.</summary>
    [Range(1, 3_600)]
    public int DeadLetterCheckSeconds { get; set; } = 30;

    public bool UsesRabbitMq => !string.IsNullOrWhiteSpace(RabbitMqUrl);
}
