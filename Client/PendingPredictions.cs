using System.Collections.Concurrent;
using System.Text.Json;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Client;

/// <summary>
/// The prediction requests of one client waiting for their answers, matched by <c>requestId</c>. Every answer of every
/// client (and every streamed prediction) reaches the one answers queue: what is not one of ours is skipped after
/// reading only its <c>requestId</c>.
/// </summary>
internal sealed class PendingPredictions
{
    readonly ConcurrentDictionary<Guid, TaskCompletionSource<PredictionCompleted>> _waiting = new();

    public int Count => _waiting.Count;

    /// <summary>Starts waiting for <paramref name="requestId"/>'s answer; register before publishing the request.</summary>
    public Task<PredictionCompleted> Register(Guid requestId)
    {
        var answer = new TaskCompletionSource<PredictionCompleted>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_waiting.TryAdd(requestId, answer))
            throw new InvalidOperationException($"prediction request {requestId} is already waiting for its answer.");
        return answer.Task;
    }

    /// <summary>Stops waiting (timeout, cancellation, a failed publish).</summary>
    public void Forget(Guid requestId) => _waiting.TryRemove(requestId, out _);

    /// <summary>Ends every wait with <paramref name="error"/> (the connection was lost, the client disposed).</summary>
    public void FailAll(Exception error)
    {
        foreach (var requestId in _waiting.Keys)
        {
            if (_waiting.TryRemove(requestId, out var answer))
                answer.TrySetException(error);
        }
    }

    /// <summary>
    /// Hands an answer from <paramref name="exchange"/> to its waiting request. <see cref="AnswerOutcome.NotOurs"/> for
    /// a streamed prediction or another client's answer; <see cref="AnswerOutcome.Unreadable"/> (with the reason) for
    /// a body of ours that does not read as the contract's JSON, which fails that request.
    /// </summary>
    public (AnswerOutcome Outcome, string? Problem) Route(string exchange, ReadOnlySpan<byte> body)
    {
        if (JsonPeek.TopLevelGuid(body, "requestId"u8) is not { } requestId || !_waiting.TryGetValue(requestId, out _))
            return (AnswerOutcome.NotOurs, null);

        try
        {
            if (exchange == Exchanges.PredictionFailed)
            {
                var failed = JsonSerializer.Deserialize<PredictionFailed>(body, ContractJson.Options)
                    ?? throw new JsonException("the body is null.");
                return Complete(requestId, answer => answer.TrySetException(new PredictionFailedException(failed)));
            }

            var completed = JsonSerializer.Deserialize<PredictionCompleted>(body, ContractJson.Options)
                ?? throw new JsonException("the body is null.");
            return Complete(requestId, answer => answer.TrySetResult(completed));
        }
        catch (JsonException e)
        {
            var problem = $"the {exchange} answering request {requestId} is not the contract's JSON: {e.Message}";
            Complete(requestId, answer => answer.TrySetException(new NeuralTradeClientException(problem, e)));
            return (AnswerOutcome.Unreadable, problem);
        }
    }

    (AnswerOutcome, string?) Complete(Guid requestId, Action<TaskCompletionSource<PredictionCompleted>> settle)
    {
        // A duplicate answer (a redelivery) finds the request gone: it is not ours any more.
        if (!_waiting.TryRemove(requestId, out var answer))
            return (AnswerOutcome.NotOurs, null);
        settle(answer);
        return (AnswerOutcome.Answered, null);
    }
}

/// <summary>What became of one message in the answers queue.</summary>
internal enum AnswerOutcome
{
    /// <summary>It answered one of this client's requests.</summary>
    Answered,
    /// <summary>A streamed prediction, another client's answer, or a repeat of an answer already taken.</summary>
    NotOurs,
    /// <summary>It named one of this client's requests but could not be read; that request failed.</summary>
    Unreadable,
}
