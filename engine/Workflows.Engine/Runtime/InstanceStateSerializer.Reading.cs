using System.Text.Json;
using Workflows.Engine.Feel;
using Workflows.Engine.Storage;

namespace Workflows.Engine.Runtime;

// Reading: one pass of a Utf8JsonReader over the stored bytes, straight into the objects. Every command reads its
// instance's state, and a JsonDocument in between (its rows of metadata, a second walk over them) was a fifth of the
// in-memory engine's CPU. The refusals are the document reader's: same exceptions, same words.
internal static partial class InstanceStateSerializer
{
    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = ExecutionLimits.MaxStoredJsonDepth };

    // The root keys, and the format that added each: an older format refuses a newer key.
    private const int CompensationsSince = 3;

    /// <summary>
    /// The state of <paramref name="record"/>; with the <paramref name="definition"/> it runs on, its element ids are the
    /// definition's own strings rather than copies made for every command.
    /// </summary>
    /// <param name="record">The instance's row.</param>
    /// <param name="definition">The definition it runs on, if known.</param>
    /// <param name="variablesUnread">
    /// True for a command that reads no variable (it runs no token): the process variables are checked as they would be
    /// read and kept as stored (<see cref="StoredVariables"/>), read only if something asks for them after all.
    /// </param>
    public static InstanceState Deserialize(InstanceRecord record, ProcessDefinition? definition = null, bool variablesUnread = false)
    {
        var state = FromRow(record);
        var json = record.State;
        var instanceId = record.Id;
        var format = FormatOf(json);
        if (format > Format)
        {
            throw new InvalidDataException($"the state of instance {instanceId} is in format {format}, newer than this engine reads ({Format}): run it on the newer engine that wrote it");
        }

        var reader = new Utf8JsonReader(json, s_readerOptions);
        reader.Read(); // the object FormatOf found
        bool hasNext = false, hasVars = false, hasElements = false, hasFormat = false, hasCallKey = false, hasCompensations = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // A member given twice would be read twice (two element lists merged, the first variables dropped unseen and
            // written back without them by the next command): refused, as an element key given twice is.
            RefuseRepeated(ref reader, instanceId, hasFormat, hasNext, hasCallKey, hasVars, hasElements, hasCompensations);

            if (reader.ValueTextEquals("fmt"u8))
            {
                reader.Read(); // read by FormatOf
                hasFormat = true;
            }
            else if (reader.ValueTextEquals("next"u8))
            {
                reader.Read();
                state.NextKey = reader.GetInt64();
                hasNext = true;
            }
            else if (reader.ValueTextEquals("callKey"u8))
            {
                reader.Read();
                state.ParentElementKey = reader.GetInt64();
                hasCallKey = true;
            }
            else if (reader.ValueTextEquals("vars"u8))
            {
                reader.Read();
                if (variablesUnread && reader.TokenType == JsonTokenType.StartObject && StoredVariables.TryKeep(ref reader, json) is { } unread)
                {
                    state.KeepUnread(unread);
                }
                else
                {
                    state.Variables = ReadVariables(ref reader, json, instanceId, "\"vars\"");
                }

                hasVars = true;
            }
            else if (reader.ValueTextEquals("elements"u8))
            {
                reader.Read();
                ReadElements(ref reader, json, state, format, definition);
                hasElements = true;
            }
            else if (reader.ValueTextEquals("compensations"u8) && format >= CompensationsSince)
            {
                reader.Read();
                hasCompensations = true;
                state.Compensations = [];
                foreach (var compensation in ReadCompensations(ref reader, json, instanceId, format))
                {
                    state.Compensations.Add(compensation);
                }
            }
            else
            {
                throw Unknown(instanceId, reader.GetString()!, "", format);
            }
        }

        reader.Read(); // nothing may follow the object: the reader refuses a second value or stray text
        if (!hasNext || !hasVars || !hasElements)
        {
            throw new KeyNotFoundException($"the state has no \"{(!hasNext ? "next" : !hasVars ? "vars" : "elements")}\"");
        }

        if (state.Elements.TryGetValue(InstanceState.RootKey, out var root))
        {
            if (state.UnreadVariables is { } unread)
            {
                root.KeepUnread(unread); // read once, by whichever asks first: the scope's and the state's stay one context
            }
            else
            {
                root.Variables = state.Variables;
            }
        }

        return state;
    }

    private static void RefuseRepeated(ref Utf8JsonReader reader, Guid instanceId, bool format, bool next, bool callKey, bool vars, bool elements, bool compensations)
    {
        if ((format && reader.ValueTextEquals("fmt"u8)) || (next && reader.ValueTextEquals("next"u8))
            || (callKey && reader.ValueTextEquals("callKey"u8)) || (vars && reader.ValueTextEquals("vars"u8))
            || (elements && reader.ValueTextEquals("elements"u8)) || (compensations && reader.ValueTextEquals("compensations"u8)))
        {
            throw new InvalidDataException($"the state of instance {instanceId} holds \"{reader.GetString()}\" twice; it is refused rather than one of them dropped");
        }
    }

    // The format is read first (the writer puts it first), so that a newer state is refused before anything else is read.
    private static int FormatOf(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, s_readerOptions);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidOperationException($"the state is {Describe(reader.TokenType)}, not an object");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isFormat = reader.ValueTextEquals("fmt"u8);
            reader.Read();
            if (isFormat)
            {
                return reader.GetInt32();
            }

            reader.Skip();
        }

        return 1;
    }

    private static void ReadElements(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, InstanceState state, int format, ProcessDefinition? definition)
    {
        Expect(ref reader, JsonTokenType.StartArray, "\"elements\"");
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var element = ReadElement(ref reader, json, state.Id, format, definition);
            if (!state.Elements.TryAdd(element.Key, element))
            {
                // Kept as it came, one of the two would be dropped unseen and its task, job or call left with no element.
                throw new InvalidDataException($"the state of instance {state.Id} holds element key {element.Key} twice ('{state.Elements[element.Key].ElementId}' and '{element.ElementId}'); it is refused rather than one dropped");
            }
        }
    }

    private static ElementInstance ReadElement(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Guid instanceId, int format, ProcessDefinition? definition)
    {
        Expect(ref reader, JsonTokenType.StartObject, "an element of \"elements\"");
        var start = reader;
        if (ReadHeadInWriterOrder(ref reader, instanceId, definition) is { } element && ReadBody(ref reader, json, instanceId, format, element, definition, inWriterOrder: true))
        {
            return element;
        }

        // Its key, id and parent are not first, in the writer's order: found first, then the rest read from the start again.
        reader = start;
        element = FindHead(reader, instanceId, definition);
        reader.Read();
        ReadBody(ref reader, json, instanceId, format, element, definition, inWriterOrder: false);
        return element;
    }

    // "k", "id" and (for any element but the process scope) "p", first and in that order, as the writer puts them; null
    // when they are not, with the reader somewhere in the element. On success the reader is on the next property name.
    private static ElementInstance? ReadHeadInWriterOrder(ref Utf8JsonReader reader, Guid instanceId, ProcessDefinition? definition)
    {
        if (!reader.Read() || !IsProperty(ref reader, "k"u8))
        {
            return null;
        }

        reader.Read();
        var key = reader.GetInt64();
        if (!reader.Read() || !IsProperty(ref reader, "id"u8))
        {
            return null;
        }

        reader.Read();
        var elementId = RequiredElementId(ref reader, instanceId, key, definition);
        long parentKey = 0;
        reader.Read();
        if (IsProperty(ref reader, "p"u8))
        {
            reader.Read();
            parentKey = reader.GetInt64();
            reader.Read();
        }

        return new ElementInstance { Key = key, ElementId = elementId, ParentKey = parentKey };
    }

    // The key, id and parent of an element whose properties come in another order (a copy of the reader scans it).
    private static ElementInstance FindHead(Utf8JsonReader scan, Guid instanceId, ProcessDefinition? definition)
    {
        long? key = null;
        long parentKey = 0;
        var hasId = false;
        var id = scan;
        while (scan.Read() && scan.TokenType == JsonTokenType.PropertyName)
        {
            if (scan.ValueTextEquals("k"u8))
            {
                scan.Read();
                key = scan.GetInt64();
            }
            else if (scan.ValueTextEquals("p"u8))
            {
                scan.Read();
                parentKey = scan.GetInt64();
            }
            else if (scan.ValueTextEquals("id"u8))
            {
                scan.Read();
                id = scan;
                hasId = true;
            }
            else
            {
                scan.Read();
                scan.Skip();
            }
        }

        var k = key ?? throw new KeyNotFoundException("an element of the state has no \"k\"");
        return hasId
            ? new ElementInstance { Key = k, ElementId = RequiredElementId(ref id, instanceId, k, definition), ParentKey = parentKey }
            : throw new KeyNotFoundException($"the element with key {k} has no \"id\"");
    }

    // From the property name the reader is on to the element's end. In the writer's order a key, id or parent met here
    // means they were not first: false, and the caller reads the element again the other way.
    private static bool ReadBody(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Guid instanceId, int format, ElementInstance element, ProcessDefinition? definition, bool inWriterOrder)
    {
        Span<char> buffer = stackalloc char[8];
        for (; reader.TokenType == JsonTokenType.PropertyName; reader.Read())
        {
            ReadOnlySpan<char> name = reader.ValueSpan.Length <= buffer.Length ? buffer[..reader.CopyString(buffer)] : reader.GetString();
            reader.Read();
            switch (name)
            {
                case "k" or "id" or "p":
                    if (inWriterOrder)
                    {
                        return false;
                    }

                    reader.Skip();
                    break;
                case "v":
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw NotVariables(instanceId, $"element '{element.ElementId}' with \"v\"", reader.TokenType);
                    }

                    element.Variables = FeelJsonReader.ReadContext(ref reader, json);
                    break;
                case "task":
                    element.TaskId = reader.GetGuid();
                    break;
                case "job":
                    element.JobId = reader.GetGuid();
                    break;
                case "call":
                    element.CalledInstanceId = reader.GetGuid();
                    break;
                case "inc":
                    element.IncidentId = reader.GetGuid();
                    break;
                case "ph":
                    element.IncidentPhase = (IncidentPhase)reader.GetInt32();
                    break;
                case "w":
                    element.Waits = ReadWaits(ref reader, instanceId, element.ElementId, definition);
                    break;
                case "j":
                    element.JoinArrivals = ReadFlowsByGateway(ref reader, instanceId, element.ElementId, "j");
                    break;
                case "cx" when format >= 3:
                    element.ComplexResets = ReadFlowsByGateway(ref reader, instanceId, element.ElementId, "cx");
                    break;
                case "mib":
                    reader.Skip();
                    element.IsMultiInstanceBody = true;
                    break;
                case "tot":
                    element.Total = reader.GetInt32();
                    break;
                case "st":
                    element.Started = reader.GetInt32();
                    break;
                case "done":
                    element.Completed = reader.GetInt32();
                    break;
                case "col":
                    element.Collection = reader.TokenType == JsonTokenType.StartArray
                        ? (List<object?>?)FeelJsonReader.ReadValue(ref reader, json)
                        : throw new InvalidDataException($"the state of instance {instanceId} has, on element '{element.ElementId}', \"col\" that is {Describe(reader.TokenType)}, not a list");
                    break;
                case "loop":
                    element.IsMultiInstanceInner = true;
                    element.LoopCounter = reader.GetInt32();
                    break;
                case "int":
                    reader.Skip();
                    element.Interrupted = true;
                    break;
                case "cmp" when format >= 3:
                    element.CompensatingKey = reader.GetInt64();
                    break;
                case "cxl" when format >= 3:
                    reader.Skip();
                    element.Cancelled = true;
                    break;
                default:
                    throw Unknown(instanceId, name.ToString(), $" on element '{element.ElementId}'", format);
            }
        }

        return true;
    }

    private static List<WaitRef> ReadWaits(ref Utf8JsonReader reader, Guid instanceId, string elementId, ProcessDefinition? definition)
    {
        Expect(ref reader, JsonTokenType.StartArray, $"\"w\" of element '{elementId}'");
        var waits = new List<WaitRef>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            // Exactly [kind, id, element id]: more items would be cut at the next commit, a null id fail later. Told by
            // what is wrong, never by the stored text (it reaches logs, incidents and problem details).
            if (WaitProblem(reader) is { } problem)
            {
                throw new InvalidDataException($"the state of instance {instanceId} has, on element '{elementId}', wait {waits.Count + 1} of \"w\" {problem}, where [kind, id, element id] belongs");
            }

            reader.Read();
            var kind = (WaitKind)reader.GetInt32();
            reader.Read();
            var id = reader.GetGuid();
            reader.Read();
            var waitElementId = ElementId(ref reader, definition);
            reader.Read();
            waits.Add(new WaitRef(kind, id, waitElementId));
        }

        return waits;
    }

    // A number, a text and a text, looked at through a copy of the reader: null when the wait has them, else what it has.
    private static string? WaitProblem(Utf8JsonReader scan)
    {
        if (scan.TokenType != JsonTokenType.StartArray)
        {
            return $"is {Describe(scan.TokenType)}";
        }

        var items = 0;
        string? wrong = null;
        while (scan.Read() && scan.TokenType != JsonTokenType.EndArray)
        {
            var expected = items switch { 0 => JsonTokenType.Number, _ => JsonTokenType.String };
            if (items < 3 && scan.TokenType != expected && wrong is null)
            {
                wrong = $"has {Describe(scan.TokenType)} for its {(items switch { 0 => "kind", 1 => "id", _ => "element id" })}";
            }

            items++;
            scan.Skip();
        }

        return items != 3 ? $"has {items} item{(items == 1 ? "" : "s")}" : wrong;
    }

    private static Dictionary<string, List<string>> ReadFlowsByGateway(ref Utf8JsonReader reader, Guid instanceId, string elementId, string name)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"\"{name}\" of element '{elementId}'");
        var flowsByGateway = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var gateway = reader.GetString()!;
            reader.Read();
            Expect(ref reader, JsonTokenType.StartArray, $"\"{name}\" of gateway '{gateway}'");
            var flows = new List<string>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                flows.Add(reader.TokenType == JsonTokenType.String
                    ? reader.GetString()!
                    : throw new InvalidDataException($"the state of instance {instanceId} has, on element '{elementId}', \"{name}\" of gateway '{gateway}' holding {Describe(reader.TokenType)} where a flow id (a string) belongs"));
            }

            flowsByGateway[gateway] = flows;
        }

        return flowsByGateway;
    }

    private static List<CompensationRecord> ReadCompensations(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Guid instanceId, int format)
    {
        Expect(ref reader, JsonTokenType.StartArray, "\"compensations\"");
        var records = new List<CompensationRecord>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            records.Add(ReadCompensation(ref reader, json, instanceId, format));
        }

        return records;
    }

    private static CompensationRecord ReadCompensation(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Guid instanceId, int format)
    {
        Expect(ref reader, JsonTokenType.StartObject, "a compensation record");
        var elementId = CompensationElementId(reader, instanceId, format);
        long? key = null, scopeKey = null, sequence = null;
        FeelContext? variables = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.ValueTextEquals("k"u8) ? 'k' : reader.ValueTextEquals("s"u8) ? 's' : reader.ValueTextEquals("q"u8) ? 'q' : reader.ValueTextEquals("v"u8) ? 'v' : '-';
            reader.Read();
            switch (property)
            {
                case 'k':
                    key = reader.GetInt64();
                    break;
                case 's':
                    scopeKey = reader.GetInt64();
                    break;
                case 'q':
                    sequence = reader.GetInt64();
                    break;
                case 'v':
                    variables = reader.TokenType == JsonTokenType.StartObject
                        ? FeelJsonReader.ReadContext(ref reader, json)
                        : throw NotVariables(instanceId, $"a compensation record of '{elementId}' with \"v\"", reader.TokenType);
                    break;
                default:
                    reader.Skip(); // "id", read first
                    break;
            }
        }

        return new CompensationRecord
        {
            Key = key ?? throw new KeyNotFoundException($"the compensation record of '{elementId}' has no \"k\""),
            ElementId = elementId,
            ScopeKey = scopeKey ?? throw new KeyNotFoundException($"the compensation record of '{elementId}' has no \"s\""),
            Sequence = sequence ?? throw new KeyNotFoundException($"the compensation record of '{elementId}' has no \"q\""),
            Variables = variables,
        };
    }

    // The record's element id and, before any value is read, a key the format does not have (read and written again
    // without it, a key a newer node wrote would be erased at the next commit). A copy of the reader scans the record.
    private static string CompensationElementId(Utf8JsonReader scan, Guid instanceId, int format)
    {
        var hasId = false;
        var id = scan;
        string? unknown = null;
        while (scan.Read() && scan.TokenType == JsonTokenType.PropertyName)
        {
            var isId = scan.ValueTextEquals("id"u8);
            if (!isId && unknown is null && !(scan.ValueTextEquals("k"u8) || scan.ValueTextEquals("s"u8) || scan.ValueTextEquals("q"u8) || scan.ValueTextEquals("v"u8)))
            {
                unknown = scan.GetString();
            }

            scan.Read();
            if (isId)
            {
                id = scan;
                hasId = true;
            }

            scan.Skip();
        }

        if (!hasId)
        {
            throw new KeyNotFoundException("a compensation record of the state has no \"id\"");
        }

        var elementId = id.TokenType == JsonTokenType.String
            ? id.GetString()!
            : throw new InvalidDataException($"the state of instance {instanceId} has a compensation record whose \"id\" is {Describe(id.TokenType)}, not a string");
        return unknown is null ? elementId : throw Unknown(instanceId, unknown, $" in the compensation record of '{elementId}'", format);
    }

    // JSON null read with GetString() would be a null id that later fails deep in the engine, far from the row that holds it.
    private static string RequiredElementId(ref Utf8JsonReader reader, Guid instanceId, long elementKey, ProcessDefinition? definition) =>
        reader.TokenType == JsonTokenType.String
            ? ElementId(ref reader, definition)
            : throw new InvalidDataException($"the state of instance {instanceId} has an element (key {elementKey}) whose \"id\" is {Describe(reader.TokenType)}, not a string");

    // The definition's own string for an id it has (the process's, or one of its nodes'), found without making one:
    // every command reads its instance's element ids, and they are nearly always the definition's.
    private static string ElementId(ref Utf8JsonReader reader, ProcessDefinition? definition)
    {
        const int longest = 128;
        if (definition is not null && reader.ValueSpan.Length <= longest)
        {
            Span<char> chars = stackalloc char[longest];
            var id = chars[..reader.CopyString(chars)];
            var process = definition.Process;
            if (id.SequenceEqual(process.Id))
            {
                return process.Id;
            }

            if (process.Nodes.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(id, out var known, out _))
            {
                return known;
            }
        }

        return reader.GetString()!;
    }

    // Variables are a context (a JSON object); null or any other value would pass a cast and fail the first command that reads them.
    private static FeelContext ReadVariables(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Guid instanceId, string what) =>
        reader.TokenType == JsonTokenType.StartObject
            ? FeelJsonReader.ReadContext(ref reader, json)
            : throw NotVariables(instanceId, what, reader.TokenType);

    private static InvalidDataException NotVariables(Guid instanceId, string what, JsonTokenType token) =>
        new($"the state of instance {instanceId} has {what} that is {Describe(token)}, not an object of variables");

    // A structure of the wrong kind (an object where a list belongs): the state does not have the expected shape.
    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token, string what)
    {
        if (reader.TokenType != token)
        {
            throw new InvalidOperationException($"{what} is {Describe(reader.TokenType)}, not {(token == JsonTokenType.StartArray ? "an array" : "an object")}");
        }
    }

    private static bool IsProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> name) =>
        reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals(name);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        _ => "a boolean",
    };

    // where: "" for the root, or " on element 'x'", " in the compensation record of 'x'".
    private static InvalidDataException Unknown(Guid instanceId, string key, string where, int format) =>
        new($"the state of instance {instanceId} holds the key '{key}'{where} that format {format} does not have; it is refused rather than dropped");
}
