using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// The controllable clock of a test environment on each database: how it was moved is kept, and a reset moves live
// leases back by as much as the clock went back.
public abstract partial class StoreSuite
{
    [Test]
    public async Task The_controllable_clock_is_kept_and_live_leases_move_back_with_it_each_keeping_the_time_it_had_left()
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
        var moved = now.AddDays(1);

        await store.SaveControlledClockAsync(new Storage.ControlledClockRecord(TimeSpan.FromDays(1), null), default);
        var advanced = await store.GetControlledClockAsync(default);
        await store.SaveControlledClockAsync(new Storage.ControlledClockRecord(TimeSpan.Zero, moved), default);
        var pinned = await store.GetControlledClockAsync(default);

        // A worker takes the job for 30 s in moved time; the clock goes back a day.
        var leased = await store.ClaimDueJobsOfTypeAsync(type, null, moved, 10, "a", moved.AddSeconds(30), default);
        var blockedBefore = await store.ClaimDueJobsOfTypeAsync(type, null, now.AddSeconds(40), 10, "b", now.AddMinutes(2), default);
        var shifted = await store.ShiftLeasesBackAsync(now, TimeSpan.FromDays(1), default);
        var stillHeld = await store.ClaimDueJobsOfTypeAsync(type, null, now.AddSeconds(20), 10, "b", now.AddMinutes(2), default);
        var lease = await store.GetLeasedJobAsync(leased.Single().Id, default);
        var takenOver = await store.ClaimDueJobsOfTypeAsync(type, null, now.AddSeconds(31), 10, "b", now.AddMinutes(2), default);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(advanced, Is.EqualTo(new Storage.ControlledClockRecord(TimeSpan.FromDays(1), null)));
            Assert.That(pinned, Is.EqualTo(new Storage.ControlledClockRecord(TimeSpan.Zero, moved)), "one row, replaced");
            Assert.That(leased.Select(j => j.InstanceId), Is.EqualTo(new[] { instance.Id }));
            Assert.That(blockedBefore, Is.Empty, "without the move, the lease stamped in moved time holds a day");
            Assert.That(shifted, Is.GreaterThanOrEqualTo(1));
            Assert.That(stillHeld, Is.Empty, "the lease keeps the 30 s it had left");
            Assert.That(lease?.LeaseOwner, Is.EqualTo("a"));
            Assert.That(lease?.LeaseUntil, Is.EqualTo(now.AddSeconds(30)));
            Assert.That(takenOver.Select(j => j.InstanceId), Is.EqualTo(new[] { instance.Id }), "another worker takes it once the 30 s are up");
        }
    }
}
