using System.Text;
using Workflows.Engine.Feel;
using Workflows.Engine.Model;

namespace Workflows.Engine.Runtime;

/// <summary>
/// The budgets of a command's token run: how many elements the tokens of one instance may enter
/// without waiting, and how large the variables a script or handler writes may be.
/// </summary>
/// <remarks>
/// A model whose tokens never reach a wait (a gateway loop, a parallel fork looping back, a process
/// calling itself) would otherwise run the command for ever. When an instance's tokens use up the
/// budget, the run stops (<see cref="ElementBudgetExceededException"/>) and the command runs again
/// from the start, with that instance parked: its tokens stop at the first step the command gave them,
/// which gets the incident. So what the command was given is taken (the task answered, the job done,
/// the timer fired) and nothing the looping tokens did is kept.
/// </remarks>
internal sealed class ElementBudget(Execution execution, IReadOnlyList<BudgetBreach> parked)
{
    private readonly int _maxElements = execution.Engine.Options.Limits.MaxElementsPerCommand;

    /// <summary>The instances this run parks, from the breaches of the runs before it.</summary>
    public IReadOnlyList<BudgetBreach> Parked { get; } = parked;

    /// <summary>
    /// Counts an element the tokens of <paramref name="instance"/> enter; past the budget the whole run stops.
    /// An element a parked instance enters directly (a retry, an inner multi-instance) fails with the breach.
    /// </summary>
    public void Pass(LoadedInstance instance, FlowNode node)
    {
        if (ParkedBy(instance) is { } parkedBy)
        {
            throw new StepFailedException(parkedBy.Message);
        }

        var root = instance.BudgetRoot;
        if (++root.ElementsPassed > _maxElements)
        {
            throw new ElementBudgetExceededException(new BudgetBreach(
                root.CreatedOrdinal < 0 ? root.Id : null,
                root.CreatedOrdinal,
                $"the tokens entered more than {_maxElements:N0} elements in one command, the last {node} of process '{instance.State.ProcessId}' "
                + $"(budget {execution.Engine.Options.SettingName("Limits.MaxElementsPerCommand")} = {_maxElements}, counting the instances it called or started by a signal in that command: "
                + "a loop with no wait state, a signal that keeps starting instances, or a fork or parallel multi-instance opening more than that at once); "
                + "nothing they did in that command was kept"));
        }
    }

    /// <summary>The breach that parks <paramref name="instance"/>'s steps in this run, if any.</summary>
    public BudgetBreach? ParkedBy(LoadedInstance instance)
    {
        if (Parked.Count == 0)
        {
            return null;
        }

        var root = instance.BudgetRoot;
        foreach (var breach in Parked)
        {
            if (breach.InstanceId is { } id ? id == root.Id : breach.CreatedOrdinal == root.CreatedOrdinal && root.CreatedOrdinal >= 0)
            {
                return breach;
            }
        }

        return null;
    }

    /// <summary>
    /// Variables a script or handler wrote that are larger, as JSON, than a command from outside may bring
    /// (<see cref="WorkflowEngineOptions.MaxVariablesBytes"/>): their size, or null when they are within it. The caller
    /// fails the step with <see cref="VariablesTooLarge"/>, so the instance is never stored oversized; it names the
    /// variables only then, so that the usual step builds no message.
    /// </summary>
    public int? VariablesOverLimit(FeelContext? variables)
    {
        if (variables is null || variables.Count == 0)
        {
            return null;
        }

        var limit = execution.Engine.Options.MaxVariablesBytes;
        if (FeelConvert.SurelyWithinJson(variables, limit))
        {
            return null; // the usual script result: a number, a flag, a short text; no need to write it out
        }

        // Written no further than the limit: a value may share one large list many times, small in memory and
        // gigabytes written out (review10-18 F5). Over it, the size is "more than the limit".
        return FeelConvert.ToJson(variables, limit) is { } json ? (Encoding.UTF8.GetByteCount(json) is var bytes && bytes > limit ? bytes : null) : (int)Math.Min(int.MaxValue, limit + 1L);
    }

    /// <summary>The failure of a step whose variables (<paramref name="what"/>) take <paramref name="bytes"/>, over the limit.</summary>
    public StepFailedException VariablesTooLarge(string what, int bytes)
    {
        var limit = execution.Engine.Options.MaxVariablesBytes;
        var size = bytes > limit + 1L ? $"{bytes:N0} bytes" : $"more than {limit:N0} bytes";
        return new($"{what} takes {size} as JSON, over the limit {execution.Engine.Options.SettingName(nameof(WorkflowEngineOptions.MaxVariablesBytes))} = {limit:N0}");
    }

    /// <summary>
    /// Fails the step when a variable of <paramref name="variables"/> (<paramref name="what"/>: a handler's or a decision's
    /// result) nests deeper than <see cref="ExecutionLimits.MaxVariableDepth"/>, so that no state is committed that cannot
    /// be read back.
    /// </summary>
    public void RefuseTooDeep(FeelContext? variables, string what)
    {
        var limit = execution.Engine.Options.Limits.MaxVariableDepth;
        if (VariableDepth.FirstTooDeep(variables, limit) is { } deep)
        {
            throw new StepFailedException($"{what} sets '{deep.Name}' to a value nesting lists and contexts more than {limit} levels deep, deeper than a variable may be "
                + $"({execution.Engine.Options.SettingName("Limits." + nameof(ExecutionLimits.MaxVariableDepth))} = {limit})");
        }
    }

    /// <summary>
    /// Runs a command: its own steps, then its tokens. A run whose tokens used up an instance's element
    /// budget is thrown away and the command runs again with that instance parked (each breaching instance
    /// once; a command touching several may take a run per breach). A run stopped because an instance it
    /// touches ended meanwhile runs again too, on the ended state.
    /// </summary>
    public static async ValueTask<(Execution Execution, T Result)> RunCommandAsync<T>(EngineCore engine, Func<Execution, ValueTask<T>> command, bool runTokens, CancellationToken ct)
    {
        List<BudgetBreach>? parked = null; // the usual command never breaches: no list for it
        for (var stopped = 0; ; )
        {
            using var inFlight = engine.InFlight.Begin(ct);
            var execution = new Execution(engine, ct, parked is null ? Array.Empty<BudgetBreach>() : parked.ToList(), inFlight);
            try
            {
                var result = await command(execution).ConfigureAwait(false);
                if (runTokens)
                {
                    await execution.RunAsync().ConfigureAwait(false);
                }

                return (execution, result);
            }
            catch (ElementBudgetExceededException e) when (parked?.Contains(e.Breach) != true)
            {
                (parked ??= []).Add(e.Breach);
            }
            catch (OperationCanceledException) when (inFlight.StoppedBy is not null && ++stopped < engine.Options.MaxCommandAttempts)
            {
                // An instance this command touches ended (a cancel committed) while it ran: like a lost race,
                // the command runs again on the ended state, which refuses or ignores it.
            }
        }
    }
}

/// <summary>An instance whose tokens used up their element budget: by id when it was loaded, by creation order when the command created it.</summary>
internal sealed record BudgetBreach(Guid? InstanceId, int CreatedOrdinal, string Message);

/// <summary>Stops a command's run when an instance's tokens used up their element budget (never an incident by itself).</summary>
internal sealed class ElementBudgetExceededException(BudgetBreach breach) : Exception(breach.Message)
{
    public BudgetBreach Breach { get; } = breach;
}
