using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;
using Workflows.Engine;

namespace Workflows.Bench;

/// <summary>
/// The complaint's floor on PostgreSQL (issue 19, round 17): every statement the engine sent for one complaint (its
/// start, and each task list read and completion the persisted benchmark makes), captured with its parameters from
/// Npgsql's own log, then sent again by the driver alone for many complaints: the same statements, reads included,
/// so the same rows and index entries, each complaint's ids fresh. A group of complaints makes one transaction per
/// engine command (the start of all of them, then their first completion, …), as group commit writes a group, and
/// each transaction is one round trip (its <c>BEGIN</c>, statements and <c>COMMIT</c> in one batch).
/// </summary>
internal sealed partial class ComplaintFloor
{
    private readonly List<List<Statement>> _transactions;
    private readonly HashSet<Guid> _ownIds;
    private long _written;

    private readonly List<List<Statement>> _steps;

    private ComplaintFloor(List<List<Statement>> steps, List<List<Statement>> transactions, HashSet<Guid> ownIds)
    {
        _steps = steps;
        _transactions = transactions;
        _ownIds = ownIds;
    }

    /// <summary>The same floor without its reads: what the reads cost is the difference.</summary>
    public ComplaintFloor WritesOnly() =>
        new(_steps.ConvertAll(step => step.FindAll(s => !IsRead(s))), _transactions.ConvertAll(t => t.FindAll(s => !IsRead(s))), _ownIds);

    /// <summary>Statements per complaint and round trips per group, for the report.</summary>
    public string Describe() =>
        $"{_transactions.Sum(t => t.Count)} statements per complaint ({_transactions.Sum(t => t.Count(IsRead))} reads) in {_transactions.Count} transactions, {_ownIds.Count} ids of its own; "
        + $"the engine sent them in {_steps.Sum(s => s.Select(r => r.RoundTrip).Distinct().Count())} round trips and {_steps.Count(s => !s.All(IsRead))} COMMITs";

    /// <summary>
    /// Runs two complaints one after the other, each engine call captured apart; the ids that differ between the two are
    /// the complaint's own (its instance, tasks, …), those they share (the definition's) are kept as they are.
    /// </summary>
    public static async Task<ComplaintFloor> CaptureAsync(WorkflowEngine engine, IReadOnlyDictionary<string, object?> variables, string connectionString)
    {
        var first = await CaptureOneAsync(engine, variables, connectionString);
        var second = await CaptureOneAsync(engine, variables, connectionString);
        var shared = second.SelectMany(s => s).SelectMany(s => s.Parameters).SelectMany(IdsIn).ToHashSet();
        var own = first.SelectMany(s => s).SelectMany(s => s.Parameters).SelectMany(IdsIn).Where(id => !shared.Contains(id)).ToHashSet();

        // A command's reads ride with the next command's writes: the driver needs no answer before it writes.
        var transactions = new List<List<Statement>>();
        var pending = new List<Statement>();
        foreach (var step in first)
        {
            pending.AddRange(step);
            if (!pending.All(IsRead))
            {
                transactions.Add(pending);
                pending = [];
            }
        }

        transactions[^1].AddRange(pending);
        if (Environment.GetEnvironmentVariable("WORKFLOWS_BENCH_FLOOR_DUMP") is { Length: > 0 } dump)
        {
            await File.WriteAllLinesAsync(dump, transactions.SelectMany((t, i) => t.Select(s =>
                $"{i}: {string.Join(' ', s.Sql.Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries))} -- {string.Join(", ", s.Parameters.Select(p => p is null ? "null" : $"{p.GetType().Name}:{Clip(p.ToString())}"))}")));
        }

        var types = await ParameterTypesAsync(connectionString, first.SelectMany(s => s).Select(s => s.Sql).Distinct());
        var typed = first.ConvertAll(step => step.ConvertAll(s => s.Typed(types[s.Sql])));
        return new ComplaintFloor(typed, [.. transactions.Select(t => t.ConvertAll(s => s.Typed(types[s.Sql])))], own);
    }

    // Each statement's parameter types as the server reads them (a prepared statement's), so that the floor binds every
    // parameter with one type each time as the engine does: untyped, a null's type was left to the server at each run
    // and Npgsql prepared the statement anew, the server parsing and planning it (a fifth of its CPU in a first profile).
    private static async Task<Dictionary<string, string[]>> ParameterTypesAsync(string connectionString, IEnumerable<string> statements)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var types = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var sql in statements)
        {
            await using (var prepare = new NpgsqlCommand($"PREPARE floor_statement AS {sql}", connection))
            {
                await prepare.ExecuteNonQueryAsync();
            }

            await using var read = new NpgsqlCommand("SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = 'floor_statement'; DEALLOCATE floor_statement", connection);
            types[sql] = (string[])(await read.ExecuteScalarAsync())!;
        }

        return types;
    }

    // Npgsql logs a byte array as the text of its first ten bytes; the one a complaint's commands write, the instance's
    // state, is read back after each command, which wrote it whole.
    private static async Task<List<List<Statement>>> CaptureOneAsync(WorkflowEngine engine, IReadOnlyDictionary<string, object?> variables, string connectionString)
    {
        var steps = new List<List<Statement>>();
        Guid id = default;
        async Task Step(Func<Task> call)
        {
            NpgsqlCapture.Instance.Start();
            await call();
            var step = NpgsqlCapture.Instance.Stop();
            if (step.Any(s => s.Parameters.Any(IsLoggedBytes)))
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var read = new NpgsqlCommand("SELECT state FROM wf_instances WHERE id = $1", connection) { Parameters = { new() { Value = id } } };
                var state = (byte[])(await read.ExecuteScalarAsync())!;
                step = [.. step.Select(s => s with { Parameters = [.. s.Parameters.Select(p => IsLoggedBytes(p) ? state : p)] })];
            }

            steps.Add(step);
        }

        await Step(async () => id = await engine.Runtime.StartAsync(new StartInstance("complaint") { Variables = new Dictionary<string, object?>(variables) }));
        while (true)
        {
            IReadOnlyList<UserTaskInfo> tasks = [];
            await Step(async () => tasks = await engine.Tasks.GetOpenAsync(id));
            if (tasks.Count == 0)
            {
                return steps;
            }

            foreach (var task in tasks)
            {
                await Step(() => engine.Tasks.CompleteAsync(task.Id));
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="count"/> complaints on one connection one command at a time, each in the round trips the
    /// engine sent it in (each read alone, the writes in a batch, then the <c>COMMIT</c> alone): what the server spends
    /// beyond the rows for the engine's round trips and its transactions of one command.
    /// </summary>
    public async Task WriteAsTheEngineAsync(NpgsqlConnection connection, int count)
    {
        for (var done = 0; done < count; done++)
        {
            var ids = new Dictionary<Guid, Guid>();
            var later = Interlocked.Increment(ref _written);
            foreach (var step in _steps)
            {
                await using var transaction = step.All(IsRead) ? null : await connection.BeginTransactionAsync();
                foreach (var roundTrip in step.GroupBy(s => s.RoundTrip))
                {
                    await using var batch = new NpgsqlBatch(connection, transaction);
                    foreach (var statement in roundTrip)
                    {
                        batch.BatchCommands.Add(Command(statement, ids, later));
                    }

                    await batch.ExecuteNonQueryAsync();
                }

                if (transaction is not null)
                {
                    await transaction.CommitAsync();
                }
            }
        }
    }

    private NpgsqlBatchCommand Command(Statement statement, Dictionary<Guid, Guid> ids, long later)
    {
        var command = new NpgsqlBatchCommand(statement.Sql);
        foreach (var value in statement.Parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = Fresh(value, ids, later), DataTypeName = statement.Types[command.Parameters.Count] });
        }

        return command;
    }

    private static bool IsRead(Statement statement) => statement.Sql.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes <paramref name="count"/> complaints on one connection in groups of <paramref name="group"/>.</summary>
    public async Task WriteAsync(NpgsqlConnection connection, int group, int count)
    {
        for (var done = 0; done < count; done += group)
        {
            var ids = Enumerable.Range(0, Math.Min(group, count - done)).Select(_ => (Ids: new Dictionary<Guid, Guid>(), Later: Interlocked.Increment(ref _written))).ToList();
            foreach (var transaction in _transactions)
            {
                await using var batch = new NpgsqlBatch(connection);
                batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
                foreach (var complaint in ids)
                {
                    foreach (var statement in transaction)
                    {
                        batch.BatchCommands.Add(Command(statement, complaint.Ids, complaint.Later));
                    }
                }

                batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
                await batch.ExecuteNonQueryAsync();
            }
        }
    }

    // The complaint's own ids anew (time-ordered, as the engine makes them), in a text too; its times (ticks or
    // microseconds) a tick later than the complaint's before, so that an index on a time does not hold one value many
    // times over; the rest as captured.
    private object Fresh(object? value, Dictionary<Guid, Guid> complaint, long later) => value switch
    {
        null => DBNull.Value,
        long time when time is > 1_000_000_000_000_000 and < 1_000_000_000_000_000_000 => time + later,
        Guid id when _ownIds.Contains(id) => Map(id, complaint),
        string text when GuidText().IsMatch(text) => GuidText().Replace(text, m => Guid.TryParse(m.Value, out var id) && _ownIds.Contains(id)
            ? Format(Map(id, complaint), m.Value)
            : m.Value),
        _ => value,
    };

    private static Guid Map(Guid id, Dictionary<Guid, Guid> complaint)
    {
        if (!complaint.TryGetValue(id, out var fresh))
        {
            complaint[id] = fresh = Guid.CreateVersion7();
        }

        return fresh;
    }

    private static string Format(Guid id, string like) =>
        like.Any(char.IsUpper) ? id.ToString(like.Length == 32 ? "N" : "D").ToUpperInvariant() : id.ToString(like.Length == 32 ? "N" : "D");

    private static bool IsLoggedBytes(object? value) => value is string text && LoggedBytes().IsMatch(text);

    [GeneratedRegex(@"^\[\d{1,3}(, \d{1,3})*(, \.\.\.)?\]$")]
    private static partial Regex LoggedBytes();

    private static string Clip(string? text) => text is null ? "" : text.Length > 40 ? text[..40] + "…" : text;

    private static IEnumerable<Guid> IdsIn(object? value) => value switch
    {
        Guid id => [id],
        string text => GuidText().Matches(text).Select(m => Guid.TryParse(m.Value, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty),
        _ => [],
    };

    private static bool IsTransactionControl(string sql) => sql.Trim().TrimEnd(';').ToUpperInvariant() is "BEGIN" or "COMMIT" or "ROLLBACK";

    [GeneratedRegex("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")]
    private static partial Regex GuidText();

    /// <summary>A statement as the engine sent it, and the round trip (Npgsql's command or batch) it went in.</summary>
    public sealed record Statement(string Sql, object?[] Parameters, long RoundTrip)
    {
        /// <summary>The server's type of each parameter (empty until <see cref="Typed"/>).</summary>
        public string[] Types { get; init; } = [];

        /// <summary>The statement with its parameters' types, each value as the type's own (a number logged as an int for a bigint).</summary>
        public Statement Typed(string[] types) => this with
        {
            Types = types,
            Parameters = [.. Parameters.Select((value, i) => value is null ? null : types[i] switch
            {
                "bigint" => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
                "integer" => Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture),
                "smallint" => Convert.ToInt16(value, System.Globalization.CultureInfo.InvariantCulture),
                "double precision" => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
                "text" => value as string ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
                _ => value,
            })],
        };
    }

    /// <summary>
    /// Npgsql's log of the commands it completed, with their parameters, while <see cref="Start"/>ed: installed before the
    /// process opens its first connection (Npgsql reads its logging set-up once). A DBNull parameter is logged as the
    /// text "NULL" and taken back as null.
    /// </summary>
    internal sealed class NpgsqlCapture : ILoggerFactory, ILogger
    {
        public static readonly NpgsqlCapture Instance = new();
        private readonly List<Statement> _ran = [];
        private volatile bool _capturing;
        private long _roundTrips;

        public static void Install() => NpgsqlLoggingConfiguration.InitializeLogging(Instance, parameterLoggingEnabled: true);

        public void Start()
        {
            lock (_ran)
            {
                _ran.Clear();
            }

            _capturing = true;
        }

        public List<Statement> Stop()
        {
            _capturing = false;
            lock (_ran)
            {
                return [.. _ran];
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // Information: the "completed" messages only (a command that failed is not one the floor repeats).
        public bool IsEnabled(LogLevel logLevel) => _capturing && logLevel == LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel) || state is not IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                return;
            }

            var text = fields.FirstOrDefault(f => f.Key == "CommandText").Value as string;
            var parameters = fields.FirstOrDefault(f => f.Key == "Parameters").Value;
            var batch = fields.FirstOrDefault(f => f.Key == "BatchCommands").Value;
            var ran = new List<Statement>();
            var roundTrip = Interlocked.Increment(ref _roundTrips);
            if (text is not null && parameters is System.Collections.IEnumerable values)
            {
                ran.Add(new Statement(text, Values(values), roundTrip));
            }
            else if (batch is System.Collections.IEnumerable commands)
            {
                foreach (var command in commands)
                {
                    if (command is ITuple { Length: 2 } pair && pair[0] is string sql)
                    {
                        ran.Add(new Statement(sql, pair[1] is System.Collections.IEnumerable each ? Values(each) : [], roundTrip));
                    }
                }
            }

            lock (_ran)
            {
                _ran.AddRange(ran.Where(s => !IsTransactionControl(s.Sql))); // the floor sends its own
            }
        }

        private static object?[] Values(System.Collections.IEnumerable values) =>
            [.. values.Cast<object?>().Select(v => v is "NULL" or DBNull ? null : v)];
    }
}
