using System.Text;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// Review 19: the check pass of variables kept unread (StoredVariables.Readable) never transcodes a text, and
/// Utf8JsonReader does not validate the UTF-8 of an unescaped string as it reads: a whole read refuses it (GetString).
/// </summary>
public sealed class UnreadVariablesInvalidUtf8Tests
{
    private static readonly Guid s_instance = Guid.Parse("0190c0de-0000-7000-8000-000000000019");

    private static InstanceRecord Record(byte[] json) =>
        new(s_instance, "journey", Guid.NewGuid(), 1, null, ProcessInstanceStatus.Active, 3, DateTimeOffset.UnixEpoch, null, null, json);

    // The state's text with its '#' replaced by bytes that are no UTF-8.
    private static byte[] With(string json, params byte[] bad)
    {
        var at = json.IndexOf('#', StringComparison.Ordinal);
        return [.. Encoding.UTF8.GetBytes(json[..at]), .. bad, .. Encoding.UTF8.GetBytes(json[(at + 1)..])];
    }

    private const string Elements = ",\"elements\":[{\"k\":1,\"id\":\"journey\"}]}";

    public static IEnumerable<TestCaseData> States()
    {
        // A lone byte that is no UTF-8 (0xFF) in a value, a truncated sequence, a surrogate encoded in UTF-8 (CESU), an overlong '/', and the same in a name.
        yield return new TestCaseData(With("{\"fmt\":3,\"next\":2,\"vars\":{\"a\":\"x#y\"}" + Elements, 0xFF)).SetName("value_0xFF");
        yield return new TestCaseData(With("{\"fmt\":3,\"next\":2,\"vars\":{\"a\":\"x#\"}" + Elements, 0xC3)).SetName("value_truncated");
        yield return new TestCaseData(With("{\"fmt\":3,\"next\":2,\"vars\":{\"a\":\"x#\"}" + Elements, 0xED, 0xA0, 0x80)).SetName("value_cesu_surrogate");
        yield return new TestCaseData(With("{\"fmt\":3,\"next\":2,\"vars\":{\"a\":\"x#\"}" + Elements, 0xC0, 0xAF)).SetName("value_overlong");
        yield return new TestCaseData(With("{\"fmt\":3,\"next\":2,\"vars\":{\"n#\":1}" + Elements, 0xFF)).SetName("name_0xFF");
        yield return new TestCaseData(With("{\"fmt\":3,\"next\":2,\"vars\":{\"c\":{\"d\":[\"x#\"]}}" + Elements, 0xFF)).SetName("nested_value_0xFF");
    }

    [TestCaseSource(nameof(States))]
    public void A_state_a_whole_read_refuses_is_refused_with_its_variables_unread_too(byte[] json)
    {
        var whole = Assert.Throws<InstanceStateUnreadableException>(() => InstanceStateReader.Read(Record(json), null), "the whole read refuses it");
        InstanceState? unread = null;
        Exception? refused = null;
        try
        {
            unread = InstanceStateReader.Read(Record(json), null, variablesUnread: true);
        }
        catch (Exception e)
        {
            refused = e;
        }

        Exception? later = null;
        if (unread is not null)
        {
            try
            {
                _ = unread.Variables; // what a later ask meets: not the state reader's refusal
            }
            catch (Exception e)
            {
                later = e;
            }
        }

        Assert.That(refused, Is.TypeOf<InstanceStateUnreadableException>(),
            $"whole read: {whole!.Reason}; unread read accepted it: {unread is not null}; a later ask threw: {later?.GetType().Name}: {later?.Message}");
    }
}
