using NUnit.Framework;
using Workflows.Engine.Storage;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>A start retried with its idempotency key answers the first one's instance, on every store.</summary>
public abstract partial class StoreSuite
{
    // A process per test: the in-memory fixture keeps one store for all its tests.
    private static string OnceProcess(string id) => Process(id, $"""<bpmn:startEvent id="s"/>{UserTask("t")}{Chain("s", "t")}""");

    private static StartInstance Once(string process, string key, string scope = "caller-a", int amount = 1) => new(process)
    {
        BusinessKey = "ONCE-" + amount,
        Variables = Vars(("amount", amount)),
        Idempotency = new StartIdempotency(key) { Scope = scope },
    };

    [Test]
    public async Task A_start_sent_again_with_its_idempotency_key_answers_the_first_instance_and_starts_no_other()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(OnceProcess("once-1"));

        var first = await h.Engine.Runtime.StartOnceAsync(Once("once-1", "k-1"));
        var again = await h.Engine.Runtime.StartOnceAsync(Once("once-1", "k-1"));
        var byId = await h.Engine.Runtime.StartAsync(Once("once-1", "k-1"));
        var otherCaller = await h.Engine.Runtime.StartOnceAsync(Once("once-1", "k-1", scope: "caller-b"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Repeated, Is.False);
            Assert.That(again, Is.EqualTo(first with { Repeated = true }), "the same instance and business key, said to be a repeat");
            Assert.That(byId, Is.EqualTo(first.Id));
            Assert.That(otherCaller.Id, Is.Not.EqualTo(first.Id), "a key is the caller's own: another scope's same key starts its own instance");
            Assert.That(await h.InstancesOfAsync("once-1"), Has.Count.EqualTo(2));
        }
    }

    [Test]
    public async Task A_start_made_with_an_idempotency_key_is_found_by_it_in_its_scope_before_anything_is_checked_again()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(OnceProcess("once-find"));
        var asked = new StartIdempotency("k-find") { Scope = "caller-a", Fingerprint = "sha256:asked" };

        var before = await h.Engine.Runtime.FindStartedAsync(asked);
        var first = await h.Engine.Runtime.StartOnceAsync(new StartInstance("once-find") { Idempotency = asked });
        var found = await h.Engine.Runtime.FindStartedAsync(asked);
        var otherScope = await h.Engine.Runtime.FindStartedAsync(asked with { Scope = "caller-b" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.Null);
            Assert.That(found, Is.EqualTo(first with { Repeated = true }));
            Assert.That(otherScope, Is.Null, "a key is its caller's own");
            Assert.That(async () => await h.Engine.Runtime.FindStartedAsync(asked with { Fingerprint = "sha256:other" }), Throws.TypeOf<IdempotencyKeyReusedException>());
        }
    }

    [Test]
    public async Task The_same_idempotency_key_with_another_request_is_refused_naming_the_key_and_starts_nothing()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(OnceProcess("once-2"));
        var first = await h.Engine.Runtime.StartOnceAsync(Once("once-2", "k-2", amount: 1));

        var refused = Assert.ThrowsAsync<IdempotencyKeyReusedException>(async () => await h.Engine.Runtime.StartOnceAsync(Once("once-2", "k-2", amount: 2)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Key, Is.EqualTo("k-2"));
            Assert.That(refused.Message, Does.Contain("'k-2'").And.Contain(first.Id.ToString()));
            Assert.That(await h.InstancesOfAsync("once-2"), Has.Count.EqualTo(1));
        }
    }

    [TestCase("")]
    [TestCase("tab\there")]
    [TestCase("line\nbreak")]
    public async Task A_bad_idempotency_key_is_refused_before_anything_is_started(string key)
    {
        var h = await HarnessAsync();
        await h.DeployAsync(OnceProcess("once-bad"));

        Assert.That(async () => await h.Engine.Runtime.StartOnceAsync(Once("once-bad", key)), Throws.TypeOf<WorkflowInputException>().With.Message.Contains("idempotency key"));
        Assert.That(async () => await h.Engine.Runtime.StartOnceAsync(Once("once-bad", new string('k', 256))), Throws.TypeOf<WorkflowInputException>().With.Message.Contains("255"));
        Assert.That(async () => await h.Engine.Runtime.StartOnceAsync(Once("once-bad", "k-scope", scope: new string('s', 401))), Throws.TypeOf<WorkflowInputException>().With.Message.Contains("scope has 401"));
        // Built here: an attribute's string is kept as UTF-8, where half a surrogate pair becomes U+FFFD.
        Assert.That(async () => await h.Engine.Runtime.StartOnceAsync(Once("once-bad", "half " + '\ud800' + " a pair")), Throws.TypeOf<WorkflowInputException>().With.Message.Contains("unpaired surrogate"));
        Assert.That(await h.InstancesOfAsync("once-bad"), Is.Empty);
    }

    [Test]
    public async Task An_idempotency_key_is_kept_24_hours_then_the_worker_deletes_it_and_the_key_starts_anew()
    {
        var h = await HarnessAsync();
        await h.DeployAsync(OnceProcess("once-3"));
        var retention = new WorkflowEngineOptions().Worker.IdempotencyKeyRetention;
        var first = await h.Engine.Runtime.StartOnceAsync(Once("once-3", "k-3"));

        await h.AdvanceTimeAsync(TimeSpan.FromHours(23));
        await h.Engine.Worker.DeleteIdempotencyKeysAsync(retention);
        var within = await h.Engine.Runtime.StartOnceAsync(Once("once-3", "k-3"));
        await h.AdvanceTimeAsync(TimeSpan.FromHours(2));
        var deletedAfter25Hours = await h.Engine.Worker.DeleteIdempotencyKeysAsync(retention);
        var after = await h.Engine.Runtime.StartOnceAsync(Once("once-3", "k-3"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(retention, Is.EqualTo(TimeSpan.FromHours(24)));
            Assert.That(within.Id, Is.EqualTo(first.Id), "kept after 23 hours");
            Assert.That(deletedAfter25Hours, Is.GreaterThanOrEqualTo(1), "other tests of the fixture may have left keys of their own in the store");
            Assert.That(after.Repeated, Is.False);
            Assert.That(after.Id, Is.Not.EqualTo(first.Id));
        }
    }

    [Test]
    public async Task A_second_commit_of_an_idempotency_key_in_its_scope_is_refused_as_a_lost_race_and_the_first_stays()
    {
        var store = NewStore();
        var key = new IdempotencyKeyRecord("race-scope", "k-" + Guid.NewGuid(), "sha256:first", Guid.NewGuid(), "B-1", DateTimeOffset.UnixEpoch);
        var first = new ChangeSet();
        first.IdempotencyKeys.Add(key);
        await store.CommitAsync(first, default);
        var second = new ChangeSet();
        second.IdempotencyKeys.Add(key with { InstanceId = Guid.NewGuid(), Fingerprint = "sha256:second" });

        Assert.That(async () => await store.CommitAsync(second, default), Throws.TypeOf<ConcurrencyConflictException>());
        Assert.That(await store.GetIdempotencyKeyAsync(key.Scope, key.Key, default), Is.EqualTo(key));
    }

    [Test]
    public async Task The_idempotency_key_purge_deletes_every_key_older_than_its_cutoff_a_batch_at_a_time_and_keeps_the_newer()
    {
        var store = NewStore();
        var scope = "purge-" + Guid.NewGuid();
        // Other tests of the fixture keep keys of their own, all stored after the Unix epoch's first minutes.
        var cutoff = DateTimeOffset.UnixEpoch.AddMinutes(1);
        var changes = new ChangeSet();
        for (var i = 0; i < 7; i++)
        {
            changes.IdempotencyKeys.Add(new IdempotencyKeyRecord(scope, "old-" + i, "sha256:x", Guid.NewGuid(), null, DateTimeOffset.UnixEpoch.AddSeconds(i)));
        }

        changes.IdempotencyKeys.Add(new IdempotencyKeyRecord(scope, "new", "sha256:x", Guid.NewGuid(), null, cutoff.AddDays(400)));
        await store.CommitAsync(changes, default);

        var deleted = await store.DeleteIdempotencyKeysAsync(cutoff, batchSize: 2, default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleted, Is.EqualTo(7), "four batches of at most two");
            Assert.That(await store.GetIdempotencyKeyAsync(scope, "old-6", default), Is.Null);
            Assert.That(await store.GetIdempotencyKeyAsync(scope, "new", default), Is.Not.Null);
        }
    }
}
