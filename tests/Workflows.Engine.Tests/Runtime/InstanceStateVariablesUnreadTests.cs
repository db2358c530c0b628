using System.Text;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// A state read for a command that reads no variable (a claim): its variables are checked as a whole read checks them, kept
/// as stored, and read when something asks for them, to the same values; a state a whole read refuses is refused the same.
/// </summary>
public sealed class InstanceStateVariablesUnreadTests
{
    private static readonly Guid s_instance = Guid.Parse("0190c0de-0000-7000-8000-000000000001");

    private static InstanceRecord Record(string json) => Record(Encoding.UTF8.GetBytes(json));

    private static InstanceRecord Record(byte[] json) =>
        new(s_instance, "journey", Guid.NewGuid(), 1, null, ProcessInstanceStatus.Active, 3, DateTimeOffset.UnixEpoch, null, null, json);

    private const string Typical = """
        {"fmt":3,"next":3,"vars":{"caseId":"C-1","amount":1500.25,"ok":true,"none":null,"text":"caf\u00e9 \"q\" \\u","list":[1,[2,{"x":[]}],{}],"customer":{"name":"Ann","tags":["a","b"]}},
         "elements":[{"k":1,"id":"journey"},{"k":2,"id":"a","p":1,"v":{"local":1}}]}
        """;

    [Test]
    public void Variables_kept_unread_are_not_read_until_asked_for_then_read_as_a_whole_read_reads_them()
    {
        var unread = InstanceStateReader.Read(Record(Typical), null, variablesUnread: true);
        var kept = unread.UnreadVariables;
        var whole = InstanceStateReader.Read(Record(Typical), null);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(kept, Is.Not.Null, "kept as stored");
            Assert.That(kept!.IsRead, Is.False, "not read by the state's read");
            Assert.That(unread.Elements[2].Variables!["local"], Is.EqualTo(1m), "an element's own variables are read as before");
            Assert.That(unread.Elements[1].Variables, Is.SameAs(unread.Variables), "the scope's and the state's stay one context");
            Assert.That(kept.IsRead, Is.True);
            Assert.That(unread.UnreadVariables, Is.Null);
            Assert.That(InstanceStateSerializer.Serialize(unread), Is.EqualTo(InstanceStateSerializer.Serialize(whole)));
        }
    }

    [Test]
    public void A_state_written_back_without_asking_for_its_variables_keeps_them()
    {
        var unread = InstanceStateReader.Read(Record(Typical), null, variablesUnread: true);
        var written = InstanceStateSerializer.Serialize(unread);

        Assert.That(InstanceStateReader.Read(Record(Encoding.UTF8.GetString(written)), null).Variables["customer"], Is.Not.Null);
    }

    // What only a whole read can judge is read whole: an escaped name, an escaped surrogate (here a pair).
    [TestCase("""{"fmt":3,"next":2,"vars":{"\u006eame":"escaped key"},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"s":"\ud83d\ude00"},"elements":[{"k":1,"id":"journey"}]}""")]
    public void Variables_only_a_whole_read_can_judge_are_read_whole_to_the_same_values(string json)
    {
        var unread = InstanceStateReader.Read(Record(json), null, variablesUnread: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(unread.UnreadVariables, Is.Null, "read whole");
            Assert.That(InstanceStateSerializer.Serialize(unread), Is.EqualTo(InstanceStateSerializer.Serialize(InstanceStateReader.Read(Record(json), null))));
        }
    }

    // Every state the whole read refuses (review12 F1, F2's shapes): refused the same, in the same words.
    [TestCase("""{"fmt":3,"next":2,"vars":{"a":"secret-1","a":"secret-2"},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"c":{"x":"secret-1","x":"secret-2"}},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"c":[{"x":"secret-1"},{"y":[{"x":"secret-1","x":"secret-2"}]}]},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"c":{"x\n":"secret-1","x\n":"secret-2"}},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"h":1e30},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"h":1e400},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"h":"x\ud800y"},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"h":"\\\ud800"},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"\ud800":1},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":[1],"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":null,"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"a":1,},"elements":[{"k":1,"id":"journey"}]}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"a":1},"elements":[{"k":1,"id":"journey"}],"vars":{"b":2}}""")]
    [TestCase("""{"fmt":3,"next":2,"vars":{"a":[1,2},"elements":[{"k":1,"id":"journey"}]}""")]
    public void A_state_a_whole_read_refuses_is_refused_the_same_with_its_variables_unread(string json) =>
        AssertRefusedTheSame(Encoding.UTF8.GetBytes(json));

    // Text that is not UTF-8, which the reader does not check in an unescaped string or name and a whole read's transcoding
    // refuses (review 19 F3): a lone 0xFF, a truncated sequence, a surrogate encoded in UTF-8, an overlong '/', in a name,
    // nested. The state's text with its '#' replaced by those bytes.
    [TestCase("""{"fmt":3,"next":2,"vars":{"a":"x#y"},"elements":[{"k":1,"id":"journey"}]}""", new byte[] { 0xFF })]
    [TestCase("""{"fmt":3,"next":2,"vars":{"a":"x#"},"elements":[{"k":1,"id":"journey"}]}""", new byte[] { 0xC3 })]
    [TestCase("""{"fmt":3,"next":2,"vars":{"a":"x#"},"elements":[{"k":1,"id":"journey"}]}""", new byte[] { 0xED, 0xA0, 0x80 })]
    [TestCase("""{"fmt":3,"next":2,"vars":{"a":"x#"},"elements":[{"k":1,"id":"journey"}]}""", new byte[] { 0xC0, 0xAF })]
    [TestCase("""{"fmt":3,"next":2,"vars":{"n#":1},"elements":[{"k":1,"id":"journey"}]}""", new byte[] { 0xFF })]
    [TestCase("""{"fmt":3,"next":2,"vars":{"c":{"d":["x#"]}},"elements":[{"k":1,"id":"journey"}]}""", new byte[] { 0xFF })]
    public void A_state_whose_text_is_not_utf8_is_refused_the_same_with_its_variables_unread(string json, byte[] bad)
    {
        var at = json.IndexOf('#', StringComparison.Ordinal);
        AssertRefusedTheSame([.. Encoding.UTF8.GetBytes(json[..at]), .. bad, .. Encoding.UTF8.GetBytes(json[(at + 1)..])]);
    }

    private static void AssertRefusedTheSame(byte[] json)
    {
        var whole = Assert.Throws<InstanceStateUnreadableException>(() => InstanceStateReader.Read(Record(json), null))!;
        var unread = Assert.Throws<InstanceStateUnreadableException>(() => InstanceStateReader.Read(Record(json), null, variablesUnread: true))!;

        Assert.That(unread.Reason, Is.EqualTo(whole.Reason));
    }

    [Test]
    public void An_object_of_many_names_is_read_whole_and_a_name_given_twice_past_the_first_names_is_still_refused()
    {
        var names = string.Join(",", Enumerable.Range(0, 100).Select(i => $"\"v{i}\":{i}"));
        var many = InstanceStateReader.Read(Record($$"""{"fmt":3,"next":2,"vars":{{{names}}},"elements":[{"k":1,"id":"journey"}]}"""), null, variablesUnread: true);
        var twice = $$"""{"fmt":3,"next":2,"vars":{{{names}},"v99":1},"elements":[{"k":1,"id":"journey"}]}""";

        using (Assert.EnterMultipleScope())
        {
            Assert.That(many.Variables["v99"], Is.EqualTo(99m));
            Assert.That(() => InstanceStateReader.Read(Record(twice), null, variablesUnread: true), Throws.TypeOf<InstanceStateUnreadableException>().With.Message.Contains("'v99'"));
        }
    }
}

/// <summary>The search index's values as loaded, for an instance whose variables a claim keeps unread.</summary>
public sealed class SearchIndexOfUnreadVariablesTests
{
    private const string Xml = """
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:wf="urn:workflows:bpmn:1.0" id="d">
          <bpmn:process id="journey" isExecutable="true">
            <bpmn:extensionElements><wf:searchable name="amount" type="number"/><wf:searchable name="category"/></bpmn:extensionElements>
            <bpmn:startEvent id="s"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    [Test]
    public async Task A_claim_s_instance_is_indexed_as_loaded_without_reading_its_variables()
    {
        var (document, _) = Workflows.Engine.Model.BpmnParser.Parse(Xml);
        var process = document!.Processes.Single();
        var definition = new ProcessDefinition(new DefinitionRecord(Guid.NewGuid(), "journey", 1, null, "", Xml, Guid.Empty, DateTimeOffset.UnixEpoch, null), document, process);
        var record = new InstanceRecord(Guid.NewGuid(), "journey", definition.Record.Id, 1, null, ProcessInstanceStatus.Active, 3, DateTimeOffset.UnixEpoch, null, null,
            Encoding.UTF8.GetBytes("""{"fmt":3,"next":2,"vars":{"amount":120,"category":"billing","other":"x"},"elements":[{"k":1,"id":"journey"}]}"""));
        var unread = new LoadedInstance(InstanceStateReader.Read(record, definition, variablesUnread: true), definition, 3);
        var whole = new LoadedInstance(InstanceStateReader.Read(record, definition), definition, 3);

        await new Workflows.Engine.Search.SearchModule().OnLoadedAsync(unread, CancellationToken.None);
        var keptUnread = unread.State.UnreadVariables is not null;
        await new Workflows.Engine.Search.SearchModule().OnLoadedAsync(whole, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(keptUnread, Is.True, "the index's values as loaded are not read from the state's variables");
            Assert.That(unread.Part<Workflows.Engine.Search.IndexedValues>()!.Values, Is.EqualTo(whole.Part<Workflows.Engine.Search.IndexedValues>()!.Values));
            Assert.That(unread.State.UnreadVariables, Is.Not.Null, "read apart from the state's context");
        }
    }
}
