using Workflows.Host.Features.Api;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Tests;

/// <summary>An agent asking for queues it does not work is refused naming a few of them, not echoing a request of any size.</summary>
public sealed class ForeignQueueProblemTests
{
    [Test]
    public void A_refusal_names_the_first_few_foreign_queues_shortened_and_counts_the_rest()
    {
        var ann = new Caller("ann", new HashSet<string> { "agent" }, "lyon", ["billing"], null);
        var asked = new List<string> { "billing", new('q', 1_000_000) };
        asked.AddRange(Enumerable.Range(0, 100_000).Select(i => $"queue-{i}"));

        var refused = Assert.Throws<ForbiddenException>(() => TasksApi.OwnQueues(ann, asked))!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Message, Does.StartWith("ann does not work the queue(s) qqqq"));
            Assert.That(refused.Message, Does.EndWith("..., queue-0, queue-1, queue-2, queue-3 and 99996 more"));
            Assert.That(refused.Message, Has.Length.LessThan(300));
            Assert.That(TasksApi.OwnQueues(ann, ["billing"]), Is.EqualTo(new[] { "billing" }));
        }
    }
}
