using Workflows.Engine.Feel;
using Workflows.Engine.Model;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Behaviours.Tasks;

/// <summary>A user task: opens a task row (assignee, candidates, priority, dates, form) and waits for someone to complete it.</summary>
internal sealed class UserTaskBehaviour : ElementBehaviour
{
    public override ValueTask ActivateAsync(Execution execution, LoadedInstance instance, ElementInstance element, FlowNode node, FeelContext? trigger)
    {
        var now = execution.Now;
        var expressions = execution.Expressions;
        var spec = node.UserTask ?? new UserTaskDefinition();
        var scope = new ElementScope(instance.State, element);
        string? Text(ModelExpression? e, string what) => e is null ? null : expressions.EvaluateString(e, scope, node, what);
        // The task row keeps these lists for as long as the store keeps the task: one name (the usual queue) is an array of
        // one, the name's own string; none is the shared empty array.
        IReadOnlyList<string> List(ModelExpression? e, string what)
        {
            if (e is null)
            {
                return [];
            }

            // A name written in the model (the usual queue) is one array for every task of the element.
            if (e.IsStatic && IsOneName(e.Text))
            {
                return OneNames.GetValue(e, static written => [written.Text]);
            }

            var value = expressions.Evaluate(e, scope, node, what);
            return value switch
            {
                List<object?> list => list.Select(x => FeelValue.ToFeelString(x) ?? "").Where(x => x.Length > 0).ToArray(),
                string s when IsOneName(s) => [s],
                string s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                null => [],
                _ => throw new StepFailedException($"{what} of {node} gave {FeelValue.ToDisplayString(value)}, not a list or a comma-separated text"),
            };
        }

        DateTimeOffset? Date(ModelExpression? e, string what)
        {
            if (e is null)
            {
                return null;
            }

            var value = expressions.Evaluate(e, scope, node, what);
            var plan = TimerSchedule.Plan(value is TimeSpan or FeelYearMonthDuration || (value is string s && s.StartsWith('P')) ? TimerKind.Duration : TimerKind.Date, value, now, out var error);
            return plan?.Due ?? throw new StepFailedException($"{what} of {node} is not a date-time or duration: {error}");
        }

        var priority = 50;
        if (spec.Priority is not null)
        {
            var value = expressions.Evaluate(spec.Priority, scope, node, "the priority");
            priority = value switch
            {
                decimal d => (int)Math.Clamp(d, 0, 100),
                string s when int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var p) => Math.Clamp(p, 0, 100),
                _ => throw new StepFailedException($"the priority of {node} gave {FeelValue.ToDisplayString(value)}, not a number from 0 to 100"),
            };
        }

        var task = new UserTaskRecord(
            RowIds.NewId(now), instance.Id, element.Key, node.Id, node.Name, instance.State.ProcessId, instance.State.BusinessKey,
            Text(spec.Assignee, "the assignee"), List(spec.CandidateGroups, "the candidate groups"), List(spec.CandidateUsers, "the candidate users"),
            priority, Date(spec.DueDate, "the due date"), Date(spec.FollowUpDate, "the follow-up date"),
            TaskForm.ToJson(spec),
            now)
        {
            CustomerId = expressions.Party(instance, element, instance.Definition.Process.CustomerId),
            Branch = expressions.Party(instance, element, instance.Definition.Process.Branch),
            Journey = instance.Definition.Process.Name ?? instance.State.ProcessId,
        };
        execution.Changes.TasksCreated.Add(task);
        element.TaskId = task.Id;
        execution.History(instance, HistoryKind.TaskCreated, node.Id, element.Key, task.Id.ToString());
        return ValueTask.CompletedTask;
    }

    // The array of one name of each model expression that is one: what the task row keeps is shared by every task of the
    // element, so a finished task holds no array of its own (the store keeps its row for the life of the store).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ModelExpression, string[]> OneNames = new();

    // A text the comma split would give back whole: no comma, nothing to trim, not empty.
    private static bool IsOneName(string text) =>
        text.Length > 0 && !text.Contains(',', StringComparison.Ordinal) && !char.IsWhiteSpace(text[0]) && !char.IsWhiteSpace(text[^1]);
}
