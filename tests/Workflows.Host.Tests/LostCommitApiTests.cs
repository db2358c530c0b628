using System.Net;
using Npgsql;
using Workflows.Engine.Sql.Tests;

namespace Workflows.Host.Tests;

/// <summary>
/// A host on PostgreSQL whose connection is cut at a keyed start's COMMIT (a TCP relay between the host and the server,
/// <see cref="CommitCuttingRelay"/>): when the database cannot say whether the start committed, the answer is the distinct
/// 503 "The outcome of the request is unknown" telling the caller to retry with the same key, and that retry answers the
/// case if it was made and makes it if not; when the server says the transaction aborted, the usual 503, and the retry
/// makes the case (docs/api.md, "Retrying a start").
/// </summary>
[NonParallelizable]
public sealed class LostCommitApiTests
{
    private const string OutcomeUnknown = "The outcome of the request is unknown";

    private TestHost _host = null!;
    private CommitCuttingRelay _relay = null!;

    [OneTimeSetUp]
    public async Task StartTheHostBehindTheRelay()
    {
        // The worker's and the bus's polls sleep long: the COMMIT cut is the start's, not a background lease's.
        _host = await TestHost.StartAsync(Backend.PostgreSqlAndRabbitMq, new Dictionary<string, string>
        {
            ["Workflows__Engine__Worker__PollInterval"] = "00:10:00",
            ["Workflows__Bus__PollInterval"] = "00:10:00",
        });
        var direct = new NpgsqlConnectionStringBuilder(_host.Backend.Settings["Workflows__Store__ConnectionString"]);
        _relay = new CommitCuttingRelay(direct.Host!, direct.Port);
        // The host reads its settings as it first builds (below): the store's connection goes through the relay. The
        // variable is one TestHost set, so it restores it when disposed.
        Environment.SetEnvironmentVariable("Workflows__Store__ConnectionString", new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Host = "127.0.0.1", Port = _relay.Port }.ConnectionString);
        await _host.As("ann");
        await _host.As("sofia");
    }

    [OneTimeTearDown]
    public async Task StopTheHost()
    {
        await _host.DisposeAsync();
        await _relay.DisposeAsync();
    }

    [Test]
    public async Task A_start_whose_commit_outcome_cannot_be_learned_answers_the_distinct_503_and_its_retry_with_the_key_answers_the_case_it_made()
    {
        var (ann, sofia) = (await _host.As("ann"), await _host.As("sofia"));
        var cutBefore = _relay.CommitsCut;
        _relay.Cut(CommitCut.AfterTheServerAnsweredAndRefuse);

        using var lost = await ann.StartAsync(KeyedStarts.Complaint("LOST-COMMITTED"), "lost-committed");
        var (title, detail) = await lost.ProblemOfAsync(HttpStatusCode.ServiceUnavailable);
        _relay.Refusing = false;
        using var retried = await ann.RetryUntilAnsweredAsync(KeyedStarts.Complaint("LOST-COMMITTED"), "lost-committed");
        var answered = await retried.StartedIdAsync();
        var cases = await sofia.CasesAsync("LOST-COMMITTED");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(_relay.CommitsCut - cutBefore, Is.EqualTo(1), "the start's COMMIT was cut after the server committed it");
            Assert.That(title, Is.EqualTo(OutcomeUnknown));
            Assert.That(detail, Does.Contain("it may have been applied").And.Contain("Retry it with the same Idempotency-Key"));
            Assert.That(lost.Headers.RetryAfter, Is.Not.Null);
            Assert.That(retried.Replayed(), Is.True, "the start had committed: the retry answers its case");
            Assert.That(cases, Is.EqualTo(new[] { answered }), "one case, the one the retry answers");
        }
    }

    [Test]
    public async Task A_start_whose_commit_never_reached_the_server_and_cannot_be_asked_answers_the_distinct_503_and_its_retry_makes_the_case()
    {
        var (ann, sofia) = (await _host.As("ann"), await _host.As("sofia"));
        _relay.Cut(CommitCut.BeforeTheServerSawItAndRefuse);

        using var lost = await ann.StartAsync(KeyedStarts.Complaint("LOST-NEVER"), "lost-never");
        var (title, _) = await lost.ProblemOfAsync(HttpStatusCode.ServiceUnavailable);
        _relay.Refusing = false;
        var before = await sofia.CasesAsync("LOST-NEVER");
        using var retried = await ann.RetryUntilAnsweredAsync(KeyedStarts.Complaint("LOST-NEVER"), "lost-never");
        var answered = await retried.StartedIdAsync();
        var cases = await sofia.CasesAsync("LOST-NEVER");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(title, Is.EqualTo(OutcomeUnknown), "nobody could ask the server");
            Assert.That(before, Is.Empty, "the server never saw the COMMIT");
            Assert.That(retried.Replayed(), Is.False, "nothing had been started: the retry starts it");
            Assert.That(cases, Is.EqualTo(new[] { answered }));
        }
    }

    [Test]
    public async Task A_start_the_server_says_aborted_answers_the_usual_503_that_nothing_was_changed_and_its_retry_makes_the_case()
    {
        var (ann, sofia) = (await _host.As("ann"), await _host.As("sofia"));
        _relay.Cut(CommitCut.BeforeTheServerSawIt);

        using var aborted = await ann.StartAsync(KeyedStarts.Complaint("LOST-ABORTED"), "lost-aborted");
        var (title, detail) = await aborted.ProblemOfAsync(HttpStatusCode.ServiceUnavailable);
        var before = await sofia.CasesAsync("LOST-ABORTED");
        using var retried = await ann.RetryUntilAnsweredAsync(KeyedStarts.Complaint("LOST-ABORTED"), "lost-aborted");
        var answered = await retried.StartedIdAsync();
        var cases = await sofia.CasesAsync("LOST-ABORTED");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(title, Is.EqualTo("The store is unavailable"), "the server answered that the transaction aborted");
            Assert.That(detail, Does.Contain("nothing was changed; try again later"));
            Assert.That(aborted.Headers.RetryAfter, Is.Not.Null);
            Assert.That(before, Is.Empty);
            Assert.That(retried.Replayed(), Is.False);
            Assert.That(cases, Is.EqualTo(new[] { answered }));
        }
    }
}
