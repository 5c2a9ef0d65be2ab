using System.Text.Json;
using System.Threading.Channels;
using NeuralTrade.Events.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace NeuralTrade.Events.Client;

/// <summary>
/// The predictions of the series a <see cref="SeriesFilter"/> lets through, on a queue of this client's own
/// (<c>trading-…</c>, exclusive, deleted when the subscription or the connection ends). Made by
/// <see cref="NeuralTradeClient.SubscribeAsync(SeriesFilter, Func{PredictionCompleted, CancellationToken, ValueTask}, CancellationToken)"/>,
/// which calls a handler for each, or by <see cref="NeuralTradeClient.SubscribeAsync(SeriesFilter, CancellationToken)"/>,
/// whose subscription is enumerated with <c>await foreach</c>. Dispose it to unsubscribe.
/// </summary>
public sealed class PredictionSubscription : IAsyncEnumerable<PredictionCompleted>, IAsyncDisposable
{
    readonly IChannel _channel;
    readonly Func<PredictionCompleted, CancellationToken, ValueTask>? _handler;
    readonly Channel<PredictionCompleted>? _buffer;
    readonly ClientContext _context;
    readonly CancellationTokenSource _stopping = new();
    readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _enumerated;
    int _disposed;
    long _received;
    long _refused;

    internal PredictionSubscription(IChannel channel, string queue, SeriesFilter filter,
        Func<PredictionCompleted, CancellationToken, ValueTask>? handler, ClientContext context)
    {
        _channel = channel;
        QueueName = queue;
        Filter = filter;
        _handler = handler;
        _context = context;
        if (handler is null)
        {
            // As many as the broker sends ahead: a reader that falls behind holds up the broker, not this process's memory.
            _buffer = Channel.CreateBounded<PredictionCompleted>(new BoundedChannelOptions(context.Options.PrefetchCount)
            {
                FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = true,
            });
        }

        _channel.ChannelShutdownAsync += OnChannelShutdownAsync;
    }

    /// <summary>The subscription's queue on the broker.</summary>
    public string QueueName { get; }

    /// <summary>The series this subscription receives.</summary>
    public SeriesFilter Filter { get; }

    /// <summary>Predictions handed to the handler or the reader so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Messages dropped so far (too large, unreadable, of another series), each also reported through <see cref="NeuralTradeClientOptions.OnRefusedMessage"/> and the log.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>
    /// Completes when the subscription is disposed; faults with the handler's exception when the handler threw (the
    /// subscription stops there), or with the broker's reason when it cancelled the subscription.
    /// </summary>
    public Task Completion => _completion.Task;

    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        var consumer = new Consumer(this);
        await _channel.BasicConsumeAsync(QueueName, autoAck: false, consumerTag: "", noLocal: false, exclusive: true, arguments: null,
            consumer, cancellationToken);
    }

    /// <summary>Reads the predictions as they arrive (a subscription made without a handler); one reader at a time.</summary>
    public IAsyncEnumerator<PredictionCompleted> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (_buffer is null)
            throw new InvalidOperationException("this subscription hands its predictions to its handler; subscribe without a handler to enumerate them.");
        if (Interlocked.Exchange(ref _enumerated, 1) == 1)
            throw new InvalidOperationException("this subscription is already being enumerated; each prediction goes to one reader.");
        return _buffer.Reader.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    async Task OnDeliveryAsync(ulong deliveryTag, string exchange, ReadOnlyMemory<byte> body)
    {
        if (_stopping.IsCancellationRequested)
            return;
        var prediction = Read(exchange, body.Span);
        if (prediction is null)
        {
            await _channel.BasicAckAsync(deliveryTag, multiple: false);
            return;
        }

        try
        {
            if (_handler is not null)
                await _handler(prediction, _stopping.Token);
            else
                await _buffer!.Writer.WriteAsync(prediction, _stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return; // unsubscribing: the queue goes with the subscription
        }
        catch (Exception e)
        {
            Log.SubscriptionHandlerFailed(_context.Logger, e, QueueName, Filter.ToString());
            Stop(e);
            return;
        }

        Interlocked.Increment(ref _received);
        await _channel.BasicAckAsync(deliveryTag, multiple: false);
    }

    /// <summary>The prediction in a body, or null (reported) for one too large, unreadable, or of a series not subscribed.</summary>
    PredictionCompleted? Read(string exchange, ReadOnlySpan<byte> body)
    {
        if (body.Length > _context.Options.MaxMessageBytes)
            return Refuse(exchange, body.Length, $"the body is {body.Length} bytes, above the limit of {_context.Options.MaxMessageBytes} (NeuralTradeClientOptions.MaxMessageBytes).");
        PredictionCompleted? prediction;
        try
        {
            prediction = JsonSerializer.Deserialize<PredictionCompleted>(body, ContractJson.Options);
        }
        catch (JsonException e)
        {
            return Refuse(exchange, body.Length, $"the body is not a prediction.completed of the contract: {e.Message}");
        }

        if (prediction is null)
            return Refuse(exchange, body.Length, "the body is null.");
        if (!Filter.Matches(prediction.Exchange, prediction.Symbol, prediction.Interval))
            return Refuse(exchange, body.Length, $"its series {prediction.Exchange}:{prediction.Symbol}:{prediction.Interval} is not one of {Filter}.");
        return prediction;
    }

    PredictionCompleted? Refuse(string exchange, long bytes, string reason)
    {
        Interlocked.Increment(ref _refused);
        _context.Refuse(new RefusedMessage(exchange, QueueName, bytes, reason));
        return null;
    }

    Task OnChannelShutdownAsync(object sender, ShutdownEventArgs e)
    {
        // A lost connection closes every channel: automatic recovery re-opens this one, re-declares the queue, the
        // binding and the consumer. Only a channel the broker closed on a live connection ends the subscription.
        if (Volatile.Read(ref _disposed) == 0 && e.Initiator == ShutdownInitiator.Peer && _context.ConnectionIsOpen)
            Stop(new NeuralTradeClientException($"the broker closed subscription {QueueName}'s channel: {e.ReplyCode} {e.ReplyText}"));
        return Task.CompletedTask;
    }

    void OnBrokerCancelled()
    {
        if (Volatile.Read(ref _disposed) == 0)
            Stop(new NeuralTradeClientException($"the broker cancelled subscription {QueueName} (its queue was deleted?); subscribe again."));
    }

    /// <summary>Ends the subscription with <paramref name="error"/> and lets the broker delete its queue.</summary>
    void Stop(Exception error)
    {
        _buffer?.Writer.TryComplete(error);
        _completion.TrySetException(error);
        // Not from inside the channel's own dispatch, which closing waits for: from the thread pool.
        _ = Task.Run(async () => await DisposeAsync());
    }

    /// <summary>Unsubscribes: the consumer is cancelled and the broker deletes the queue.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _context.Forget(this);
        await _stopping.CancelAsync();
        _buffer?.Writer.TryComplete();
        _channel.ChannelShutdownAsync -= OnChannelShutdownAsync;
        try
        {
            await _channel.CloseAsync();
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.OperationInterruptedException
                                      or ObjectDisposedException or IOException or TimeoutException or OperationCanceledException)
        {
            // Already gone with its connection: so is the exclusive queue.
        }

        await _channel.DisposeAsync();
        _completion.TrySetResult();
    }

    sealed class Consumer(PredictionSubscription subscription) : AsyncDefaultBasicConsumer(subscription._channel)
    {
        public override Task HandleBasicDeliverAsync(string consumerTag, ulong deliveryTag, bool redelivered, string exchange, string routingKey,
            IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
            subscription.OnDeliveryAsync(deliveryTag, exchange, body);

        public override async Task HandleBasicCancelAsync(string consumerTag, CancellationToken cancellationToken = default)
        {
            await base.HandleBasicCancelAsync(consumerTag, cancellationToken);
            subscription.OnBrokerCancelled();
        }
    }
}
