using System.Text;
using Workflows.Engine.Runtime;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Tests.Runtime;

/// <summary>
/// The check pass of variables kept unread (<see cref="StoredVariables"/>) against the whole read, on the same stored
/// states: generated objects of variables (escapes, surrogates, numbers at a decimal's edges, deep nesting, names given
/// twice, text that is not UTF-8) and the same objects mutated (bytes cut, dropped, inserted, replaced). For each state
/// both reads must accept, or both refuse for the same reason; a state accepted with its variables kept unread must read
/// them, when asked, to what the whole read read, and written back unread must read whole to the same state.
/// </summary>
/// <remarks>Seeded: a failure names its seed and case, and the state's bytes, to turn into a test case of its own.</remarks>
public sealed class StoredVariablesDifferentialTests
{
    private static readonly Guid s_instance = Guid.Parse("0190c0de-0000-7000-8000-000000000002");

    private static readonly byte[] s_head = Encoding.UTF8.GetBytes("""{"fmt":3,"next":2,"vars":""");
    private static readonly byte[] s_tail = Encoding.UTF8.GetBytes(""","elements":[{"k":1,"id":"journey"}]}""");

    // Names as stored: plain, non-ASCII raw and escaped, escapes that equal a plain name, escaped surrogates.
    private static readonly string[] s_names =
    [
        "a", "b", "caseId", "amount", "\\u0061", "é", "\\u00e9", "x\\n", "x\\\\", "😀", "\\ud83d\\ude00", "\\ud800", "\\udc00x",
        "", " ", "a\\/b", "\\\"", "\\t", "ünïcødé-name-that-is-somewhat-long-for-a-variable", "\\u0000",
    ];

    // Pieces of a text as stored: raw, escaped, escaped surrogates paired and lone, an escaped backslash before "ud800".
    private static readonly string[] s_textPieces =
    [
        "plain", " ", "café", "😀", "中文", "\\\"", "\\\\", "\\/", "\\b\\f\\n\\r\\t", "\\u0041", "\\u00e9", "\\u20AC", "\\ud83d\\ude00",
        "\\uD83D\\uDE00", "\\ud800", "\\udfff", "\\ud83dx", "\\\\ud800", "\\\\\\ud800", "\\u0000", "\\uFFFF", "\\uFEFF",
    ];

    // Numbers: a decimal's edges (its largest, one past it, its smallest step), exponents, negative zero, forms JSON refuses.
    private static readonly string[] s_numbers =
    [
        "0", "-0", "1", "-1", "1.5", "-0.0", "1e2", "1E+2", "2.5e-3", "1e28", "-1e28", "1e29", "7.9e28", "7.93e28",
        "79228162514264337593543950335", "-79228162514264337593543950335", "79228162514264337593543950336",
        "0.0000000000000000000000000001", "0.00000000000000000000000000001", "1e-28", "1e-29", "1e-400", "1e400", "-1e400",
        "123456789012345678901234567890.5", "0.1234567890123456789012345678901234", "1.0000000000000000000000000000001",
        "01", "1.", ".5", "-", "1e", "+1", "0x10", "NaN", "Infinity",
    ];

    private static readonly byte[] s_insertable = [0x00, 0x09, 0x0A, 0x22, 0x2C, 0x3A, 0x5B, 0x5C, 0x5D, 0x7B, 0x7D, 0x75, 0x31, 0x80, 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xF8, 0xFF];

    [TestCase(20261206, 4000)]
    [TestCase(19, 4000)]
    [TestCase(7, 4000)]
    public void The_check_pass_and_a_whole_read_accept_and_refuse_the_same_states_for_the_same_reasons(int seed, int cases)
    {
        var random = new Random(seed);
        var (kept, refused) = (0, 0);
        for (var i = 0; i < cases; i++)
        {
            var vars = new StringBuilder();
            if (random.Next(8) == 0)
            {
                WriteDeep(random, vars, 505 + random.Next(10)); // about the reader's 512 levels, the state's own two included
            }
            else
            {
                WriteObject(random, vars, depth: 1 + random.Next(4));
            }

            var bytes = Encoding.UTF8.GetBytes(vars.ToString());
            if (random.Next(3) > 0)
            {
                bytes = Mutate(random, bytes);
            }

            var outcome = Compare([.. s_head, .. bytes, .. s_tail], $"seed {seed}, case {i}");
            kept += outcome == Outcome.Kept ? 1 : 0;
            refused += outcome == Outcome.Refused ? 1 : 0;
        }

        // Neither side may be empty, or the comparison proved nothing of it.
        using (Assert.EnterMultipleScope())
        {
            Assert.That(kept, Is.GreaterThan(cases / 10), "states whose variables the check pass kept unread");
            Assert.That(refused, Is.GreaterThan(cases / 10), "states both reads refused");
        }
    }

    private enum Outcome
    {
        Kept,
        ReadWhole,
        Refused,
    }

    private static InstanceRecord Record(byte[] json) =>
        new(s_instance, "journey", Guid.Empty, 1, null, ProcessInstanceStatus.Active, 3, DateTimeOffset.UnixEpoch, null, null, json);

    private static Outcome Compare(byte[] json, string name)
    {
        var (whole, wholeRefusal) = Read(json, variablesUnread: false);
        var (unread, unreadRefusal) = Read(json, variablesUnread: true);
        var shown = $"{name}: {Convert.ToHexString(json)} ({Encoding.UTF8.GetString(json)})";
        Assert.That(unreadRefusal, Is.EqualTo(wholeRefusal), $"the same refusal, or none: {shown}");
        if (whole is null)
        {
            return Outcome.Refused;
        }

        var wholeText = InstanceStateSerializer.Serialize(whole);
        var keptUnread = unread!.UnreadVariables is not null;

        // Written back without being asked for, the variables are their stored bytes: read whole, they are the same.
        var writtenUnread = InstanceStateSerializer.Serialize(unread);
        var (again, againRefusal) = Read(writtenUnread, variablesUnread: false);
        Assert.That(againRefusal, Is.Null, $"the state written back unread reads whole: {shown}");
        Assert.That(InstanceStateSerializer.Serialize(again!), Is.EqualTo(wholeText), $"written back unread, the same state: {shown}");

        // Asked for, they read to what the whole read read, without an error the state's read did not raise.
        _ = unread.Variables;
        Assert.That(InstanceStateSerializer.Serialize(unread), Is.EqualTo(wholeText), $"read when asked, the same variables: {shown}");
        return keptUnread ? Outcome.Kept : Outcome.ReadWhole;
    }

    private static (InstanceState? State, string? Refusal) Read(byte[] json, bool variablesUnread)
    {
        try
        {
            return (InstanceStateReader.Read(Record(json), null, variablesUnread), null);
        }
        catch (InstanceStateUnreadableException e)
        {
            return (null, e.Reason);
        }
    }

    private static void WriteObject(Random random, StringBuilder json, int depth)
    {
        json.Append('{');
        var count = depth > 1 && random.Next(4) == 0 ? 1 : random.Next(7);
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            // A name given twice now and then, as stored or as another spelling of the same name.
            var name = names.Count > 0 && random.Next(12) == 0 ? names[random.Next(names.Count)] : Pick(random, s_names) + (random.Next(3) == 0 ? "" : random.Next(40).ToString(System.Globalization.CultureInfo.InvariantCulture));
            names.Add(name);
            json.Append(i > 0 ? "," : "").Append('"').Append(name).Append("\":");
            WriteValue(random, json, depth - 1);
        }

        json.Append('}');
    }

    // An object whose one variable nests lists and objects `levels` deep.
    private static void WriteDeep(Random random, StringBuilder json, int levels)
    {
        var closings = new Stack<char>();
        json.Append("{\"deep\":");
        for (var i = 0; i < levels; i++)
        {
            var list = random.Next(2) == 0;
            json.Append(list ? "[" : "{\"x\":");
            closings.Push(list ? ']' : '}');
        }

        WriteValue(random, json, 0);
        while (closings.Count > 0)
        {
            json.Append(closings.Pop());
        }

        json.Append('}');
    }

    private static void WriteValue(Random random, StringBuilder json, int depth)
    {
        if (depth > 0 && random.Next(3) == 0)
        {
            if (random.Next(2) == 0)
            {
                WriteObject(random, json, depth);
                return;
            }

            json.Append('[');
            var count = depth > 1 && random.Next(3) == 0 ? 1 : random.Next(5);
            for (var i = 0; i < count; i++)
            {
                json.Append(i > 0 ? "," : "");
                WriteValue(random, json, depth - 1);
            }

            json.Append(']');
            return;
        }

        switch (random.Next(6))
        {
            case 0:
            case 1:
                json.Append('"');
                for (var i = random.Next(4); i > 0; i--)
                {
                    json.Append(Pick(random, s_textPieces));
                }

                json.Append('"');
                break;
            case 2:
            case 3:
                json.Append(random.Next(4) == 0 ? Pick(random, s_numbers) : Pick(random, s_numbers[..27]));
                break;
            default:
                json.Append(Pick(random, ["true", "false", "null"]));
                break;
        }
    }

    private static byte[] Mutate(Random random, byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return bytes;
        }

        var at = random.Next(bytes.Length);
        return random.Next(4) switch
        {
            0 => bytes[..at], // truncated
            1 => [.. bytes[..at], .. bytes[(at + 1)..]], // a byte dropped
            2 => [.. bytes[..at], Pick(random, s_insertable), .. bytes[at..]], // a byte inserted
            _ => [.. bytes[..at], Pick(random, s_insertable), .. bytes[(at + 1)..]], // a byte replaced
        };
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> from) => from[random.Next(from.Count)];
}
