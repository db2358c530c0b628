using Dapper;
using Npgsql;
using NUnit.Framework;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// On PostgreSQL a commit's writes (a group's, for group commit) go to the server as one batch: one round trip, then
/// the COMMIT. A guard that fails or a statement the server refuses is charged to the change set that wrote it; the
/// others of the group commit without it.
/// </summary>
[NonParallelizable]
public sealed class PostgresCommitBatchTests
{
    private static readonly DateTimeOffset s_at = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly string _database = "wf_test_" + Guid.NewGuid().ToString("N")[..12];

    private static string Server => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
        ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");

    private SqlStoreOptions Store => new() { Provider = SqlProvider.PostgreSql, ConnectionString = new NpgsqlConnectionStringBuilder(Server) { Database = _database }.ConnectionString };

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        await using (var connection = new NpgsqlConnection(Server))
        {
            await connection.ExecuteAsync($"CREATE DATABASE {_database}");
        }

        await SqlWorkflowEngine.MigrateAsync(Store);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Server);
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    private static JobRecord Job(Guid? id = null, int retries = 3) =>
        new(id ?? Guid.NewGuid(), Guid.NewGuid(), 2, "call", "batched", retries, s_at, s_at, "{}", "{}");

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_commit_of_writes_to_several_tables_is_one_round_trip_before_its_commit(bool groupCommit)
    {
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), Store.ConnectionString, groupCommit);
        var instance = Guid.NewGuid();
        var changes = new ChangeSet();
        changes.JobsCreated.AddRange([Job(), Job()]);
        changes.Definitions.Add(new DefinitionRecord(Guid.NewGuid(), "batched-" + Guid.NewGuid().ToString("N")[..8], 1, null, "sum", "<xml/>", Guid.NewGuid(), s_at, null));
        changes.History.Add(new HistoryRecord(instance, s_at, "instance-started", null, null, "ann", null));
        await store.CommitAsync(new ChangeSet(), default); // the pool's first connection opened outside the count

        var before = NpgsqlCommands.Count;
        await store.CommitAsync(changes, default);
        var ran = NpgsqlCommands.Count - before;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ran, Is.EqualTo(1), "the jobs, the definition and the history went to the server in one batch");
            Assert.That(await store.GetJobAsync(changes.JobsCreated[1].Id, default), Is.Not.Null);
            Assert.That(await store.GetDefinitionAsync(changes.Definitions[0].Id, default), Is.Not.Null);
            Assert.That((await store.GetHistoryAsync(instance, default)).Select(h => h.Kind), Is.EqualTo(new[] { "instance-started" }));
        }
    }

    [Test]
    public async Task In_a_group_a_change_set_refused_by_a_key_and_one_whose_guard_fails_are_left_out_and_the_others_commit()
    {
        var store = new SqlWorkflowStore(Store);
        var taken = Job(retries: 3);
        await store.CommitAsync(Changes(c => c.JobsCreated.Add(taken)), default);

        var first = Job();
        var twice = Job(taken.Id, retries: 9);
        var afterTwice = Job();
        var unfired = Job();
        var last = Job();
        var group = new List<PendingCommit>
        {
            new(Changes(c => c.JobsCreated.Add(first)), default),
            // Refused by the server half-way through the batch (the job's key), after the first change set's writes ran.
            new(Changes(c => c.JobsCreated.AddRange([afterTwice, twice])), default),
            // No statement refused: its guard (the timer it fires is gone) fails only once the batch has run.
            new(Changes(c =>
            {
                c.JobsCreated.Add(unfired);
                c.FiredTimer = Guid.NewGuid();
            }), default),
            new(Changes(c => c.JobsCreated.Add(last)), default),
        };

        await store.FlushGroupAsync(group);
        var outcomes = new List<Exception?>();
        foreach (var pending in group)
        {
            outcomes.Add(await Outcome(pending.Done));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcomes[0], Is.Null);
            Assert.That(outcomes[1], Is.TypeOf<ConcurrencyConflictException>().With.Message.Contains("another command wrote the same row first"));
            Assert.That(outcomes[2], Is.TypeOf<ConcurrencyConflictException>().With.Message.Contains("was fired or closed by another command"));
            Assert.That(outcomes[3], Is.Null);
            Assert.That(await store.GetJobAsync(first.Id, default), Is.Not.Null);
            Assert.That(await store.GetJobAsync(last.Id, default), Is.Not.Null);
            Assert.That((await store.GetJobAsync(taken.Id, default))!.Retries, Is.EqualTo(3), "the job written twice kept its first row");
            Assert.That(await store.GetJobAsync(afterTwice.Id, default), Is.Null, "nothing of the refused change set was kept");
            Assert.That(await store.GetJobAsync(unfired.Id, default), Is.Null, "nothing of the change set whose guard failed was kept");
        }
    }

    [Test]
    public async Task A_guard_that_fails_alone_is_reported_as_the_command_conflict_and_writes_nothing()
    {
        var store = new SqlWorkflowStore(SqlDialect.For(SqlProvider.PostgreSql), Store.ConnectionString, groupCommit: false);
        var job = Job();

        Assert.That(async () => await store.CommitAsync(Changes(c =>
        {
            c.JobsCreated.Add(job);
            c.FiredTimer = Guid.NewGuid();
        }), default), Throws.TypeOf<ConcurrencyConflictException>().With.Message.Contains("was fired or closed by another command"));
        Assert.That(await store.GetJobAsync(job.Id, default), Is.Null);
    }

    private static ChangeSet Changes(Action<ChangeSet> fill)
    {
        var changes = new ChangeSet();
        fill(changes);
        return changes;
    }

    private static async Task<Exception?> Outcome(Task done)
    {
        try
        {
            await done;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
