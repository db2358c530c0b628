using Workflows.Engine.Decisions;
using Workflows.Engine.Feel;

namespace Workflows.Engine.Tests.Decisions;

/// <summary>The cache of parsed decision models is bounded by the size of their documents, least recently used dropped first (review18 F18).</summary>
public sealed class DecisionModelCacheTests
{
    private static readonly DecisionModel Model = DecisionModel.Read("""
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="urn:cache">
          <decision id="one" name="one"><literalExpression><text>1</text></literalExpression></decision>
        </definitions>
        """).Model!;

    [Test]
    public void Models_over_the_character_budget_push_out_the_least_recently_used_and_one_larger_than_it_is_not_kept()
    {
        var cache = new DecisionModelCache(maxCharacters: 1000, maxEntries: 100);
        var limits = FeelLimits.Default;
        var (a, b, c, huge) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        cache.Add(a, limits, Model, 400);
        cache.Add(b, limits, Model, 400);
        Assert.That(cache.TryGet(a, limits, out _), Is.True); // a is used again: b is now the least recent
        cache.Add(c, limits, Model, 400);
        cache.Add(huge, limits, Model, 1001);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(cache.TryGet(a, limits, out _), Is.True);
            Assert.That(cache.TryGet(b, limits, out _), Is.False, "the least recently used went first");
            Assert.That(cache.TryGet(c, limits, out _), Is.True);
            Assert.That(cache.TryGet(huge, limits, out _), Is.False, "a document larger than the budget is read each time, never kept");
            Assert.That(cache.Characters, Is.EqualTo(800));
        }
    }

    [Test]
    public void Models_over_the_count_push_out_the_least_recently_used()
    {
        var cache = new DecisionModelCache(maxCharacters: 1_000_000, maxEntries: 2);
        var ids = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in ids)
        {
            cache.Add(id, FeelLimits.Default, Model, 10);
        }

        Assert.That(ids.Select(id => cache.TryGet(id, FeelLimits.Default, out _)), Is.EqualTo(new[] { false, true, true }));
    }
}
