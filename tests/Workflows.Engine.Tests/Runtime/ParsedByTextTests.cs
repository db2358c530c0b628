using Workflows.Engine.Runtime;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>A stored text parsed once and kept by its exact content; a text that does not parse is never kept.</summary>
public sealed class ParsedByTextTests
{
    [Test]
    public void A_text_is_parsed_once_another_text_again_and_a_failed_parse_every_time()
    {
        var parses = new List<string>();
        var parsed = new ParsedByText<string>(text =>
        {
            parses.Add(text);
            return text == "broken" ? throw new FormatException("not a form") : text.ToUpperInvariant();
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(parsed.Get("[1]"), Is.EqualTo("[1]"));
            Assert.That(parsed.Get("form"), Is.EqualTo("FORM"));
            Assert.That(parsed.Get(new string("form".ToCharArray())), Is.SameAs(parsed.Get("form")), "kept by content, not by the string instance");
            Assert.That(parsed.Get("Form"), Is.EqualTo("FORM"), "another text (case counts) is parsed on its own");
            Assert.Throws<FormatException>(() => parsed.Get("broken"));
            Assert.Throws<FormatException>(() => parsed.Get("broken"));
            Assert.That(parses, Is.EqualTo(new[] { "[1]", "form", "Form", "broken", "broken" }));
        }
    }

    [Test]
    public void A_full_cache_is_emptied_and_fills_again()
    {
        var parses = 0;
        var parsed = new ParsedByText<string>(text =>
        {
            parses++;
            return text;
        }, capacity: 2);

        parsed.Get("a");
        parsed.Get("b");
        parsed.Get("c"); // full: emptied, then keeps c
        parsed.Get("c");
        parsed.Get("a");

        Assert.That(parses, Is.EqualTo(4));
    }
}
