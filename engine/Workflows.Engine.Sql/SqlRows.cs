using System.Text.Json;
using Workflows.Engine.Runtime;
using Workflows.Engine.ServiceLevels;
using Workflows.Engine.Storage;
using static Workflows.Engine.Sql.SqlWorkflowStore;
using TaskStatus = Workflows.Engine.Storage.TaskStatus;

namespace Workflows.Engine.Sql;

// Rows as the drivers hand them back (times as UTC ticks, enums as ints, lists as JSON), each turned into
// its record, and each record's insert parameters: the one place a record's SQL form is written. Dapper
// fills the rows by column name (snake_case to PascalCase); the statements name the same columns.
#pragma warning disable CA1812 // instantiated by Dapper

internal sealed class DefinitionRow
{
    public Guid Id { get; set; }

    public string ProcessId { get; set; } = "";

    public int Version { get; set; }

    public string? VersionTag { get; set; }

    public string Checksum { get; set; } = "";

    public string Xml { get; set; } = "";

    public Guid DeploymentId { get; set; }

    public long DeployedAt { get; set; }

    public string? DeployedBy { get; set; }

    public DefinitionRecord ToRecord() => new(Id, ProcessId, Version, VersionTag, Checksum, Xml, DeploymentId, Time(DeployedAt), DeployedBy);

    /// <summary>The parameters of its insert.</summary>
    public static object From(DefinitionRecord d) => new
    {
        d.Id, d.ProcessId, d.Version, d.VersionTag, d.Checksum, d.Xml, d.DeploymentId, DeployedAt = d.DeployedAt.UtcTicks, d.DeployedBy,
    };
}

internal sealed class InstanceRow
{
    public Guid Id { get; set; }

    public string ProcessId { get; set; } = "";

    public Guid DefinitionId { get; set; }

    public int Version { get; set; }

    public string? BusinessKey { get; set; }

    public int Status { get; set; }

    public long RowVersion { get; set; }

    public long StartedAt { get; set; }

    public long? EndedAt { get; set; }

    public Guid? ParentInstanceId { get; set; }

    // A BLOB as the store writes it, or a TEXT another tool left (StoredBytes).
    public StoredBytes State { get; set; }

    public string? Branch { get; set; }

    public string? CustomerId { get; set; }

    public InstanceRecord ToRecord() => Record(Id, ProcessId, DefinitionId, Version, BusinessKey, Status, RowVersion, StartedAt, EndedAt, ParentInstanceId, State.Bytes, Branch, CustomerId);

    public static InstanceRecord Record(Guid id, string processId, Guid definitionId, int version, string? businessKey, int status, long rowVersion,
        long startedAt, long? endedAt, Guid? parentInstanceId, byte[] state, string? branch, string? customerId) =>
        new(id, processId, definitionId, version, businessKey, (ProcessInstanceStatus)status, rowVersion,
            Time(startedAt), endedAt is { } e ? Time(e) : null, parentInstanceId, state) { Branch = branch, CustomerId = customerId };
}

internal class UserTaskRow
{
    public Guid Id { get; set; }

    public Guid InstanceId { get; set; }

    public long ElementKey { get; set; }

    public string ElementId { get; set; } = "";

    public string? Name { get; set; }

    public string ProcessId { get; set; } = "";

    public string? BusinessKey { get; set; }

    public string? Assignee { get; set; }

    public string CandidateGroups { get; set; } = "[]";

    public string CandidateUsers { get; set; } = "[]";

    public int Priority { get; set; }

    public long? DueDate { get; set; }

    public long? FollowUpDate { get; set; }

    public string? FormJson { get; set; }

    public long CreatedAt { get; set; }

    public int Status { get; set; }

    public string? CustomerId { get; set; }

    public string? Branch { get; set; }

    public string? Journey { get; set; }

    public int? SlaState { get; set; }

    public long? SlaDueAt { get; set; }

    public UserTaskRecord ToRecord()
    {
        var (groups, groupsProblem) = Names(CandidateGroups, "candidate_groups");
        var (users, usersProblem) = Names(CandidateUsers, "candidate_users");
        return new(Id, InstanceId, ElementKey, ElementId, Name, ProcessId, BusinessKey, Assignee, groups, users,
            Priority, DueDate is { } d ? Time(d) : null, FollowUpDate is { } f ? Time(f) : null, FormJson, Time(CreatedAt))
        {
            Status = (TaskStatus)Status,
            CustomerId = CustomerId,
            Branch = Branch,
            Journey = Journey,
            Mark = new(SlaState, SlaDueAt is { } due ? Time(due) : null),
            Problem = groupsProblem ?? usersProblem,
        };
    }

    // A list that cannot be read is the task's named problem (the engine refuses the task, lists leave it out), never the
    // failure of every read that meets the row: a queue's page, a worker's preload of the instance (review13 F16).
    private static (List<string> Names, string? Problem) Names(string json, string column)
    {
        try
        {
            return (JsonSerializer.Deserialize<List<string>>(json) ?? [], null);
        }
        catch (JsonException e)
        {
            return ([], $"its {column} column is not a JSON list of names ({e.Message})");
        }
    }

    /// <summary>The parameters of its insert.</summary>
    public static object From(UserTaskRecord t) => new
    {
        t.Id, t.InstanceId, t.ElementKey, t.ElementId, t.Name, t.ProcessId, t.BusinessKey, t.Assignee,
        CandidateGroups = JsonSerializer.Serialize(t.CandidateGroups), CandidateUsers = JsonSerializer.Serialize(t.CandidateUsers),
        t.Priority, DueDate = t.DueDate?.UtcTicks, FollowUpDate = t.FollowUpDate?.UtcTicks, t.FormJson, CreatedAt = t.CreatedAt.UtcTicks,
        t.CustomerId, t.Branch, t.Journey, SlaState = t.Mark.State, SlaDueAt = t.Mark.DueAt?.UtcTicks,
        SlaSort = t.Mark.DueAt?.UtcTicks ?? long.MaxValue, InvPriority = 100 - t.Priority,
    };
}


/// <summary>
/// A task with its instance's columns, read in one statement (<see cref="SqlWorkflowStore.GetTaskWithInstanceAsync"/>); the
/// instance's columns are named apart (<c>instance_…</c>) and are all null when its row is gone.
/// </summary>
internal sealed class UserTaskWithInstanceRow : UserTaskRow
{
    public string? InstanceProcessId { get; set; }

    public Guid? InstanceDefinitionId { get; set; }

    public int? InstanceVersion { get; set; }

    public string? InstanceBusinessKey { get; set; }

    public int? InstanceStatus { get; set; }

    public long? InstanceRowVersion { get; set; }

    public long? InstanceStartedAt { get; set; }

    public long? InstanceEndedAt { get; set; }

    public Guid? InstanceParentInstanceId { get; set; }

    public StoredBytes? InstanceState { get; set; }

    public string? InstanceBranch { get; set; }

    public string? InstanceCustomerId { get; set; }

    /// <summary>The stamp decision choices are kept by, when the statement reads it (a column of its own); null otherwise.</summary>
    public long? DecisionChoiceStamp { get; set; }

    /// <summary>The columns the statement reads, the task's as <see cref="UserTaskRow"/> names them.</summary>
    public const string Columns = """
        t.id, t.instance_id, t.element_key, t.element_id, t.name, t.process_id, t.business_key, t.assignee, t.candidate_groups, t.candidate_users,
        t.priority, t.due_date, t.follow_up_date, t.form_json, t.created_at, t.status, t.customer_id, t.branch, t.journey, t.sla_state, t.sla_due_at,
        i.process_id AS instance_process_id, i.definition_id AS instance_definition_id, i.version AS instance_version,
        i.business_key AS instance_business_key, i.status AS instance_status, i.row_version AS instance_row_version,
        i.started_at AS instance_started_at, i.ended_at AS instance_ended_at, i.parent_instance_id AS instance_parent_instance_id,
        i.state AS instance_state, i.branch AS instance_branch, i.customer_id AS instance_customer_id
        """;

    public InstanceRecord? Instance() => InstanceDefinitionId is { } definitionId
        ? InstanceRow.Record(InstanceId, InstanceProcessId ?? "", definitionId, InstanceVersion ?? 0, InstanceBusinessKey, InstanceStatus ?? 0,
            InstanceRowVersion ?? 0, InstanceStartedAt ?? 0, InstanceEndedAt, InstanceParentInstanceId, InstanceState?.Bytes ?? [], InstanceBranch, InstanceCustomerId)
        : null;
}
internal sealed class SlaClockRow
{
    public Guid Id { get; set; }

    public Guid InstanceId { get; set; }

    public long ElementKey { get; set; }

    public string ElementId { get; set; } = "";

    public int Kind { get; set; }

    public int Level { get; set; }

    public string? Label { get; set; }

    public string ProcessId { get; set; } = "";

    public string? BusinessKey { get; set; }

    public string? Branch { get; set; }

    public string? CustomerId { get; set; }

    public string? Calendar { get; set; }

    public string Target { get; set; } = "";

    public int WorkingTime { get; set; }

    public long BudgetTicks { get; set; }

    public long StartedAt { get; set; }

    public int State { get; set; }

    public long ConsumedTicks { get; set; }

    public long? RunningSince { get; set; }

    public long? TargetAt { get; set; }

    public long? NextDueAt { get; set; }

    public int Fired { get; set; }

    public long? NextRepeatAt { get; set; }

    public string? PauseReason { get; set; }

    public long? PausedAt { get; set; }

    public long? PausedBy { get; set; }

    public long PausedTicks { get; set; }

    public long? EndedAt { get; set; }

    private static DateTimeOffset? At(long? ticks) => ticks is { } t ? Time(t) : null;

    public SlaClockRecord ToRecord() => new(Id, InstanceId, ElementKey, ElementId, (ServiceLevels.ClockKind)Kind, Level, Label, ProcessId, BusinessKey,
        Branch, CustomerId, Calendar, Target, WorkingTime != 0, BudgetTicks, Time(StartedAt))
    {
        State = (SlaState)State,
        ConsumedTicks = ConsumedTicks,
        RunningSince = At(RunningSince),
        TargetAt = At(TargetAt),
        NextDueAt = At(NextDueAt),
        Fired = Fired,
        NextRepeatAt = At(NextRepeatAt),
        PauseReason = PauseReason,
        PausedAt = At(PausedAt),
        PausedBy = PausedBy,
        PausedTicks = PausedTicks,
        EndedAt = At(EndedAt),
    };

    /// <summary>The parameters of an insert or update.</summary>
    public static object From(SlaClockRecord c) => new
    {
        c.Id, c.InstanceId, c.ElementKey, c.ElementId, Kind = (int)c.Kind, c.Level, c.Label, c.ProcessId, c.BusinessKey, c.Branch, c.CustomerId,
        c.Calendar, c.Target, WorkingTime = c.WorkingTime ? 1 : 0, c.BudgetTicks, StartedAt = c.StartedAt.UtcTicks, State = (int)c.State,
        c.ConsumedTicks, RunningSince = c.RunningSince?.UtcTicks, TargetAt = c.TargetAt?.UtcTicks, NextDueAt = c.NextDueAt?.UtcTicks, c.Fired,
        NextRepeatAt = c.NextRepeatAt?.UtcTicks, c.PauseReason, PausedAt = c.PausedAt?.UtcTicks, c.PausedBy, c.PausedTicks, EndedAt = c.EndedAt?.UtcTicks,
    };
}

internal class JobRow
{
    public Guid Id { get; set; }

    public Guid InstanceId { get; set; }

    public long ElementKey { get; set; }

    public string ElementId { get; set; } = "";

    public string Type { get; set; } = "";

    public int Retries { get; set; }

    public int Failures { get; set; }

    public long CreatedAt { get; set; }

    public long DueAt { get; set; }

    public string HeadersJson { get; set; } = "{}";

    public string VariablesJson { get; set; } = "{}";

    public int External { get; set; }

    /// <summary>Read by the inspection only; the lease columns are null when the job is not leased.</summary>
    public string? LeaseOwner { get; set; }

    public long? LeaseUntil { get; set; }

    public JobRecord ToRecord() => new(Id, InstanceId, ElementKey, ElementId, Type, Retries, Time(CreatedAt), Time(DueAt), HeadersJson, VariablesJson, Failures, External != 0);

    /// <summary>The parameters of its insert.</summary>
    public static object From(JobRecord j) => new
    {
        j.Id, j.InstanceId, j.ElementKey, j.ElementId, j.Type, j.Retries, j.Failures, CreatedAt = j.CreatedAt.UtcTicks, DueAt = j.DueAt.UtcTicks, j.HeadersJson, j.VariablesJson, External = j.External ? 1 : 0,
    };
}

internal sealed class TimerRow
{
    public Guid Id { get; set; }

    public Guid? InstanceId { get; set; }

    public long ElementKey { get; set; }

    public string ElementId { get; set; } = "";

    public Guid DefinitionId { get; set; }

    public long DueAt { get; set; }

    public long? IntervalTicks { get; set; }

    public int Remaining { get; set; }

    /// <summary>Who fires it now, or parks it (read by the inspection only).</summary>
    public string? LeaseOwner { get; set; }

    public long? LeaseUntil { get; set; }

    public TimerRecord ToRecord() => new(Id, InstanceId, ElementKey, ElementId, DefinitionId, Time(DueAt),
        IntervalTicks is { } t ? TimeSpan.FromTicks(t) : null, Remaining);

    /// <summary>The parameters of its insert.</summary>
    public static object From(TimerRecord t) => new
    {
        t.Id, t.InstanceId, t.ElementKey, t.ElementId, t.DefinitionId, DueAt = t.DueAt.UtcTicks, IntervalTicks = t.Interval?.Ticks, t.Remaining,
    };
}

internal sealed class MessageSubscriptionRow
{
    public Guid Id { get; set; }

    public Guid? InstanceId { get; set; }

    public long ElementKey { get; set; }

    public string ElementId { get; set; } = "";

    public Guid DefinitionId { get; set; }

    public string MessageName { get; set; } = "";

    public string? CorrelationKey { get; set; }

    public long CreatedAt { get; set; }

    public MessageSubscriptionRecord ToRecord() => new(Id, InstanceId, ElementKey, ElementId, DefinitionId, MessageName, CorrelationKey, Time(CreatedAt));

    /// <summary>The parameters of its insert.</summary>
    public static object From(MessageSubscriptionRecord m) => new
    {
        m.Id, m.InstanceId, m.ElementKey, m.ElementId, m.DefinitionId, m.MessageName, m.CorrelationKey, CreatedAt = m.CreatedAt.UtcTicks,
    };
}

internal sealed class MessageStartLockRow
{
    public string ProcessId { get; set; } = "";

    public string CorrelationKey { get; set; } = "";

    public Guid InstanceId { get; set; }

    public long Revision { get; set; }

    public MessageStartLockRecord ToRecord() => new(ProcessId, CorrelationKey, InstanceId, Revision);
}

internal sealed class SignalSubscriptionRow
{
    public Guid Id { get; set; }

    public Guid? InstanceId { get; set; }

    public long ElementKey { get; set; }

    public string ElementId { get; set; } = "";

    public Guid DefinitionId { get; set; }

    public string SignalName { get; set; } = "";

    public SignalSubscriptionRecord ToRecord() => new(Id, InstanceId, ElementKey, ElementId, DefinitionId, SignalName);
}

internal sealed class BufferedMessageRow
{
    public Guid Id { get; set; }

    public string? MessageId { get; set; }

    public string Name { get; set; } = "";

    public string CorrelationKey { get; set; } = "";

    public string VariablesJson { get; set; } = "{}";

    public long PublishedAt { get; set; }

    public long ExpiresAt { get; set; }

    public long? ExpiredAt { get; set; }

    public int Unclaimed { get; set; }

    public string? Branch { get; set; }

    public BufferedMessageRecord ToRecord() => new(Id, MessageId, Name, CorrelationKey, VariablesJson, Time(PublishedAt), Time(ExpiresAt))
    {
        ExpiredAt = ExpiredAt is { } at ? Time(at) : null,
        Unclaimed = Unclaimed != 0,
        Branch = Branch,
    };

    /// <summary>The parameters of its insert.</summary>
    public static object From(BufferedMessageRecord m) => new
    {
        m.Id, m.MessageId, m.Name, m.CorrelationKey, m.VariablesJson, PublishedAt = m.PublishedAt.UtcTicks, ExpiresAt = m.ExpiresAt.UtcTicks, m.Branch,
    };
}

internal sealed class IncidentRow
{
    public Guid Id { get; set; }

    public Guid InstanceId { get; set; }

    public long ElementKey { get; set; }

    public string ElementId { get; set; } = "";

    public string Message { get; set; } = "";

    public long CreatedAt { get; set; }

    public long? ResolvedAt { get; set; }

    public IncidentRecord ToRecord() => new(Id, InstanceId, ElementKey, ElementId, Message, Time(CreatedAt), ResolvedAt is { } r ? Time(r) : null);

    /// <summary>The parameters of its insert.</summary>
    public static object From(IncidentRecord i) => new
    {
        i.Id, i.InstanceId, i.ElementKey, i.ElementId, i.Message, CreatedAt = i.CreatedAt.UtcTicks,
    };
}

internal sealed class HistoryRow
{
    public long Seq { get; set; }

    public Guid InstanceId { get; set; }

    public long At { get; set; }

    public string Kind { get; set; } = "";

    public string? ElementId { get; set; }

    public long? ElementKey { get; set; }

    public string? Actor { get; set; }

    public string? Detail { get; set; }

    public HistoryRecord ToRecord() => new(InstanceId, Time(At), Kind, ElementId, ElementKey, Actor, Detail);
}

internal sealed class OutboxRow
{
    public long Seq { get; set; }

    public Guid Id { get; set; }

    public Guid InstanceId { get; set; }

    public string ElementId { get; set; } = "";

    public string MessageName { get; set; } = "";

    public string? CorrelationKey { get; set; }

    public string VariablesJson { get; set; } = "{}";

    public long CreatedAt { get; set; }

    public int Kind { get; set; }

    public string? HeadersJson { get; set; }

    public long? PublishedAt { get; set; }

    public long? ParkedAt { get; set; }

    public string? ParkedReason { get; set; }

    public OutboxRecord ToRecord() => new(Id, InstanceId, ElementId, MessageName, CorrelationKey, VariablesJson, Time(CreatedAt))
    {
        Seq = Seq,
        Kind = (OutgoingMessageKind)Kind,
        HeadersJson = HeadersJson ?? "{}",
        PublishedAt = PublishedAt is { } at ? Time(at) : null,
        ParkedAt = ParkedAt is { } parked ? Time(parked) : null,
        ParkedReason = ParkedReason,
    };

    /// <summary>The parameters of its insert.</summary>
    public static object From(OutboxRecord o) => new
    {
        o.Id, o.InstanceId, o.ElementId, o.MessageName, o.CorrelationKey, o.VariablesJson, CreatedAt = o.CreatedAt.UtcTicks, Kind = (int)o.Kind, o.HeadersJson,
    };
}
