using Workflows.Engine.Feel;

namespace Workflows.Engine.Tests.Feel;

public sealed class FeelContextTests
{
    // A few entries are found by a scan, more through an index: both sizes behave the same.
    [TestCase(3)]
    [TestCase(8)]
    [TestCase(9)]
    [TestCase(40)]
    public void Entries_keep_their_order_through_sets_updates_and_removals_whatever_their_number(int count)
    {
        var context = new FeelContext();
        var expected = new List<KeyValuePair<string, object?>>();
        for (var i = 0; i < count; i++)
        {
            context["k" + i] = (decimal)i;
            expected.Add(new("k" + i, (decimal)i));
        }

        context["k1"] = "updated";
        expected[1] = new("k1", "updated");
        Assert.That(context.Remove("k0"), Is.True);
        expected.RemoveAt(0);
        context["added"] = null;
        expected.Add(new("added", null));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(context.ToList(), Is.EqualTo(expected));
            Assert.That(context.Keys, Is.EqualTo(expected.Select(e => e.Key)));
            Assert.That(context.Count, Is.EqualTo(count + 1 - 1));
            Assert.That(context["k1"], Is.EqualTo("updated"));
            Assert.That(context["k" + (count - 1)], Is.EqualTo((decimal)(count - 1)));
            Assert.That(context.ContainsKey("k0"), Is.False);
            Assert.That(context["k0"], Is.Null);
            Assert.That(context.TryGetValue("added", out var added) && added is null, Is.True);
            Assert.That(context.Remove("k0"), Is.False);
        }
    }

    [TestCase(2)]
    [TestCase(12)]
    public void A_copy_changes_apart_from_its_original(int count)
    {
        var original = new FeelContext();
        for (var i = 0; i < count; i++)
        {
            original["k" + i] = (decimal)i;
        }

        var copy = original.Copy();
        copy["k0"] = "changed";
        copy["new"] = true;
        original.Remove("k1");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(original["k0"], Is.EqualTo(0m));
            Assert.That(original.ContainsKey("new"), Is.False);
            Assert.That(copy["k1"], Is.EqualTo(1m));
            Assert.That(copy.Keys[0], Is.EqualTo("k0"));
            Assert.That(copy.Count, Is.EqualTo(count + 1));
        }
    }

    [Test]
    public void An_empty_context_has_no_keys_and_enumerates_nothing()
    {
        var context = new FeelContext(0);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(context.Count, Is.Zero);
            Assert.That(context.Keys, Is.Empty);
            Assert.That(context.ToList(), Is.Empty);
            Assert.That(context.Copy().Count, Is.Zero);
            Assert.That(context["missing"], Is.Null);
        }
    }

    [Test]
    public void Adding_an_entry_while_enumerating_is_refused_as_a_list_refuses_it()
    {
        var context = new FeelContext { ["a"] = 1m, ["b"] = 2m };

        Assert.That(() =>
        {
            foreach (var (key, _) in context)
            {
                context[key + "2"] = 0m;
            }
        }, Throws.InvalidOperationException);
    }
}
