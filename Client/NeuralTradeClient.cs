using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NeuralTrade.Events.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace NeuralTrade.Events.Client;

/// <summary>
/// A client of the NeuralTrade.Events fleet over plain RabbitMQ and the public JSON contract, as a market-data feed or a
/// trading service: <see cref="PublishCandlesAsync"/> (as the <c>feed</c> user), <c>PredictAsync</c> and
/// <see cref="SubscribeAsync(SeriesFilter, CancellationToken)"/> (as the <c>trading</c> user). One connection, safe for
/// concurrent calls; connect with <see cref="ConnectAsync"/> and dispose when done.
/// </summary>
public sealed class NeuralTradeClient : IAsyncDisposable
{
    const string ContentType = "application/json";

    readonly NeuralTradeClientOptions _options;
    readonly BrokerAddress _address;
    readonly IConnection _connection;
    readonly ClientContext _context;
    readonly PendingPredictions _pending = new();
    readonly RejectionTracker? _rejections;
    readonly SemaphoreSlim _publishGate = new(1, 1);
    readonly SemaphoreSlim _answersGate = new(1, 1);
    readonly SemaphoreSlim _rejectionsGate = new(1, 1);
    readonly CancellationTokenSource _disposing = new();
    IChannel? _publishChannel;
    IChannel? _answersChannel;
    IChannel? _rejectionsChannel;
    long _subscriptionNumber;
    int _disposed;

    NeuralTradeClient(NeuralTradeClientOptions options, BrokerAddress address, IConnection connection, string clientName, ILogger logger)
    {
        _options = options;
        _address = address;
        _connection = connection;
        ClientName = clientName;
        _context = new ClientContext(options, logger, connection);
        if (options.TrackRejections)
            _rejections = new RejectionTracker(options.RejectionRetention, TimeProvider.System);
        connection.ConnectionShutdownAsync += OnConnectionShutdownAsync;
        connection.RecoverySucceededAsync += OnRecoverySucceededAsync;
        connection.ConnectionRecoveryErrorAsync += OnRecoveryErrorAsync;
    }

    /// <summary>This client's name: its connection's name and part of its queues' names.</summary>
    public string ClientName { get; }

    /// <summary>The broker, as <c>amqp://user@host:port/vhost</c> (no password).</summary>
    public string Broker => _address.ToString();

    /// <summary>True while the connection is up (false while automatic recovery reconnects).</summary>
    public bool IsConnected => _connection.IsOpen;

    /// <summary>Prediction requests waiting for their answer now.</summary>
    public int PendingPredictions => _pending.Count;

    /// <summary>
    /// Opens the connection. Fails with a <see cref="NeuralTradeClientException"/> that says why (unreachable, login
    /// refused, TLS handshake failed) and names the broker without its password.
    /// </summary>
    public static async Task<NeuralTradeClient> ConnectAsync(NeuralTradeClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        BrokerAddress.TryParse(options.Url, out var address, out _);
        var clientName = options.ClientName ?? QueueNames.RandomClientName();
        var logger = options.LoggerFactory?.CreateLogger<NeuralTradeClient>() ?? (ILogger)NullLogger.Instance;
        var factory = address!.CreateFactory(options, $"neuraltrade-client-{clientName}");
        IConnection connection;
        try
        {
            connection = await factory.CreateConnectionAsync(cancellationToken);
        }
        catch (BrokerUnreachableException e) when (e.InnerException is AuthenticationFailureException or PossibleAuthenticationFailureException)
        {
            throw new NeuralTradeClientException($"RabbitMQ at {address} refused the login of '{address.UserName}' ({e.InnerException.Message})", e);
        }
        catch (BrokerUnreachableException e) when (e.GetBaseException() is System.Security.Authentication.AuthenticationException tls)
        {
            throw new NeuralTradeClientException($"RabbitMQ at {address}: the TLS handshake failed ({tls.Message}); if a private CA signed the " +
                "broker's certificate, set NeuralTradeClientOptions.TlsCaFile", e);
        }
        catch (BrokerUnreachableException e)
        {
            throw new NeuralTradeClientException($"cannot reach RabbitMQ at {address} ({e.GetBaseException().Message})", e);
        }

        Log.Connected(logger, address.ToString(), clientName);
        return new NeuralTradeClient(options, address, connection, clientName, logger);
    }

    /// <summary>
    /// Publishes one <c>market.candles</c> message (as the <c>feed</c> user) and returns once the broker has confirmed it:
    /// persistent, <c>mandatory</c> (a message that reaches no queue throws <see cref="UnroutableMessageException"/>),
    /// <c>content_type: application/json</c>, <c>message_id</c> = the batch id, <c>user_id</c> = the login.
    /// </summary>
    /// <param name="candles">1 to 10,000 closed candles, any mix of series (<see cref="NeuralTradeClientOptions.MaxCandlesPerMessage"/>).</param>
    /// <param name="source">Free-form name of the feed, for audit; carried into <c>data.rejected</c>.</param>
    /// <param name="batchId">
    /// The batch's id; new when null. To re-send a batch whose publish failed or timed out, pass the same id with the same
    /// candles and source: the body is then byte-identical and Ingest stores and announces it once.
    /// </param>
    /// <param name="cancellationToken">Stops waiting; the broker may or may not hold the message then (re-send with the same id).</param>
    /// <returns>The batch id and size, and a way to hear what Ingest refused (<see cref="CandleBatchReceipt.WaitForRejectionAsync"/>).</returns>
    /// <exception cref="CandleValidationException">The batch breaks the contract's limits or rules (<see cref="NeuralTradeClientOptions.CandleChecks"/>); nothing was sent.</exception>
    /// <exception cref="UnroutableMessageException">No queue is bound to <c>market.candles</c>.</exception>
    /// <exception cref="TimeoutException">The broker did not confirm within <see cref="NeuralTradeClientOptions.PublishTimeout"/>.</exception>
    public async Task<CandleBatchReceipt> PublishCandlesAsync(IReadOnlyList<Candle> candles, string? source = null, Guid? batchId = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var id = batchId ?? Guid.NewGuid();
        var body = CandleBatches.Prepare(candles, source, id, _options);
        if (_rejections is not null)
        {
            // Bound before publishing, or Ingest's answer could pass by.
            await EnsureRejectionsQueueAsync(cancellationToken);
            _rejections.Track(id);
        }

        await PublishAsync(Exchanges.MarketCandles, body, Properties(id, id), cancellationToken);
        return new CandleBatchReceipt(id, candles.Count, body.Length, _rejections);
    }

    /// <summary>
    /// Asks for a signal (as the <c>trading</c> user) and waits for its answer: publishes <c>prediction.requested</c> with a
    /// new <c>requestId</c> after this client's answers queue is bound to <c>prediction.completed</c> and
    /// <c>prediction.failed</c>, and returns the <c>prediction.completed</c> that carries that id. Any number of calls may
    /// wait at once; they share one queue.
    /// </summary>
    /// <param name="series">The series to predict.</param>
    /// <param name="candles">The window to score (at least the model's window + warm-up + 200 candles of history, 293 for the defaults; at most <see cref="NeuralTradeClientOptions.MaxRequestCandles"/>), all of <paramref name="series"/>, ascending; null: the newest stored window.</param>
    /// <param name="timeout">How long to wait for the answer, publishing included; null: <see cref="NeuralTradeClientOptions.PredictionTimeout"/>.</param>
    /// <param name="cancellationToken">Stops waiting (<see cref="OperationCanceledException"/>).</param>
    /// <exception cref="PredictionFailedException">Inference answered <c>prediction.failed</c> (its code and error).</exception>
    /// <exception cref="PredictionTimeoutException">No answer within the timeout.</exception>
    /// <exception cref="NeuralTradeClientException">The connection was lost while waiting (ask again), or the broker refused the request.</exception>
    public Task<PredictionCompleted> PredictAsync(Series series, IReadOnlyList<Candle>? candles = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        series.Validate(nameof(series));
        CandleBatches.ValidateRequest(series, candles, _options);
        return RequestAsync(series, candles, null, timeout, cancellationToken);
    }

    /// <summary>
    /// Asks for the signal of a stored window, by reference: the window of <paramref name="series"/> whose newest candle
    /// opens at <paramref name="asOf"/>, read by Inference from the store (a few hundred bytes on the wire instead of the
    /// window). Otherwise as <see cref="PredictAsync(Series, IReadOnlyList{Candle}?, TimeSpan?, CancellationToken)"/>.
    /// </summary>
    /// <param name="series">The series to predict.</param>
    /// <param name="asOf">openTime of the window's newest candle; Inference answers <c>not_enough_data</c> when no candle is stored then.</param>
    /// <param name="timeout">How long to wait for the answer, publishing included; null: <see cref="NeuralTradeClientOptions.PredictionTimeout"/>.</param>
    /// <param name="cancellationToken">Stops waiting (<see cref="OperationCanceledException"/>).</param>
    /// <exception cref="PredictionFailedException">Inference answered <c>prediction.failed</c> (its code and error).</exception>
    /// <exception cref="PredictionTimeoutException">No answer within the timeout.</exception>
    /// <exception cref="NeuralTradeClientException">The connection was lost while waiting (ask again), or the broker refused the request.</exception>
    public Task<PredictionCompleted> PredictAsync(Series series, DateTimeOffset asOf, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        series.Validate(nameof(series));
        return RequestAsync(series, null, asOf, timeout, cancellationToken);
    }

    async Task<PredictionCompleted> RequestAsync(Series series, IReadOnlyList<Candle>? candles, DateTimeOffset? asOf, TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        var wait = timeout ?? _options.PredictionTimeout;
        if (wait <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "the timeout must be positive.");

        var requestId = Guid.NewGuid();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        deadline.CancelAfter(wait);
        try
        {
            await EnsureAnswersQueueAsync(deadline.Token);
            var answer = _pending.Register(requestId);
            var request = new PredictionRequested
            {
                EventId = requestId, CorrelationId = requestId, RequestId = requestId,
                Exchange = series.Exchange, Symbol = series.Symbol, Interval = series.Interval, Candles = candles, AsOf = asOf,
            };
            var body = JsonSerializer.SerializeToUtf8Bytes(request, ContractJson.Options);
            await PublishAsync(Exchanges.PredictionRequested, body, Properties(requestId, requestId), deadline.Token);
            return await answer.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(NeuralTradeClient), $"the client was disposed while request {requestId} waited for its answer.");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new PredictionTimeoutException(requestId, series, wait);
        }
        finally
        {
            _pending.Forget(requestId);
        }
    }

    /// <summary>
    /// Subscribes to the predictions of the series <paramref name="filter"/> lets through and calls
    /// <paramref name="handler"/> for each, one at a time, in the order they arrive. The queue is bound before this
    /// returns: every prediction published from then on is delivered (at most once, see README.md). A handler that
    /// throws ends the subscription (<see cref="PredictionSubscription.Completion"/> faults with its exception).
    /// </summary>
    /// <exception cref="ArgumentException">The filter names no possible series (a lower-case symbol, an unknown interval).</exception>
    /// <exception cref="NeuralTradeClientException">The broker has no per-series exchange, or refused this user.</exception>
    public Task<PredictionSubscription> SubscribeAsync(SeriesFilter filter, Func<PredictionCompleted, CancellationToken, ValueTask> handler,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return StartSubscriptionAsync(filter, handler, cancellationToken);
    }

    /// <summary>
    /// Subscribes to the predictions of the series <paramref name="filter"/> lets through; read them with
    /// <c>await foreach (var p in subscription)</c>. The queue is bound before this returns. The broker sends up to
    /// <see cref="NeuralTradeClientOptions.PrefetchCount"/> ahead; a slow reader leaves the rest queued on the broker.
    /// </summary>
    /// <exception cref="ArgumentException">The filter names no possible series.</exception>
    /// <exception cref="NeuralTradeClientException">The broker has no per-series exchange, or refused this user.</exception>
    public Task<PredictionSubscription> SubscribeAsync(SeriesFilter filter, CancellationToken cancellationToken = default) =>
        StartSubscriptionAsync(filter, null, cancellationToken);

    async Task<PredictionSubscription> StartSubscriptionAsync(SeriesFilter filter, Func<PredictionCompleted, CancellationToken, ValueTask>? handler,
        CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(filter);
        filter.Validate(nameof(filter));
        var queue = QueueNames.Subscription(ClientName, Interlocked.Increment(ref _subscriptionNumber));
        var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await channel.BasicQosAsync(0, _options.PrefetchCount, global: false, cancellationToken);
            await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true, arguments: null, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(queue, Exchanges.PredictionCompletedBySeries, "", filter.ToBindingArguments(), cancellationToken: cancellationToken);
            var subscription = new PredictionSubscription(channel, queue, filter, handler, _context);
            await subscription.StartAsync(cancellationToken);
            _context.Track(subscription);
            Log.Subscribed(_context.Logger, queue, Exchanges.PredictionCompletedBySeries, filter.ToString());
            return subscription;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            await channel.DisposeAsync();
            throw new NeuralTradeClientException($"RabbitMQ at {_address} has no exchange '{Exchanges.PredictionCompletedBySeries}' " +
                $"({e.ShutdownReason.ReplyText}): load the fleet's current broker definitions (deploy/rabbitmq), which declare it", e);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 403)
        {
            await channel.DisposeAsync();
            throw Refused($"subscribe queue '{queue}' to '{Exchanges.PredictionCompletedBySeries}'", e, "the trading user");
        }
        catch
        {
            await channel.DisposeAsync();
            throw;
        }
    }

    BasicProperties Properties(Guid messageId, Guid correlationId) => new()
    {
        ContentType = ContentType,
        DeliveryMode = DeliveryModes.Persistent,
        MessageId = messageId.ToString(),
        CorrelationId = correlationId.ToString(),
        // RabbitMQ refuses a user_id other than the login's; Ingest keys a batch by it, so no other feed can shadow ours.
        UserId = _address.UserName,
        Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
    };

    /// <summary>Publishes mandatory on the confirming channel and waits for the broker's confirm.</summary>
    async Task PublishAsync(string exchange, ReadOnlyMemory<byte> body, BasicProperties properties, CancellationToken cancellationToken)
    {
        var channel = await PublishChannelAsync(cancellationToken);
        using var confirm = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        confirm.CancelAfter(_options.PublishTimeout);
        try
        {
            await channel.BasicPublishAsync(exchange, "", mandatory: true, properties, body, confirm.Token);
        }
        catch (PublishReturnException e)
        {
            throw new UnroutableMessageException(exchange, e.ReplyCode, e.ReplyText, e);
        }
        catch (PublishException e)
        {
            throw new NeuralTradeClientException($"RabbitMQ at {_address} did not take the message published to '{exchange}' (it was nacked); publish it again", e);
        }
        catch (OperationCanceledException) when (confirm.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !_disposing.IsCancellationRequested)
        {
            throw new TimeoutException($"RabbitMQ at {_address} did not confirm the message published to '{exchange}' within " +
                $"{_options.PublishTimeout.TotalSeconds:0.###} s; it may or may not hold it: publish it again with the same id");
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 403)
        {
            throw Refused($"publish to '{exchange}'", e, exchange == Exchanges.MarketCandles ? "the feed user" : "the trading user");
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            throw new NeuralTradeClientException($"RabbitMQ at {_address} has no exchange '{exchange}' ({e.ShutdownReason.ReplyText}): " +
                "load the fleet's broker definitions (deploy/rabbitmq), which declare every public exchange", e);
        }
    }

    /// <summary>The channel with publisher confirms; a new one after the broker closed the last (a refused publish closes its channel).</summary>
    async Task<IChannel> PublishChannelAsync(CancellationToken cancellationToken)
    {
        if (_publishChannel is { IsOpen: true } open)
            return open;
        await _publishGate.WaitAsync(cancellationToken);
        try
        {
            if (_publishChannel is { IsOpen: true } opened)
                return opened;
            ThrowIfDisconnected();
            if (_publishChannel is { } closed)
                await closed.DisposeAsync();
            _publishChannel = await _connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            return _publishChannel;
        }
        finally
        {
            _publishGate.Release();
        }
    }

    /// <summary>
    /// This client's one answers queue (<c>trading-NAME-answers</c>, exclusive, auto-delete), bound to
    /// <c>prediction.completed</c> and <c>prediction.failed</c>, with its consumer: declared by the first prediction
    /// request, before it publishes.
    /// </summary>
    async Task EnsureAnswersQueueAsync(CancellationToken cancellationToken)
    {
        if (_answersChannel is { IsOpen: true })
            return;
        await _answersGate.WaitAsync(cancellationToken);
        try
        {
            if (_answersChannel is { IsOpen: true })
                return;
            ThrowIfDisconnected();
            if (_answersChannel is { } closed)
                await closed.DisposeAsync();
            var queue = QueueNames.Answers(ClientName);
            _answersChannel = await DeclareConsumerAsync(queue, [Exchanges.PredictionCompleted, Exchanges.PredictionFailed], "the trading user",
                channel => new AnswersConsumer(channel, this, queue), cancellationToken);
        }
        finally
        {
            _answersGate.Release();
        }
    }

    /// <summary>The queue <c>feed-NAME-rejected</c> bound to <c>data.rejected</c>, declared by the first publish of candles.</summary>
    async Task EnsureRejectionsQueueAsync(CancellationToken cancellationToken)
    {
        if (_rejectionsChannel is { IsOpen: true })
            return;
        await _rejectionsGate.WaitAsync(cancellationToken);
        try
        {
            if (_rejectionsChannel is { IsOpen: true })
                return;
            ThrowIfDisconnected();
            if (_rejectionsChannel is { } closed)
                await closed.DisposeAsync();
            var queue = QueueNames.Rejections(ClientName);
            _rejectionsChannel = await DeclareConsumerAsync(queue, [Exchanges.DataRejected], "the feed user (or set NeuralTradeClientOptions.TrackRejections = false)",
                channel => new RejectionsConsumer(channel, this, queue), cancellationToken);
        }
        finally
        {
            _rejectionsGate.Release();
        }
    }

    async Task<IChannel> DeclareConsumerAsync(string queue, string[] exchanges, string whoMay, Func<IChannel, IAsyncBasicConsumer> consumer,
        CancellationToken cancellationToken)
    {
        var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await channel.BasicQosAsync(0, _options.PrefetchCount, global: false, cancellationToken);
            await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true, arguments: null, cancellationToken: cancellationToken);
            foreach (var exchange in exchanges)
                await channel.QueueBindAsync(queue, exchange, "", arguments: null, cancellationToken: cancellationToken);
            await channel.BasicConsumeAsync(queue, autoAck: false, consumerTag: "", noLocal: false, exclusive: true, arguments: null,
                consumer(channel), cancellationToken);
            return channel;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 403)
        {
            await channel.DisposeAsync();
            throw Refused($"declare and bind queue '{queue}' to {string.Join(" and ", exchanges.Select(x => $"'{x}'"))}", e, whoMay);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            await channel.DisposeAsync();
            throw new NeuralTradeClientException($"RabbitMQ at {_address}: {e.ShutdownReason.ReplyText}; load the fleet's broker definitions (deploy/rabbitmq), " +
                "which declare every public exchange", e);
        }
        catch
        {
            await channel.DisposeAsync();
            throw;
        }
    }

    NeuralTradeClientException Refused(string what, OperationInterruptedException e, string whoMay) =>
        new($"RabbitMQ at {_address} refused '{_address.UserName}' to {what} ({e.ShutdownReason?.ReplyText}); with the shipped broker " +
            $"definitions that is for {whoMay}", e);

    async Task OnAnswerAsync(IChannel channel, string queue, ulong deliveryTag, string exchange, ReadOnlyMemory<byte> body)
    {
        if (body.Length > _options.MaxMessageBytes)
        {
            _context.Refuse(new RefusedMessage(exchange, queue, body.Length,
                $"the body is {body.Length} bytes, above the limit of {_options.MaxMessageBytes} (NeuralTradeClientOptions.MaxMessageBytes)."));
        }
        else
        {
            var (outcome, problem) = _pending.Route(exchange, body.Span);
            if (outcome == AnswerOutcome.Unreadable)
                _context.Refuse(new RefusedMessage(exchange, queue, body.Length, problem!));
        }

        await channel.BasicAckAsync(deliveryTag, multiple: false);
    }

    async Task OnRejectionAsync(IChannel channel, string queue, ulong deliveryTag, string exchange, ReadOnlyMemory<byte> body)
    {
        DataRejected? rejected = null;
        if (body.Length > _options.MaxRejectionBytes)
        {
            _context.Refuse(new RefusedMessage(exchange, queue, body.Length,
                $"the body is {body.Length} bytes, above the limit of {_options.MaxRejectionBytes} (NeuralTradeClientOptions.MaxRejectionBytes)."));
        }
        else if (JsonPeek.TopLevelGuid(body.Span, "correlationId"u8) is { } batchId && _rejections!.IsTracked(batchId))
        {
            try
            {
                rejected = JsonSerializer.Deserialize<DataRejected>(body.Span, ContractJson.Options);
                if (rejected is null)
                    _context.Refuse(new RefusedMessage(exchange, queue, body.Length, "the body is null."));
            }
            catch (JsonException e)
            {
                _context.Refuse(new RefusedMessage(exchange, queue, body.Length, $"the body is not a data.rejected of the contract: {e.Message}"));
            }
        }

        if (rejected is not null && _rejections!.Accept(rejected) && _options.OnCandlesRejected is { } callback)
        {
            try
            {
                await callback(rejected, _disposing.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !_disposing.IsCancellationRequested)
            {
                Log.CallbackFailed(_context.Logger, e, nameof(NeuralTradeClientOptions.OnCandlesRejected));
            }
        }

        await channel.BasicAckAsync(deliveryTag, multiple: false);
    }

    Task OnConnectionShutdownAsync(object sender, ShutdownEventArgs e)
    {
        if (Volatile.Read(ref _disposed) == 1)
            return Task.CompletedTask;
        Log.ConnectionLost(_context.Logger, _address.ToString(), e.ReplyCode, e.ReplyText, _options.RecoveryInterval);
        // The answers queue is exclusive: it went with the connection, and so may the answers. Better to say so now
        // than to let each request time out.
        _pending.FailAll(new NeuralTradeClientException($"the connection to RabbitMQ at {_address} was lost while waiting for the answer " +
            $"({e.ReplyCode} {e.ReplyText}); the answer may be lost with it: ask again once the client has reconnected"));
        return Task.CompletedTask;
    }

    Task OnRecoverySucceededAsync(object sender, AsyncEventArgs e)
    {
        Log.ConnectionRecovered(_context.Logger, _address.ToString());
        return Task.CompletedTask;
    }

    Task OnRecoveryErrorAsync(object sender, ConnectionRecoveryErrorEventArgs e)
    {
        Log.RecoveryFailed(_context.Logger, e.Exception, _address.ToString());
        return Task.CompletedTask;
    }

    /// <summary>
    /// While automatic recovery reconnects, the client's channels are closed and will be re-opened with their queues and
    /// consumers: they must not be replaced meanwhile. Only a channel the broker closed on a live connection is.
    /// </summary>
    void ThrowIfDisconnected()
    {
        if (!_connection.IsOpen)
            throw new NeuralTradeClientException($"the connection to RabbitMQ at {_address} is down; the client reconnects every " +
                $"{_options.RecoveryInterval.TotalSeconds:0.###} s: try again then");
    }

    void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);

    /// <summary>Ends every subscription, fails waiting predictions with <see cref="ObjectDisposedException"/>, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _pending.FailAll(new ObjectDisposedException(nameof(NeuralTradeClient), "the client was disposed while the request waited for its answer."));
        await _disposing.CancelAsync();
        foreach (var subscription in _context.Subscriptions)
            await subscription.DisposeAsync();
        _connection.ConnectionShutdownAsync -= OnConnectionShutdownAsync;
        _connection.RecoverySucceededAsync -= OnRecoverySucceededAsync;
        _connection.ConnectionRecoveryErrorAsync -= OnRecoveryErrorAsync;
        foreach (var channel in new[] { _publishChannel, _answersChannel, _rejectionsChannel })
        {
            if (channel is not null)
                await channel.DisposeAsync();
        }

        try
        {
            await _connection.CloseAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is AlreadyClosedException or IOException or TimeoutException or OperationCanceledException)
        {
            // Closed already (by the broker, or the network).
        }

        await _connection.DisposeAsync();
        _publishGate.Dispose();
        _answersGate.Dispose();
        _rejectionsGate.Dispose();
        _disposing.Dispose();
    }

    sealed class AnswersConsumer(IChannel channel, NeuralTradeClient client, string queue) : AsyncDefaultBasicConsumer(channel)
    {
        public override Task HandleBasicDeliverAsync(string consumerTag, ulong deliveryTag, bool redelivered, string exchange, string routingKey,
            IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
            client.OnAnswerAsync(Channel, queue, deliveryTag, exchange, body);
    }

    sealed class RejectionsConsumer(IChannel channel, NeuralTradeClient client, string queue) : AsyncDefaultBasicConsumer(channel)
    {
        public override Task HandleBasicDeliverAsync(string consumerTag, ulong deliveryTag, bool redelivered, string exchange, string routingKey,
            IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
            client.OnRejectionAsync(Channel, queue, deliveryTag, exchange, body);
    }
}

/// <summary>What a subscription shares with its client: the settings, the log, the refused-message report, the connection's state.</summary>
internal sealed class ClientContext(NeuralTradeClientOptions options, ILogger logger, IConnection connection)
{
    readonly ConcurrentDictionary<PredictionSubscription, byte> _subscriptions = new();

    public NeuralTradeClientOptions Options => options;
    public ILogger Logger => logger;
    public bool ConnectionIsOpen => connection.IsOpen;
    public ICollection<PredictionSubscription> Subscriptions => _subscriptions.Keys;

    public void Track(PredictionSubscription subscription) => _subscriptions.TryAdd(subscription, 0);

    public void Forget(PredictionSubscription subscription) => _subscriptions.TryRemove(subscription, out _);

    /// <summary>Logs a dropped message and hands it to <see cref="NeuralTradeClientOptions.OnRefusedMessage"/>: never silent.</summary>
    public void Refuse(RefusedMessage message)
    {
        Log.MessageRefused(logger, message.Exchange, message.Queue, message.BodyBytes, message.Reason);
        if (options.OnRefusedMessage is not { } report)
            return;
        try
        {
            report(message);
        }
        catch (Exception e)
        {
            Log.CallbackFailed(logger, e, nameof(NeuralTradeClientOptions.OnRefusedMessage));
        }
    }
}
