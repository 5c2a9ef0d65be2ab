using System.Globalization;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Modeling.Search;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Workers.Training.Search;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// Hyperparameter search (training.requested with <c>search</c>). The request's job coordinates: it opens the search's
/// parent run, stores the search (<see cref="ISearchStore"/>), publishes one <see cref="TrainingTrialRequested"/> per
/// trial and waits in <see cref="JobStatus.Searching"/>, holding no slot. Every Training process consumes the trials as
/// competing consumers and runs each as a job of its own (lease, takeover, one retry). The trial that ends the search
/// resumes the request's job, which selects the best completed trial on the validation split's macro-F1 (never the
/// test split's; ties to the lower trial number) and announces that trial's model as the request's training.completed,
/// which the Registry gates as any other candidate.
/// </summary>
public sealed partial class TrainingJobRunner
{
    /// <summary>Attempts of one trial: a trial whose trainer died is retried once, then recorded as failed and the search goes on.</summary>
    public const int TrialMaxAttempts = 2;

    static (SeriesKey Series, string ModelName) SeriesOf(TrainingRequested request)
    {
        var series = new SeriesKey(request.Exchange, request.Symbol, request.Interval);
        return (series, ModelNames.For(series));
    }

    /// <summary>The request's plan, as the door checked it: trials train one seed each.</summary>
    static SearchPlan? PlanOf(TrainingRequested request, out IReadOnlyList<string> problems)
    {
        var hp = Hyperparameters.Apply(request.Hyperparameters, out var hpProblems);
        if (hpProblems.Count > 0)
        {
            problems = hpProblems;
            return null;
        }

        return SearchRequests.Plan(request.Search!, hp with { Seeds = 1 }, out problems);
    }

    async Task RunSearchAsync(TrainingJob job, TrainingRequested request, CancellationToken cancellationToken, CancellationToken stoppingToken)
    {
        var plan = PlanOf(request, out var problems);
        if (plan is null)
        {
            await FailAsync(request, job.RunId, "invalid search: " + string.Join("; ", problems), stoppingToken);
            return;
        }

        var (series, modelName) = SeriesOf(request);
        List<int>? unqueued = null; // trials without a job, found by a check; null: publish every trial without an outcome
        var stored = await searches.GetStateAsync(request.RequestId, cancellationToken);
        var state = stored is null ? null : SearchJson.Read<SearchState>(stored);
        var outcomes = await searches.GetTrialsAsync(request.RequestId, cancellationToken);
        if (state is not null && outcomes.Count >= state.Trials.Count)
        {
            await FinishSearchAsync(request, state, outcomes, stoppingToken);
            return;
        }

        if (state is null)
        {
            // A parent run opened by an attempt that died before storing the search is ended; this attempt opens its own.
            await training.EndAbandonedAsync(job, modelName, $"attempt {job.Attempts - 1} did not store the search; attempt {job.Attempts} took over",
                cancellationToken);
            var hp = Hyperparameters.Apply(request.Hyperparameters, out _);
            var tags = TrainingTracking.RunTags(request, job.Attempts, series, hp, TorchDevices.Best());
            tags["neuraltrade.search.id"] = request.RequestId.ToString();
            tags["neuraltrade.search.space"] = JsonSerializer.Serialize(request.Search!.Space, ContractJson.Options);
            tags["neuraltrade.search.strategy"] = request.Search.Strategy ?? SearchStrategies.Random;
            tags["neuraltrade.search.trials"] = plan.Trials.Count.ToString(CultureInfo.InvariantCulture);
            tags["neuraltrade.search.rungs"] = string.Join(',', plan.Rungs);
            var parent = await tracker.StartRunAsync(modelName, $"{modelName}-{request.RequestId.ToString("N")[..8]}-search", tags, cancellationToken);
            await parent.LogParamsAsync(new Dictionary<string, string>(hp.ToDictionary())
            {
                ["series"] = series.ToString(),
                ["search_strategy"] = tags["neuraltrade.search.strategy"],
                ["search_trials"] = tags["neuraltrade.search.trials"],
                ["search_seed"] = (request.Search.Seed ?? 0).ToString(CultureInfo.InvariantCulture),
                ["search_grace_epochs"] = request.Search.EarlyStopping?.GraceEpochs.ToString(CultureInfo.InvariantCulture) ?? "",
                ["search_reduction_factor"] = plan.ReductionFactor.ToString(CultureInfo.InvariantCulture),
            }, cancellationToken);
            var planned = new SearchState(request.RequestId, modelName, parent.RunId, parent.Store == "mlflow", tags["neuraltrade.search.strategy"],
                hp.Epochs, [.. plan.Trials.Select(t => t.Values)], plan.Rungs, plan.ReductionFactor, time.GetUtcNow());
            // Recorded first, so that a crash before the search is stored ends this parent run KILLED on the next attempt.
            await jobs.RecordRunAsync(job.RequestId, parent.RunId, cancellationToken);
            if (await searches.CreateAsync(request.RequestId, SearchJson.Write(planned), cancellationToken))
            {
                state = planned;
                await events.PublishStartedAsync(request, job.Attempts, parent, modelName, cancellationToken);
            }
            else
            {
                // Another owner stored it first (this attempt took over a live one): theirs stays, this parent run is not used.
                await parent.EndAsync("KILLED", CancellationToken.None);
                state = SearchJson.Read<SearchState>((await searches.GetStateAsync(request.RequestId, cancellationToken))!);
                await jobs.RecordRunAsync(job.RequestId, state.ParentRunId, cancellationToken);
            }
        }
        else
        {
            // A check of a waiting search (or a takeover): a trial whose job failed without recording an outcome is
            // recorded failed now, so that the search can end.
            unqueued = [];
            foreach (var i in Enumerable.Range(0, state.Trials.Count).Where(i => !outcomes.ContainsKey(i)))
            {
                var trialJob = await jobs.GetAsync(new TrialJob(request.RequestId, i).JobId, cancellationToken);
                if (trialJob is null)
                {
                    unqueued.Add(i); // its message never became a job (dead-lettered, lost with a broker): publish it again
                }
                else if (TrialJob.TryParse(trialJob.RequestJson) != new TrialJob(request.RequestId, i))
                {
                    // A training.requested took the trial's job id first: the trial cannot run under it.
                    await searches.RecordTrialAsync(request.RequestId, i, SearchJson.Write(new TrialOutcome(i, TrialStatus.Failed, state.Trials[i],
                        null, 0, null, null, 0, 0, $"the trial's job id {trialJob.RequestId} is taken by another request")), cancellationToken);
                }
                else if (trialJob.Status == JobStatus.Failed)
                {
                    await searches.RecordTrialAsync(request.RequestId, i, SearchJson.Write(new TrialOutcome(i, TrialStatus.Failed, state.Trials[i],
                        trialJob.RunId, 0, null, null, 0, trialJob.Attempts, trialJob.Error ?? "the trial's job failed")), cancellationToken);
                }
            }

            outcomes = await searches.GetTrialsAsync(request.RequestId, cancellationToken);
            if (outcomes.Count >= state.Trials.Count)
            {
                await FinishSearchAsync(request, state, outcomes, stoppingToken);
                return;
            }
        }

        // Every trial without an outcome (all of them the first time; the rest after a takeover): a trial already queued
        // is enqueued once, whichever delivery comes first.
        var pending = unqueued ?? [.. Enumerable.Range(0, state.Trials.Count).Where(i => !outcomes.ContainsKey(i))];
        await events.PublishTrialsAsync(request, pending, cancellationToken);
        if (!await jobs.TransitionAsync(job.RequestId, _owner, JobStatus.Searching, retryAfter: TimeSpan.FromSeconds(_options.SearchCheckSeconds),
                cancellationToken: stoppingToken))
        {
            LogLeaseLost(job.RequestId);
            return;
        }

        LogSearchFannedOut(request.RequestId, state.Trials.Count, pending.Count, state.ParentRunId);
        // The last trial may have ended while this job was still running, when resuming it did nothing: resume it here
        // (and should this worker die first, the search's next check finds every outcome and finishes it).
        if ((await searches.GetTrialsAsync(request.RequestId, stoppingToken)).Count >= state.Trials.Count)
            await jobs.ResumeAsync(job.RequestId, stoppingToken);
    }

    async Task FinishSearchAsync(TrainingRequested request, SearchState state, IReadOnlyDictionary<int, string> stored, CancellationToken stoppingToken)
    {
        var outcomes = stored.Values.Select(SearchJson.Read<TrialOutcome>).OrderBy(o => o.Trial).ToList();
        var best = SelectBest(outcomes);
        var counts = outcomes.GroupBy(o => o.Status).ToDictionary(g => g.Key, g => g.Count());
        var metrics = new Dictionary<string, double>
        {
            ["search_trials_completed"] = counts.GetValueOrDefault(TrialStatus.Completed),
            ["search_trials_stopped"] = counts.GetValueOrDefault(TrialStatus.Stopped),
            ["search_trials_failed"] = counts.GetValueOrDefault(TrialStatus.Failed),
            ["search_duration_seconds"] = (time.GetUtcNow() - state.StartedAt).TotalSeconds,
            ["search_trial_seconds"] = outcomes.Sum(o => o.DurationSeconds),
        };
        var tags = new Dictionary<string, string> { ["neuraltrade.search.best_trial"] = best is null ? "none" : best.Trial.ToString(CultureInfo.InvariantCulture) };
        if (best is not null)
        {
            metrics["best_validation_macro_f1"] = best.ValidationMacroF1!.Value;
            tags["neuraltrade.search.best_run_id"] = best.RunId!;
            tags["neuraltrade.search.best_values"] = string.Join(' ', best.Values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key}={v.Value:G6}")));
        }

        try
        {
            await tracker.RecordOnRunAsync(state.ModelName, state.ParentRunId, state.ParentInMlflow, metrics, tags, "neuraltrade.search.best_trial", stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The parent run's summary is for people; the candidate is announced whether MLflow took it or not.
            LogParentNotUpdated(request.RequestId, state.ParentRunId, e.Message);
        }

        await tracker.EndRunAsync(state.ModelName, state.ParentRunId, state.ParentInMlflow, best is null ? "FAILED" : "FINISHED", stoppingToken);
        if (best is null)
        {
            var firstError = outcomes.FirstOrDefault(o => o.Error is not null)?.Error;
            await FailAsync(request, state.ParentRunId,
                $"no trial of the search completed ({metrics["search_trials_stopped"]} stopped, {metrics["search_trials_failed"]} failed)" +
                (firstError is null ? "" : $"; first error: {firstError}"), stoppingToken);
            return;
        }

        LogSearchFinished(request.RequestId, best.Trial, best.ValidationMacroF1!.Value, outcomes.Count, best.RunId!);
        var completed = best.Completed! with { DurationSeconds = Math.Round((time.GetUtcNow() - state.StartedAt).TotalSeconds, 3) };
        await StoreAndAnnounceAsync(completed, System.Diagnostics.Stopwatch.GetTimestamp(), stoppingToken);
    }

    /// <summary>The best completed trial on the validation split's macro-F1 (never the test split's); ties go to the lower trial number.</summary>
    public static TrialOutcome? SelectBest(IEnumerable<TrialOutcome> outcomes) =>
        outcomes.Where(o => o is { Status: TrialStatus.Completed, Completed: not null, ValidationMacroF1: { } f1 } && double.IsFinite(f1))
            .OrderByDescending(o => o.ValidationMacroF1).ThenBy(o => o.Trial).FirstOrDefault();

    async Task RunTrialAsync(TrainingJob job, TrialJob trial, CancellationToken cancellationToken, CancellationToken stoppingToken)
    {
        var searchJob = await jobs.GetAsync(trial.SearchId, cancellationToken);
        var stateJson = await searches.GetStateAsync(trial.SearchId, cancellationToken);
        if (searchJob is null || stateJson is null)
        {
            await jobs.TransitionAsync(job.RequestId, _owner, JobStatus.Failed, error: $"search {trial.SearchId} is unknown", cancellationToken: stoppingToken);
            return;
        }

        var request = JsonSerializer.Deserialize<TrainingRequested>(searchJob.RequestJson, ContractJson.Options)!;
        var state = SearchJson.Read<SearchState>(stateJson);
        var (_, modelName) = SeriesOf(request);
        if (trial.Trial < 0 || trial.Trial >= state.Trials.Count)
        {
            await jobs.TransitionAsync(job.RequestId, _owner, JobStatus.Failed, error: $"search {trial.SearchId} has no trial {trial.Trial}",
                cancellationToken: stoppingToken);
            return;
        }
        var recorded = await searches.GetTrialsAsync(trial.SearchId, cancellationToken);
        if (recorded.ContainsKey(trial.Trial))
        {
            // Recorded by an attempt that stopped before it closed the job: only the closing is left.
            await EndTrialAsync(job, trial, state.Trials.Count, recorded.Count, JobStatus.Completed, null, stoppingToken);
            return;
        }

        var values = state.Trials[trial.Trial];
        if (searchJob.Status is JobStatus.Completed or JobStatus.Failed)
        {
            // The search ended without this trial (it was given up): nothing would read its result.
            await RecordTrialAsync(job, trial, state, new TrialOutcome(trial.Trial, TrialStatus.Failed, values, job.RunId, 0, null, null, 0, job.Attempts,
                $"not run: the search is {searchJob.Status}"), stoppingToken);
            return;
        }

        // Planned again from the stored request; a worker whose planning differs (another version's defaults) refuses
        // rather than train other values than the search recorded.
        var plan = PlanOf(request, out var problems);
        if (plan is null || trial.Trial >= plan.Trials.Count || !SameValues(plan.Trials[trial.Trial].Values, values))
        {
            await RecordTrialAsync(job, trial, state, new TrialOutcome(trial.Trial, TrialStatus.Failed, values, job.RunId, 0, null, null, 0, job.Attempts,
                "this worker plans the trial differently from the search's record: " + (problems.Count > 0 ? string.Join("; ", problems) : "other values")),
                stoppingToken);
            return;
        }

        if (job.Attempts > TrialMaxAttempts)
        {
            var reason = $"attempt {job.Attempts - 1} did not finish (its worker stopped or lost the trial's lease) and was the last of {TrialMaxAttempts}";
            await training.EndAbandonedAsync(job, modelName, reason, stoppingToken);
            await RecordTrialAsync(job, trial, state, new TrialOutcome(trial.Trial, TrialStatus.Failed, values, job.RunId, 0, null, null, 0,
                job.Attempts - 1, "gave up: " + reason), stoppingToken);
            return;
        }

        var planned = plan.Trials[trial.Trial];
        var context = new TrialContext(trial.SearchId, trial.Trial, state.ParentRunId, planned.Recipe, planned.Values, plan.Rungs, plan.ReductionFactor,
            (rung, metric) => searches.RecordAtRung(trial.SearchId, rung, trial.Trial, metric));
        var started = time.GetTimestamp();
        LogTrialStarting(trial.SearchId, trial.Trial, state.Trials.Count, planned.Describe(), job.Attempts);
        var failed = await training.RunAsync(job, request, _owner, completed => RecordTrialAsync(job, trial, state,
            new TrialOutcome(trial.Trial, TrialStatus.Completed, values, completed.RunId, planned.Recipe.Epochs,
                completed.Metrics.TryGetValue("validation_macro_f1", out var f1) ? f1 : null,
                completed.Metrics.TryGetValue("validation_log_loss", out var loss) ? loss : null,
                time.GetElapsedTime(started).TotalSeconds, job.Attempts, Completed: completed), stoppingToken), cancellationToken, context);
        if (failed is null)
            return;

        var seconds = time.GetElapsedTime(started).TotalSeconds;
        if (failed.Error is TrialStoppedException stopped)
        {
            await RecordTrialAsync(job, trial, state, new TrialOutcome(trial.Trial, TrialStatus.Stopped, values, failed.RunId, stopped.Rung, null,
                stopped.ValidationLoss, seconds, job.Attempts, stopped.Message), stoppingToken);
            return;
        }

        if (failed.Error is TrainingRequestException || job.Attempts >= TrialMaxAttempts)
        {
            await RecordTrialAsync(job, trial, state, new TrialOutcome(trial.Trial, TrialStatus.Failed, values, failed.RunId, 0, null, null, seconds,
                job.Attempts, failed.Error.Message), stoppingToken);
            return;
        }

        LogRetrying(failed.Error, job.RequestId, job.Attempts, TrialMaxAttempts);
        await jobs.TransitionAsync(job.RequestId, _owner, JobStatus.Retry, error: failed.Error.Message,
            retryAfter: TimeSpan.FromSeconds(_options.RetryDelaySeconds), cancellationToken: stoppingToken);
    }

    static bool SameValues(IReadOnlyDictionary<string, double> a, IReadOnlyDictionary<string, double> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v.Equals(kv.Value));

    /// <summary>Records the trial's outcome (once), then closes its job; the trial that completes the search resumes the search's job.</summary>
    async Task RecordTrialAsync(TrainingJob job, TrialJob trial, SearchState state, TrialOutcome outcome, CancellationToken stoppingToken)
    {
        outcome = outcome with
        {
            StartedAt = outcome.StartedAt ?? time.GetUtcNow() - TimeSpan.FromSeconds(outcome.DurationSeconds), Trainer = _owner,
        };
        var count = await searches.RecordTrialAsync(trial.SearchId, trial.Trial, SearchJson.Write(outcome), stoppingToken);
        TrainingTelemetry.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "trial-" + outcome.Status));
        LogTrialEnded(trial.SearchId, trial.Trial, outcome.Status, outcome.ValidationMacroF1 ?? double.NaN, outcome.DurationSeconds, outcome.Error ?? "");
        await EndTrialAsync(job, trial, state.Trials.Count, count, outcome.Status == TrialStatus.Failed ? JobStatus.Failed : JobStatus.Completed,
            outcome.Error, stoppingToken);
    }

    async Task EndTrialAsync(TrainingJob job, TrialJob trial, int total, int recorded, string status, string? error, CancellationToken stoppingToken)
    {
        if (recorded >= total && await jobs.ResumeAsync(trial.SearchId, stoppingToken))
            LogSearchResumed(trial.SearchId, trial.Trial);
        await jobs.TransitionAsync(job.RequestId, _owner, status, error: error, cancellationToken: stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Search {SearchId}: the parent run {ParentRunId} could not be given its summary: {Error}")]
    partial void LogParentNotUpdated(Guid searchId, string parentRunId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Search {SearchId}: {Trials} trials ({Published} published), parent run {ParentRunId}")]
    partial void LogSearchFannedOut(Guid searchId, int trials, int published, string parentRunId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Search {SearchId}: trial {Trial} of {Trials} starting ({Values}), attempt {Attempt}")]
    partial void LogTrialStarting(Guid searchId, int trial, int trials, string values, int attempt);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Search {SearchId}: trial {Trial} {Status}, validation macro-F1 {ValidationMacroF1:F3}, {Seconds:F1} s {Error}")]
    partial void LogTrialEnded(Guid searchId, int trial, string status, double validationMacroF1, double seconds, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Search {SearchId}: trial {Trial} was the last; the search is resumed to select the best")]
    partial void LogSearchResumed(Guid searchId, int trial);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Search {SearchId}: trial {Trial} is the best of {Trials} on validation macro-F1 ({ValidationMacroF1:F3}), run {RunId}; announced as the candidate")]
    partial void LogSearchFinished(Guid searchId, int trial, double validationMacroF1, int trials, string runId);
}
