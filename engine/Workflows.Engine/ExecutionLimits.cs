namespace Workflows.Engine;

/// <summary>The budgets of one command's token run, so that no deployed model can stop the host.</summary>
/// <remarks>
/// A breach is an incident on the element, naming the budget and its setting; nothing the tokens did in that
/// command is committed (docs/limits.md). The defaults are far above what any journey of the library needs.
/// Set them through <c>WorkflowEngineOptions.Limits</c>. The size of the variables a script or a job handler
/// writes is held to <c>WorkflowEngineOptions.MaxVariablesBytes</c>, the limit commands from outside already have.
/// </remarks>
public sealed class ExecutionLimits
{
    /// <summary>
    /// How many elements the tokens of one instance (with the instances it called in the same command) may enter
    /// in one command without waiting: every activity, event, gateway and inner multi-instance counts once per pass.
    /// Default 10,000.
    /// </summary>
    public int MaxElementsPerCommand { get; set; } = 10_000;

    /// <summary>
    /// The shortest period a timer cycle may repeat at (<c>R/PT0.01S</c> would keep the timer workers busy with one
    /// instance): a static cycle below it is refused at deploy (<c>TIMER_CYCLE_TOO_SHORT</c>), a cycle an expression
    /// gives at run time below it is an incident on the timer's element. Default 1 second.
    /// </summary>
    public TimeSpan MinTimerCycle { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How deep a variable's value may nest lists and contexts (<c>[[1]]</c> is 2 deep; a number or a text is 0). A command
    /// bringing a deeper variable (a start, a task or job completion, a message) is refused naming the variable and this
    /// setting; a deeper value made in a command (a mapping, a script, a decision's or a handler's result) is an incident on
    /// the element, nothing of the step kept. Default 128; at most <see cref="MaxStoredJsonDepth"/> − 12, the room the
    /// instance's stored state needs around a variable.
    /// </summary>
    public int MaxVariableDepth { get; set; } = 128;

    /// <summary>
    /// The longest correlation key a message catch may evaluate to. A key the publishers cannot send (an API refuses
    /// names longer than its own limit) opens a subscription no message can ever match: a longer, or an empty, key is
    /// an incident on the catch naming its length and this setting. Default 200 (the host sets it to its
    /// <c>Workflows:Limits:MaxNameLength</c>).
    /// </summary>
    public int MaxCorrelationKeyLength { get; set; } = 200;

    /// <summary>
    /// The depth to which the engine writes and reads the JSON it stores (an instance's state, the variables of tasks,
    /// jobs and messages). Far above <see cref="MaxVariableDepth"/>, so that an accepted variable fits anywhere in a state;
    /// readers of variables the engine hands out (a job's, a task's) need this depth too.
    /// </summary>
    public const int MaxStoredJsonDepth = 512;

    /// <summary>What is wrong with the budgets, one message per wrong setting naming it; empty when all are right.</summary>
    public IReadOnlyList<string> Check()
    {
        var errors = new List<string>();
        if (MaxElementsPerCommand < 1)
        {
            errors.Add($"{nameof(WorkflowEngineOptions)}.Limits.{nameof(MaxElementsPerCommand)} must be at least 1 (it is {MaxElementsPerCommand})");
        }

        if (MinTimerCycle <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(WorkflowEngineOptions)}.Limits.{nameof(MinTimerCycle)} must be positive (it is {MinTimerCycle})");
        }

        if (MaxVariableDepth < 1 || MaxVariableDepth > MaxStoredJsonDepth - 12)
        {
            errors.Add($"{nameof(WorkflowEngineOptions)}.Limits.{nameof(MaxVariableDepth)} must be between 1 and {MaxStoredJsonDepth - 12} (it is {MaxVariableDepth})");
        }

        if (MaxCorrelationKeyLength < 1)
        {
            errors.Add($"{nameof(WorkflowEngineOptions)}.Limits.{nameof(MaxCorrelationKeyLength)} must be at least 1 (it is {MaxCorrelationKeyLength})");
        }

        return errors;
    }

    /// <summary>Why a cycle repeating every <paramref name="period"/> is refused, naming the setting; null when it is allowed.</summary>
    internal string? RefuseCycle(TimeSpan period) =>
        period < MinTimerCycle
            ? $"the cycle repeats every {period}, more often than the minimum WorkflowEngineOptions.Limits.{nameof(MinTimerCycle)} = {MinTimerCycle}"
            : null;
}
