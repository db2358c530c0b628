using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// The controllable clock of a test environment on each database: how it was moved is kept; leases run in lease time
// (the host's) whatever the engine's clock shows; a restart that drops the move frees the leases.
public abstract partial class StoreSuite
{
    [Test]
    public async Task The_controllable_clock_is_kept_and_a_lease_ends_in_lease_time_while_due_times_follow_the_pinned_clock()
    {
        var h = await HarnessAsync();
        var store = NewStore();
        var run = Guid.NewGuid().ToString("N")[..8];
        var type = $"clock-{run}";
        await h.DeployAsync(Process($"clock-{run}", $"""
            <bpmn:startEvent id="s"/>{ServiceTask("call", type)}<bpmn:endEvent id="e"/>{Chain("s", "call", "e")}
            """));
        var instance = await h.StartAsync($"clock-{run}");
        var now = h.Clock.GetUtcNow();
        var pinned = now.AddDays(1);

        await store.SaveControlledClockAsync(new Storage.ControlledClockRecord(TimeSpan.FromDays(1), null), default);
        var advanced = await store.GetControlledClockAsync(default);
        await store.SaveControlledClockAsync(new Storage.ControlledClockRecord(TimeSpan.Zero, pinned), default);
        var kept = await store.GetControlledClockAsync(default);

        // The engine's clock stands at the pinned instant throughout; the host's runs on.
        var notDueYet = await store.ClaimDueJobsOfTypeAsync(type, null, now.AddSeconds(-1), 10, "a", now, now.AddSeconds(30), default);
        var leased = await store.ClaimDueJobsOfTypeAsync(type, null, pinned, 10, "a", now, now.AddSeconds(30), default);
        var stillHeld = await store.ClaimDueJobsOfTypeAsync(type, null, pinned, 10, "b", now.AddSeconds(30), now.AddMinutes(2), default);
        var takenOver = await store.ClaimDueJobsOfTypeAsync(type, null, pinned, 10, "b", now.AddSeconds(31), now.AddMinutes(2), default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(advanced, Is.EqualTo(new Storage.ControlledClockRecord(TimeSpan.FromDays(1), null)));
            Assert.That(kept, Is.EqualTo(new Storage.ControlledClockRecord(TimeSpan.Zero, pinned)), "one row, replaced");
            Assert.That(notDueYet, Is.Empty, "due in the engine's time");
            Assert.That(leased.Select(j => j.InstanceId), Is.EqualTo(new[] { instance.Id }));
            Assert.That(stillHeld, Is.Empty, "held up to and including its end in lease time");
            Assert.That(takenOver.Select(j => j.InstanceId), Is.EqualTo(new[] { instance.Id }), "the pinned clock does not hold the lease: 31 s of lease time later another worker takes it");
        }
    }

    [Test]
    public async Task Freeing_the_leases_makes_every_leased_row_claimable_at_once()
    {
        var h = await HarnessAsync();
        var store = NewStore();
        var run = Guid.NewGuid().ToString("N")[..8];
        var type = $"free-{run}";
        await h.DeployAsync(Process($"free-{run}", $"""
            <bpmn:startEvent id="s"/>{ServiceTask("call", type)}<bpmn:endEvent id="e"/>{Chain("s", "call", "e")}
            """));
        var instance = await h.StartAsync($"free-{run}");
        var now = h.Clock.GetUtcNow();
        var lease = $"free-lease-{run}";

        var leased = await store.ClaimDueJobsOfTypeAsync(type, null, now, 10, "a", now, now.AddDays(2), default);
        var named = await store.TryTakeLeaseAsync(lease, "a", now, now.AddDays(2), default);
        var freed = await store.ReleaseLeasesAsync(now, default);
        var job = await store.GetLeasedJobAsync(leased.Single().Id, default);
        var again = await store.ClaimDueJobsOfTypeAsync(type, null, now, 10, "b", now, now.AddSeconds(30), default);
        var namedAgain = await store.TryTakeLeaseAsync(lease, "b", now, now.AddSeconds(30), default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(named, Is.True);
            Assert.That(freed, Is.GreaterThanOrEqualTo(2));
            Assert.That(job?.LeaseOwner, Is.Null);
            Assert.That(job?.LeaseUntil, Is.Null);
            Assert.That(again.Select(j => j.InstanceId), Is.EqualTo(new[] { instance.Id }));
            Assert.That(namedAgain, Is.True, "a named lease is freed too");
        }
    }
}
