using Dapper;
using Workflows.Engine.Search;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql;

// An instance's wait points for inspection; the variable index (wf_variable_index), written in the commit and
// filtered on by instance lists and task queries.
internal sealed partial class SqlWorkflowStore
{
    public async ValueTask<InstanceWaits> GetWaitsAsync(Guid instanceId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        var p = new { instanceId };
        var timers = await connection.QueryAsync<TimerRow>(new CommandDefinition("SELECT * FROM wf_timers WHERE instance_id = @instanceId ORDER BY due_at", p, cancellationToken: ct)).ConfigureAwait(false);
        var messages = await connection.QueryAsync<MessageSubscriptionRow>(new CommandDefinition(
            "SELECT * FROM wf_message_subscriptions WHERE instance_id = @instanceId ORDER BY created_at", p, cancellationToken: ct)).ConfigureAwait(false);
        var signals = await connection.QueryAsync<SignalSubscriptionRow>(new CommandDefinition(
            "SELECT * FROM wf_signal_subscriptions WHERE instance_id = @instanceId ORDER BY element_key", p, cancellationToken: ct)).ConfigureAwait(false);
        var jobs = await connection.QueryAsync<JobRow>(new CommandDefinition(
            "SELECT * FROM wf_jobs WHERE instance_id = @instanceId ORDER BY created_at", p, cancellationToken: ct)).ConfigureAwait(false);
        return new InstanceWaits(
            timers.Select(t => new LeasedTimer(t.ToRecord(), t.LeaseOwner, t.LeaseUntil is { } until ? Time(until) : null)).ToList(),
            messages.Select(m => m.ToRecord()).ToList(),
            signals.Select(s => s.ToRecord()).ToList(),
            jobs.Select(j => new LeasedJob(j.ToRecord(), j.LeaseOwner, j.LeaseUntil is { } until ? Time(until) : null)).ToList());
    }

    public ValueTask<IReadOnlyList<VariableIndexRecord>> GetIndexedVariablesAsync(Guid instanceId, CancellationToken ct) =>
        ListAsync<VariableIndexRow, VariableIndexRecord>("SELECT * FROM wf_variable_index WHERE instance_id = @instanceId ORDER BY name", new { instanceId },
            r => new VariableIndexRecord(r.InstanceId, r.Name, new IndexedValue(r.TextValue, r.NumberValue, r.TimeValue)), ct);

    public ValueTask<IReadOnlyList<InstanceRecord>> FindInstancesAsync(InstanceFilter filter, CancellationToken ct)
    {
        var parameters = new DynamicParameters();
        var where = new List<string>();
        void When(object? value, string name, string condition)
        {
            if (value is not null)
            {
                parameters.Add(name, value);
                where.Add(condition);
            }
        }

        When(filter.ProcessId, "ProcessId", "i.process_id = @ProcessId");
        When(filter.BusinessKey, "BusinessKey", "i.business_key = @BusinessKey");
        When(filter.Branch, "Branch", "i.branch = @Branch");
        When(filter.CustomerId, "CustomerId", "i.customer_id = @CustomerId");
        When((int?)filter.Status, "Status", "i.status = @Status");
        When(filter.Version, "Version", "i.version = @Version");
        if (filter.HasIncident is { } incident)
        {
            where.Add($"{(incident ? "" : "NOT ")}EXISTS (SELECT 1 FROM wf_incidents n WHERE n.instance_id = i.id AND n.resolved_at IS NULL)");
        }

        where.AddRange(VariableConditions("i.id", filter.Variables, parameters));
        if (filter.After is { } after)
        {
            // Newest first: the next page starts strictly before the last row, in (started_at, id) order.
            parameters.Add("AfterAt", after.StartedAt.UtcTicks);
            parameters.Add("AfterId", after.Id);
            where.Add("(i.started_at < @AfterAt OR (i.started_at = @AfterAt AND i.id < @AfterId))");
        }

        parameters.Add("Max", filter.Max);
        var clause = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        // Without conditions on variables the parameters are one type's properties, which a SQLite session binds to a
        // statement it keeps prepared; hand-built ones are Dapper's, prepared anew on every call. A start that keeps its
        // business key unique runs this read on every start (issue 19: one of the two statements an HTTP start prepared).
        object bound = filter.Variables.Count == 0
            ? new InstanceListParameters(filter.ProcessId, filter.BusinessKey, filter.Branch, filter.CustomerId, (int?)filter.Status, filter.Version,
                filter.After?.StartedAt.UtcTicks, filter.After?.Id, filter.Max)
            : parameters;
        return ListAsync<InstanceRow, InstanceRecord>(_dialect.Top($"i.* FROM wf_instances i{clause} ORDER BY i.started_at DESC, i.id DESC", "@Max"),
            bound, r => r.ToRecord(), ct);
    }

    /// <summary>The parameters of an instance list without conditions on variables (<see cref="FindInstancesAsync"/>): the statement names those it uses.</summary>
    private sealed record InstanceListParameters(
        string? ProcessId, string? BusinessKey, string? Branch, string? CustomerId, int? Status, int? Version, long? AfterAt, Guid? AfterId, int Max);

    /// <summary>One EXISTS per condition on the variable index, for the instance id in <paramref name="instanceColumn"/>.</summary>
    private static IEnumerable<string> VariableConditions(string instanceColumn, IReadOnlyList<VariableCondition> conditions, DynamicParameters parameters)
    {
        for (var n = 0; n < conditions.Count; n++)
        {
            var c = conditions[n];
            var (column, value) = c.Value switch
            {
                { Text: { } text } => ("text_value", (object)text),
                { Number: { } number } => ("number_value", number),
                _ => ("time_value", c.Value.Ticks!.Value),
            };
            var op = c.Comparison switch
            {
                VariableComparison.Equal => "=",
                VariableComparison.GreaterThan => ">",
                VariableComparison.GreaterOrEqual => ">=",
                VariableComparison.LessThan => "<",
                _ => "<=",
            };
            parameters.Add($"vn{n}", c.Name);
            parameters.Add($"vv{n}", value);
            yield return $"EXISTS (SELECT 1 FROM wf_variable_index v{n} WHERE v{n}.instance_id = {instanceColumn} AND v{n}.name = @vn{n} AND v{n}.{column} {op} @vv{n})";
        }
    }

    private static async Task WriteSearchIndexAsync(SqlCommit w, ChangeSet changes)
    {
        if (changes.Part<SearchIndexChanges>() is not { } index)
        {
            return;
        }

        static object Row(VariableIndexRecord r) => new { r.InstanceId, r.Name, r.Value.Text, r.Value.Number, r.Value.Ticks };
        await w.RowsAsync("variable-index", """
            INSERT INTO wf_variable_index (instance_id, name, text_value, number_value, time_value) VALUES (@InstanceId, @Name, @Text, @Number, @Ticks)
            """, index.Inserted, Row).ConfigureAwait(false);
        if (!index.HasUpdatesOrRemovals)
        {
            return;
        }

        await w.RowsAsync("variable-index-updated", """
            UPDATE wf_variable_index SET text_value = @Text, number_value = @Number, time_value = @Ticks WHERE instance_id = @InstanceId AND name = @Name
            """, index.Updated, Row).ConfigureAwait(false);
        await w.RowsAsync("variable-index-removed", "DELETE FROM wf_variable_index WHERE instance_id = @InstanceId AND name = @Name",
            index.Removed, r => new { r.InstanceId, r.Name }).ConfigureAwait(false);
    }

    private sealed class VariableIndexRow
    {
        public Guid InstanceId { get; set; }

        public string Name { get; set; } = "";

        public string? TextValue { get; set; }

        public double? NumberValue { get; set; }

        public long? TimeValue { get; set; }
    }
}
