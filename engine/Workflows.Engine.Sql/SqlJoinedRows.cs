using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

#pragma warning disable CA1812 // instantiated by Dapper

/// <summary>
/// A job with its instance's columns, read in one statement (<see cref="SqlWorkflowStore.GetJobWithInstanceAsync"/>), so
/// in one snapshot: the instance as it was when the job was still there. The instance's columns are named apart
/// (<c>instance_…</c>) and are all null when its row is gone.
/// </summary>
internal sealed class JobWithInstanceRow : JobRow
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

    /// <summary>The columns the statement reads, the job's as <see cref="JobRow"/> names them.</summary>
    public const string Columns = """
        j.id, j.instance_id, j.element_key, j.element_id, j.type, j.retries, j.failures, j.created_at, j.due_at, j.headers_json,
        j.variables_json, j.external, j.lease_owner, j.lease_until,
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
