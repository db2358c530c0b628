using Workflows.Engine.Runtime;

namespace Workflows.Engine.Tests.Runtime;

public sealed class RowIdsTests
{
    [Test]
    public void An_id_is_a_version_7_guid_carrying_its_millisecond()
    {
        var at = new DateTimeOffset(2026, 12, 5, 4, 30, 0, 123, TimeSpan.Zero);

        var id = RowIds.NewId(at);

        Assert.That(id.Version, Is.EqualTo(7));
        Assert.That(id.Variant >> 2, Is.EqualTo(0b10), "the RFC 9562 variant");
        var bytes = id.ToByteArray(bigEndian: true);
        var milliseconds = ((long)bytes[0] << 40) | ((long)bytes[1] << 32) | ((long)bytes[2] << 24) | ((long)bytes[3] << 16) | ((long)bytes[4] << 8) | bytes[5];
        Assert.That(milliseconds, Is.EqualTo(at.ToUnixTimeMilliseconds()));
    }

    [Test]
    public void Ids_are_distinct_across_buffer_refills_and_threads_and_ordered_by_time()
    {
        var at = DateTimeOffset.UtcNow;
        var ids = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                ids.Add(RowIds.NewId(at));
            }
        });

        Assert.That(ids.Distinct().Count(), Is.EqualTo(20_000), "256 ids per refill of the 4 KB buffer: ~20 refills per thread");
        var earlier = RowIds.NewId(at).ToByteArray(bigEndian: true);
        var later = RowIds.NewId(at.AddMilliseconds(1)).ToByteArray(bigEndian: true);
        Assert.That(later.AsSpan(0, 6).SequenceCompareTo(earlier.AsSpan(0, 6)), Is.GreaterThan(0), "a later millisecond sorts later in the stores' byte order");
    }
}
